// The installable web app (binhyen/webapp.py): its service worker, for the whole site.
"use strict";
if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
      // Without a worker the portal works as a plain site: nothing to tell the user.
    });
  });
}
