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
// Background Sync (static/js/drafts.js): the reports queued on this device while offline are
// posted once the connection returns, with the CSRF token of the page they were typed on and
// the draft's idempotency key, so a report the page sends too is still filed once. A report
// refused (a form with errors, a token no longer valid after a new login) stays queued: the
// form page sends it on the next visit with its own token, and shows what is wrong. Tips are
// not here: they are sent by their page, which shows the tracking code. The page may be
// sending too: the two take turns under one Web Lock (the store's LOCK, as in drafts.js), and
// a draft filed here keeps the report's address (filedAt) for the waiting page to go to.
importScripts("{{ draft_store_url }}"); // static/js/draft-store.js: the store the pages use
const Drafts = self.BinhYenDrafts;
const FILED = /\/reports\/\d+\/$/;

function sendQueuedDrafts() {
  return self.navigator.locks ? self.navigator.locks.request(Drafts.LOCK, sendDrafts) : sendDrafts();
}

async function sendDrafts() {
  const db = await Drafts.open(Drafts.REPORTS_DB);
  for (const [name, draft] of await Drafts.entries(db)) {
    if (!draft || !draft.queued || !draft.action || new URL(draft.action).origin !== self.location.origin) {
      continue;
    }
    const body = new FormData();
    body.append("csrfmiddlewaretoken", draft.csrf || "");
    body.append("submission_key", draft.key);
    for (const [field, value] of draft.fields) {
      body.append(field, value);
    }
    for (const item of draft.files || []) {
      body.append(item.field, item.file, item.file.name);
    }
    // A network error rejects: the browser tries the sync again later.
    const response = await fetch(draft.action, { method: "POST", body, credentials: "same-origin" });
    if (response.redirected && FILED.test(new URL(response.url).pathname)) {
      // Nothing typed stays: only the key and where the report is, for a page waiting to send.
      const filed = { key: draft.key, queued: false, fields: [], files: [], filedAt: response.url };
      await Drafts.run(db, "readwrite", (drafts) => drafts.put(filed, name));
    }
  }
}

self.addEventListener("sync", (event) => {
  if (event.tag === Drafts.SYNC_TAG) {
    event.waitUntil(sendQueuedDrafts());
  }
});
{% endautoescape %}
