{% autoescape off %}// Bình Yên's service worker (binhyen/webapp.py). It keeps the offline page and its static
// files, never a page: pages hold reports, rosters and names, and a phone can be lost.
"use strict";
const CACHE = "binhyen-{{ version }}";
const OFFLINE_URL = "{{ offline_url }}";
const KEPT = {{ assets }};
const STATIC_PREFIX = "{{ static_prefix }}";
const PUSH_TITLE = {{ push_title }};
const ICON = "{{ icon_url }}";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(KEPT)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  if (request.mode === "navigate") {
    // Pages from the network only; without one, the offline page.
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
    return;
  }
  const url = new URL(request.url);
  if (url.origin === self.location.origin && url.pathname.startsWith(STATIC_PREFIX)) {
    event.respondWith(caches.match(request).then((kept) => kept || fetch(request)));
  }
});

// Web Push (accounts/push.py): the payload is a title, a short text and a path of the portal.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = {};
  }
  const url = typeof data.url === "string" && data.url.startsWith("/") && !data.url.startsWith("//") ? data.url : "/";
  event.waitUntil(
    self.registration.showNotification(data.title || PUSH_TITLE, {
      body: data.body || "",
      tag: data.tag || undefined,
      lang: "vi",
      icon: ICON,
      badge: ICON,
      data: { url },
    })
  );
});

// A tap opens the notification's page: the window already showing it, or a new one.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  if (target.origin !== self.location.origin) {
    return;
  }
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const same = windows.find((client) => client.url === target.href && "focus" in client);
      return same ? same.focus() : self.clients.openWindow(target.href);
    })
  );
});
{% endautoescape %}
