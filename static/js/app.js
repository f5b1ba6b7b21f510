// The installable web app (binhyen/webapp.py): its service worker, for the whole site.
"use strict";
// The unread notifications as the installed app's badge, where the browser shows one.
if ("setAppBadge" in navigator) {
  const bell = document.querySelector("[data-unread]");
  const unread = bell ? Number(bell.dataset.unread) : 0;
  (unread > 0 ? navigator.setAppBadge(unread) : navigator.clearAppBadge()).catch(() => {});
}

if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
      // Without a worker the portal works as a plain site: nothing to tell the user.
    });
  });
}

// Logging out leaves no push on this browser (a shared phone): the form tells the portal which
// subscription this browser holds (it removes the device if it was the user's) and the browser
// drops it. Without a worker or a subscription, the form goes as it is; never held up > 2 s.
const pushOffAtLogout = async (form) => {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    return;
  }
  const registration = await navigator.serviceWorker.getRegistration("/");
  const subscription = registration && (await registration.pushManager.getSubscription());
  if (!subscription) {
    return;
  }
  const field = form.querySelector("input[name=push_endpoint]") || document.createElement("input");
  Object.assign(field, { type: "hidden", name: "push_endpoint", value: subscription.endpoint });
  form.append(field);
  await subscription.unsubscribe();
};

// A report being typed stays on the phone until it is sent (static/js/drafts.js: the report
// form's data-draft-db). Logging out of what may be a shared phone removes it, after asking when
// there is one (its text may name people; queued, it could not be sent once logged out anyway).
// False: the user chose to stay.
const draftsAtLogout = async () => {
  const store = window.BinhYenDrafts; // static/js/draft-store.js
  if (!("indexedDB" in window) || !store) {
    return true;
  }
  const db = await store.open(store.REPORTS_DB);
  const drafts = await store.run(db, "readonly", (drafts) => drafts.getAll());
  db.close();
  if (drafts.some(store.unsent) && !window.confirm(document.body.dataset.msgDraftsAtLogout)) {
    return false;
  }
  // Blocked while the form's own page holds it open: it is deleted when that page goes.
  await new Promise((resolve) => {
    const deletion = indexedDB.deleteDatabase(store.REPORTS_DB);
    deletion.onsuccess = deletion.onerror = deletion.onblocked = resolve;
  });
  return true;
};

document.querySelectorAll("form[data-logout]").forEach((form) => {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!(await draftsAtLogout().catch(() => true))) {
      return;
    }
    const timeout = new Promise((resolve) => { setTimeout(resolve, 2000); });
    await Promise.race([pushOffAtLogout(form).catch(() => {}), timeout]);
    form.submit();
  });
});
