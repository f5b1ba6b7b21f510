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
