// The IndexedDB store of the drafts typed on this device, as static/js/drafts.js keeps them (the
// forms) and static/js/app.js removes them (logout): one store, "drafts", in each database
// (the report form's, REPORTS_DB; each anonymous tip's own). Loaded by every page (base.html),
// before the scripts that use it.
"use strict";

window.BinhYenDrafts = (function () {
  const STORE = "drafts";

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

  // What a form would restore: something typed or chosen, not yet filed (a draft the service
  // worker filed keeps only where the report went, filedAt).
  function unsent(draft) {
    return Boolean(draft && !draft.filedAt && (draft.fields.length || draft.files.length));
  }

  return { REPORTS_DB: "binhyen-drafts", STORE, open, run, unsent };
})();
