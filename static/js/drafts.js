// Drafts that survive a reload or a lost connection, reports queued while offline, and the
// phone's location and camera (templates/reports/incidentreport_form.html, tip_form.html).
//
// A form with data-draft="<key>" keeps what is typed (text, choices, chosen files as Blobs) in
// the IndexedDB database named by data-draft-db, under <key> (the report form: per user; the
// anonymous tip: a database of its own, removed whole once the tip is received). Each draft has
// an idempotency key (a UUID) posted as submission_key: the server files a draft once, however
// often it is sent.
//
// Offline at submit, the draft is queued and said so. It is sent when the connection returns:
// by this page (the `online` event, or the next visit of the form, which submits it as usual
// with the page's own fresh CSRF token), and for the report form also by the service worker's
// Background Sync (templates/webapp/sw.js), which posts it with the CSRF token of the page it
// was typed on (still valid until the user logs out or in). A tip is never sent by the worker:
// its tracking code must be shown to the tipster, and nothing of it kept on the device.
//
// When the connection returns, the page and the worker would both send: they take turns
// under one Web Lock (LOCK, also taken by the worker), and each reads the draft again once it
// holds it, so the photos go up once over a weak signal. The worker marks a draft it filed
// with the report's address (filedAt), where the waiting page then goes.
//
// A page showing a report just filed (data-draft-sent) removes its draft. Logging out deletes
// the report drafts, after asking when one is unsent (static/js/app.js).
"use strict";

