"""Web Push in a real browser (Debian's Chromium): the push page turns push on for this device
(static/js/push.js posts the subscription with the CSRF token), and the service worker shows a
notification for a push event (delivered through the DevTools protocol, as a push service
would) and carries the notification's link."""

from __future__ import annotations

import base64
import json
import time

import pytest

from accounts.models import PushSubscription
from accounts.tests.test_push import Browser, b64url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ENDPOINT = "https://push.example.org/send/browser-test"

# Headless Chromium has no push service to subscribe with (no network): the test plays the
# browser's side of PushManager, with a subscription whose keys it made. Everything else is
# the page's own script and the portal's view.
FAKE_PUSH_MANAGER = """
(() => {
  const subscription = {
    endpoint: %(endpoint)s,
    unsubscribe() {
      localStorage.removeItem("test-push-key");
      return Promise.resolve(true);
    },
    toJSON() { return { endpoint: %(endpoint)s, expirationTime: null, keys: %(keys)s }; },
  };
  PushManager.prototype.subscribe = function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    localStorage.setItem("test-push-key", btoa(String.fromCharCode(...key)));
    return Promise.resolve(subscription);
  };
  PushManager.prototype.getSubscription = function () {
    return Promise.resolve(localStorage.getItem("test-push-key") ? subscription : null);
  };
})();
"""


def wait_for(page, check, timeout: float = 10.0):
    """Poll `check` while Playwright's loop runs (its events arrive only then)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        page.wait_for_timeout(200)
    raise AssertionError("timed out")


def test_push_is_turned_on_and_the_worker_shows_a_push(
    journey,
    watch_errors,
    live_server,
    head_b,
    vapid,
    settings,
) -> None:
    browser_keys = Browser.new()
    keys = {"p256dh": browser_keys.p256dh, "auth": b64url(browser_keys.auth)}
    person = journey()
    errors = watch_errors(person.page)
    context = person.page.context
    context.grant_permissions(["notifications"], origin=live_server.url)
    context.add_init_script(
        FAKE_PUSH_MANAGER % {"endpoint": json.dumps(ENDPOINT), "keys": json.dumps(keys)}
    )
    person.goto("/")
    person.login("head_b")

    # 1. The push page: no device yet; turn push on for this one.
    person.goto("/account/push/")
    assert person.page.locator("[data-testid=no-devices]").count() == 1
    person.shot("push-page")
    with person.page.expect_navigation():
        person.page.click("[data-testid=push-enable]")
    device = PushSubscription.objects.get()
    assert (device.user, device.endpoint, device.p256dh) == (head_b, ENDPOINT, keys["p256dh"])
    # The page subscribed with the portal's public key.
    sent_key = person.page.evaluate("localStorage.getItem('test-push-key')")
    assert b64url(base64.b64decode(sent_key)) == settings.VAPID_PUBLIC_KEY
    # Back on the page, this browser's row is marked as this device.
    badge = person.page.locator("[data-testid=push-device] [data-this-device]")
    badge.wait_for(state="visible")
    assert "Chrome" in person.page.locator("[data-testid=push-device] h3").inner_text()
    person.shot("push-on")

    # 2. A push reaches the service worker: it shows the notification, with its link.
    registration = person.page.evaluate(
        "navigator.serviceWorker.ready.then((r) => r.active && r.active.state)"
    )
    assert registration == "activated"
    cdp = context.new_cdp_session(person.page)
    registrations: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(
            r["registrationId"] for r in event["registrations"] if not r.get("isDeleted")
        ),
    )
    cdp.send("ServiceWorker.enable")
    registration_id = wait_for(person.page, lambda: registrations and registrations[-1])
    payload = {
        "title": "Trả lời tin báo TB-2026-00042 của bạn: Trộm cắp, Ấp B",
        "body": "Công an xã đã trả lời tin báo của bạn.",
        "url": "/notifications/",
        "tag": "notification-42",
    }
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server.url,
            "registrationId": registration_id,
            "data": json.dumps(payload, ensure_ascii=False),
        },
    )
    shown = wait_for(
        person.page,
        lambda: person.page.evaluate(
            """navigator.serviceWorker.ready
                 .then((r) => r.getNotifications())
                 .then((all) => all.map((n) => ({title: n.title, body: n.body, tag: n.tag,
                                                  url: n.data && n.data.url})))"""
        ),
    )
    assert shown == [
        {
            "title": payload["title"],
            "body": payload["body"],
            "tag": "notification-42",
            "url": "/notifications/",
        }
    ]
    person.shot("after-push")

    # 3. Removing the device asks first.
    person.page.click("[data-testid=push-device-remove]")
    person.page.wait_for_url("**/remove/")
    person.shot("remove-confirmation")
    person.page.click("[data-testid=push-remove-confirm]")
    person.page.wait_for_url("**/account/push/")
    assert not PushSubscription.objects.exists()

    # 4. On again, then logging out turns it off: on the portal and in the browser.
    with person.page.expect_navigation():
        person.page.click("[data-testid=push-enable]")
    assert PushSubscription.objects.filter(user=head_b).count() == 1
    person.logout()
    assert not PushSubscription.objects.exists()
    assert person.page.evaluate("localStorage.getItem('test-push-key')") is None
    assert errors == [], "\n".join(errors)
