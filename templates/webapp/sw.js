{% autoescape off %}// Bình Yên's service worker (binhyen/webapp.py). It keeps the offline page and its static
// files, never a page: pages hold reports, rosters and names, and a phone can be lost.
"use strict";
const CACHE = "binhyen-{{ version }}";
const OFFLINE_URL = "{{ offline_url }}";
const KEPT = {{ assets }};
const STATIC_PREFIX = "{{ static_prefix }}";

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
{% endautoescape %}