(function () {
  const SKIPPED = new Set(["csrfmiddlewaretoken", "submission_key", "website", "drop_pending"]);

  const { open: openDb, run, unsent, LOCK, SYNC_TAG } = window.BinhYenDrafts; // static/js/draft-store.js

  function newKey() {
    if (self.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function fieldsOf(form) {
    const fields = [];
    for (const element of form.elements) {
      if (!element.name || SKIPPED.has(element.name) || element.type === "file" || element.disabled) {
        continue;
      }
      if ((element.type === "radio" || element.type === "checkbox") && !element.checked) {
        continue;
      }
      if (element.type === "submit" || element.type === "button") {
        continue;
      }
      if (element.tagName === "SELECT" && element.multiple) {
        for (const option of element.selectedOptions) {
          fields.push([element.name, option.value]);
        }
        continue;
      }
      fields.push([element.name, element.value]);
    }
    return fields;
  }

  function filesOf(form) {
    const files = [];
    for (const input of form.querySelectorAll("input[type=file][name]")) {
      for (const file of input.files) {
        files.push({ field: input.name, file });
      }
    }
    return files;
  }

  function restore(form, draft) {
    const values = new Map();
    for (const [name, value] of draft.fields) {
      values.set(name, (values.get(name) || []).concat([value]));
    }
    for (const element of form.elements) {
      if (!values.has(element.name) || element.type === "file") {
        continue;
      }
      const wanted = values.get(element.name);
      if (element.type === "radio" || element.type === "checkbox") {
        element.checked = wanted.includes(element.value);
      } else if (element.tagName === "SELECT" && element.multiple) {
        for (const option of element.options) {
          option.selected = wanted.includes(option.value);
        }
      } else {
        element.value = wanted[0];
      }
    }
    for (const input of form.querySelectorAll("input[type=file][name]")) {
      const kept = (draft.files || []).filter((item) => item.field === input.name);
      if (kept.length) {
        const transfer = new DataTransfer();
        kept.forEach((item) => transfer.items.add(item.file));
        input.files = transfer.files;
      }
    }
  }

  function say(message, tone) {
    const status = document.querySelector("[data-draft-status]");
    if (!status) {
      return;
    }
    status.textContent = status.dataset[message] || "";
    status.classList.toggle("alert-warning", tone !== "info");
    status.classList.toggle("alert-info", tone === "info");
    status.classList.remove("d-none");
  }

  function registerSync() {
    if (!("serviceWorker" in navigator)) {
      return Promise.resolve(false);
    }
    return navigator.serviceWorker.ready
      .then((registration) => (registration.sync ? registration.sync.register(SYNC_TAG).then(() => true) : false))
      .catch(() => false);
  }

  function inTurn(task) {
    return navigator.locks ? navigator.locks.request(LOCK, task) : task();
  }

  async function keepDrafts(form) {
    const db = await openDb(form.dataset.draftDb);
    const name = form.dataset.draft;
    const keyInput = form.querySelector("input[name=submission_key]");
    const bound = form.hasAttribute("data-draft-bound");
    let draft = await run(db, "readonly", (store) => store.get(name));
    if (draft && keyInput && keyInput.value && keyInput.value !== draft.key) {
      draft = null; // the form answers a submission of another draft
    }
    if (draft && draft.filedAt) {
      draft = null; // filed by the worker while no page was open: a new form starts empty
    }
    if (!draft) {
      draft = { key: (keyInput && keyInput.value) || newKey(), fields: [], files: [], queued: false };
    } else if (!bound) {
      restore(form, draft);
      if (unsent(draft)) {
        say("msgRestored", "info");
      }
    }
    if (keyInput) {
      keyInput.value = draft.key;
    }

    async function save(queued) {
      draft.fields = fieldsOf(form);
      if (!bound) {
        draft.files = filesOf(form); // after a refusal the server keeps the files
      }
      draft.queued = queued;
      draft.action = form.action || location.href;
      const token = form.querySelector("input[name=csrfmiddlewaretoken]");
      draft.csrf = token ? token.value : "";
      draft.savedAt = Date.now();
      await run(db, "readwrite", (store) => store.put(draft, name));
    }

    // Sends the queued draft unless the worker has sent it meanwhile. The lock is held until
    // this page is left (for the filed report, or the form with the server's errors).
    function send() {
      return inTurn(async () => {
        const kept = await run(db, "readonly", (store) => store.get(name));
        if (kept && kept.filedAt) {
          location.assign(kept.filedAt);
        } else if (kept && kept.queued) {
          say("msgSending", "info");
          form.requestSubmit();
        } else {
          return;
        }
        await new Promise(() => {});
      });
    }

    if (bound) {
      await save(false); // refused by the server: its errors are shown, nothing stays queued
    } else if (draft.queued && navigator.onLine) {
      send();
      return;
    }

    let timer = null;
    const later = () => {
      clearTimeout(timer);
      timer = setTimeout(() => save(draft.queued), 300);
    };
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    form.addEventListener("submit", (event) => {
      clearTimeout(timer);
      if (navigator.onLine) {
        save(false); // kept until the page of the filed report says it arrived
        return;
      }
      event.preventDefault();
      save(true).then(() => {
        say("msgQueued");
        if (form.hasAttribute("data-draft-sync")) {
          registerSync();
        }
      });
    });
    window.addEventListener("online", () => {
      if (draft.queued) {
        send();
      }
    });
  }

  async function forgetSent(marker) {
    const dbName = marker.dataset.draftDb;
    if (!marker.dataset.draftSent) {
      indexedDB.deleteDatabase(dbName); // the tip: nothing of it stays on the device
      return;
    }
    const db = await openDb(dbName);
    const name = marker.dataset.draftSent;
    const draft = await run(db, "readonly", (store) => store.get(name));
    if (draft && draft.key === marker.dataset.draftKey) {
      await run(db, "readwrite", (store) => store.delete(name));
    }
  }

  function locate(box) {
    const form = box.closest("form");
    const status = box.querySelector("[data-locate-status]");
    const latitude = form.querySelector("input[name=latitude]");
    const longitude = form.querySelector("input[name=longitude]");
    if (!("geolocation" in navigator) || !latitude || !longitude) {
      return;
    }
    box.classList.remove("d-none");
    box.querySelector("[data-locate-button]").addEventListener("click", () => {
      status.textContent = box.dataset.msgWorking;
      navigator.geolocation.getCurrentPosition(
        (position) => {
          latitude.value = position.coords.latitude.toFixed(6);
          longitude.value = position.coords.longitude.toFixed(6);
          status.textContent = box.dataset.msgDone;
          form.dispatchEvent(new Event("change"));
        },
        (error) => {
          status.textContent = error.code === error.PERMISSION_DENIED ? box.dataset.msgDenied : box.dataset.msgFailed;
        },
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
      );
    });
  }

  function camera(box) {
    const target = document.getElementById(box.dataset.cameraFor);
    const shot = box.querySelector("[data-camera-input]");
    if (!target || !shot || typeof DataTransfer === "undefined") {
      return;
    }
    box.classList.remove("d-none");
    shot.addEventListener("change", () => {
      const transfer = new DataTransfer();
      if (target.multiple) {
        for (const file of target.files) {
          transfer.items.add(file);
        }
      }
      for (const file of shot.files) {
        transfer.items.add(file);
      }
      target.files = transfer.files;
      shot.value = "";
      target.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  document.querySelectorAll("[data-locate]").forEach(locate);
  document.querySelectorAll("[data-camera-for]").forEach(camera);
  if (!("indexedDB" in window)) {
    return;
  }
  document.querySelectorAll("[data-draft-sent]").forEach((marker) => forgetSent(marker).catch(() => {}));
  document.querySelectorAll("form[data-draft]").forEach((form) => keepDrafts(form).catch(() => {}));
})();
