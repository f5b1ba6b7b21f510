// The IndexedDB store of the drafts typed on this device, as static/js/drafts.js keeps them (the
// forms), static/js/app.js removes them (logout) and the service worker sends those queued
// offline (templates/webapp/sw.js): one store, "drafts", in each database (the report form's,
// REPORTS_DB; each anonymous tip's own). Loaded by every page (base.html), before the scripts
// that use it, and by the service worker (importScripts): hence `self`, not `window`.
"use strict";

self.BinhYenDrafts = (function () {
  const STORE = "drafts";
  // The report form's page and the service worker send queued reports under this Web Lock, in
  // turn, and the page asks for a Background Sync of this tag.
  const LOCK = "binhyen-drafts";
  const SYNC_TAG = "binhyen-drafts";

  function open(name) {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  // `action(store)` in one transaction; resolves with its request's result once committed.
  function run(db, mode, action) {
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = action(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
    });
  }

  // Every [name, draft] of the store, read in one transaction.
  function entries(db) {
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, "readonly");
      const store = transaction.objectStore(STORE);
      const names = store.getAllKeys();
      const drafts = store.getAll();
      transaction.oncomplete = () => resolve(names.result.map((name, index) => [name, drafts.result[index]]));
      transaction.onerror = () => reject(transaction.error);
    });
  }

  // What a form would restore: something typed or chosen, not yet filed (a draft the service
  // worker filed keeps only where the report went, filedAt).
  function unsent(draft) {
    return Boolean(draft && !draft.filedAt && (draft.fields.length || draft.files.length));
  }

  return { REPORTS_DB: "binhyen-drafts", STORE, LOCK, SYNC_TAG, open, run, entries, unsent };
})();
