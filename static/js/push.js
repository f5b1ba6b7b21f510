// Push notifications, on the account's push page (accounts/views.py, push_devices): turn them
// on for this browser (PushManager.subscribe with the portal's VAPID public key, posted to
// push-subscribe with the CSRF token) and mark this browser's own row in the list of devices.
"use strict";
(() => {
  const panel = document.querySelector("[data-push]");
  if (!panel) {
    return;
  }
  const button = panel.querySelector("[data-push-enable]");
  const status = panel.querySelector("[data-push-status]");
  const say = (text) => { status.textContent = text; };
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  if (!supported) {
    button.disabled = true;
    say(panel.dataset.msgUnsupported);
    return;
  }

  // The key as PushManager wants it: bytes, from the base64url text of the settings.
  const keyBytes = (text) => {
    const base64 = (text + "=".repeat((4 - (text.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  };

  const hex = async (text) => {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  };

  const registration = () => navigator.serviceWorker.register("/sw.js", { scope: "/" })
    .then(() => navigator.serviceWorker.ready);

  // Which row is this browser: the page carries a digest of each endpoint, never the endpoint.
  const markThisDevice = async () => {
    const subscription = await (await registration()).pushManager.getSubscription();
    if (!subscription || !crypto.subtle) {
      return;
    }
    const row = document.querySelector(`[data-device="${await hex(subscription.endpoint)}"]`);
    if (row) {
      row.querySelector("[data-this-device]").classList.remove("d-none");
      button.classList.add("d-none"); // already on: nothing to turn on
      say(panel.dataset.msgOn);
    }
  };

  const subscribe = async () => {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      say(panel.dataset.msgDenied);
      return;
    }
    const manager = (await registration()).pushManager;
    const subscription = (await manager.getSubscription()) || (await manager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(panel.dataset.vapidKey),
    }));
    const response = await fetch(panel.dataset.subscribeUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": panel.querySelector("[data-push-csrf]").value,
      },
      body: JSON.stringify(subscription.toJSON()),
    });
    if (!response.ok) {
      throw new Error(`push-subscribe answered ${response.status}`);
    }
    window.location.reload();
  };

  button.addEventListener("click", () => {
    button.disabled = true;
    subscribe().catch(() => say(panel.dataset.msgFailed)).finally(() => { button.disabled = false; });
  });
  markThisDevice().catch(() => {});
})();
