"""Web Push: what a notification's push says, which kinds a device can choose, and the sending
(pywebpush: the payload encrypted to the browser's keys, RFC 8291, and signed with the portal's
VAPID key, RFC 8292).

A push carries what the notification's e-mail carries, shorter: its title, the first line of
its text and its link (the notifications' own rule, reports/notifications.py: a code, a
category, a hamlet, a link; never a report's title, description, informant or tracking code).
It is shown on a phone's lock screen, so nothing more. Who gets it, once per device, and the
retries are accounts.services and accounts.tasks.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

# The kinds a user can choose per device, each with the notification kinds
# (Notification.kind) it covers. A kind of notification listed nowhere is "other".
PUSH_KINDS: dict[str, tuple[str, frozenset[str]]] = {
    "reports": (
        _("New and reopened reports in my hamlets"),
        frozenset({"report_new", "report_reopened"}),
    ),
    "replies": (
        _("Replies and changes of status of my reports"),
        frozenset({"report_reply", "report_status"}),
    ),
    "bulletins": (_("Posting reminders of bulletins"), frozenset({"posting-digest"})),
    "overdue": (
        _("Overdue reports and postings"),
        frozenset({"report_overdue_digest", "posting-escalation"}),
    ),
    "reviews": (_("Yearly review documents ready"), frozenset({"review_draft"})),
    "other": (_("Other notifications"), frozenset()),
}
ALL_KINDS = list(PUSH_KINDS)
OTHER = "other"

# Endpoints are the browsers' push services (https, on their own hosts): the workers post only
# there, never to an address of the portal's own network that a user typed in. Tests point
# them at a local server.
ENDPOINT_SCHEMES = ("https",)
ENDPOINT_HOSTS = (
    "fcm.googleapis.com",  # Chrome, Edge on Android, Cốc Cốc, Opera, Samsung Internet
    "push.services.mozilla.com",  # Firefox
    "push.apple.com",  # Safari (macOS, iOS 16.4+ from the home screen)
    "notify.windows.com",  # Edge on Windows
)
# Devices a user may have; turning push on for one more forgets the longest unused.
MAX_DEVICES = 20
# How long a push service keeps a message for a device that is offline (seconds).
TTL = 24 * 3600
TIMEOUT = 10  # seconds to wait for the push service
TITLE_MAX, BODY_MAX = 120, 180


def enabled() -> bool:
    """Push is on when the portal has its VAPID key pair (settings, .env.example)."""
    return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY)


def endpoint_allowed(endpoint: str) -> bool:
    """Whether `endpoint` is a push service's address (ENDPOINT_SCHEMES, ENDPOINT_HOSTS)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if parts.scheme.lower() not in ENDPOINT_SCHEMES or len(endpoint) > 1000:
        return False
    return any(host == allowed or host.endswith("." + allowed) for allowed in ENDPOINT_HOSTS)


def group_of(kind: str) -> str:
    """The choosable kind that covers the notification kind `kind`."""
    for name, (_label, kinds) in PUSH_KINDS.items():
        if kind in kinds:
            return name
    return OTHER


def wants(subscription, kind: str) -> bool:
    return group_of(kind) in (subscription.kinds or [])


def payload(notification) -> dict[str, str]:
    """What the device shows: the title, the first line of the text, the link (a path of the
    portal, opened by the service worker), and a tag so that a repeat replaces, not adds."""
    first_line = next((line for line in notification.body.splitlines() if line.strip()), "")
    return {
        "title": _shorten(notification.title, TITLE_MAX),
        "body": _shorten(first_line, BODY_MAX),
        "url": notification.url if notification.url.startswith("/") else "",
        "tag": f"notification-{notification.pk}",
    }


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Outcome:
    """What the push service answered: sent, gone (the subscription no longer exists: remove
    it) or refused for good (a 4xx other than 404/410/429: retrying would not help)."""

    sent: bool = False
    gone: bool = False
    refused: bool = False


class PushServiceUnavailable(Exception):
    """The push service is down, overloaded (5xx, 429) or unreachable: try again later."""


@cache
def _vapid(private_key: str):
    from py_vapid import Vapid

    return Vapid.from_string(private_key=private_key)


def send(subscription, data: dict[str, str]) -> Outcome:
    """Push `data` (JSON) to one device. Raises PushServiceUnavailable when it may work later."""
    import requests
    from pywebpush import WebPushException, webpush

    info = {
        "endpoint": subscription.endpoint,
        "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
    }
    try:
        webpush(
            subscription_info=info,
            data=json.dumps(data, ensure_ascii=False),
            vapid_private_key=_vapid(settings.VAPID_PRIVATE_KEY),
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            ttl=TTL,
            timeout=TIMEOUT,
        )
    except WebPushException as error:
        status = error.response.status_code if error.response is not None else None
        if status in (404, 410):
            return Outcome(gone=True)
        if status is None or status >= 500 or status == 429:
            raise PushServiceUnavailable(str(status)) from error
        log.warning("push refused: device=%s status=%s", subscription.pk, status)
        return Outcome(refused=True)
    except requests.RequestException as error:
        raise PushServiceUnavailable(type(error).__name__) from error
    return Outcome(sent=True)


def new_vapid_keys() -> tuple[str, str]:
    """A new VAPID key pair as the settings take it: (public, private), base64url (the public
    key an uncompressed P-256 point, the browser's applicationServerKey; the private key its
    raw 32 bytes)."""
    from py_vapid import Vapid

    key = Vapid()
    key.generate_keys()
    private = key.private_key.private_numbers().private_value.to_bytes(32, "big")
    return _b64url(_public_bytes(key)), _b64url(private)


def _public_bytes(key) -> bytes:
    from cryptography.hazmat.primitives import serialization  # with py_vapid, when used

    return key.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def check_vapid_keys(app_configs=None, **kwargs) -> list:
    """System check: both VAPID keys or neither, a pair that belongs together, and a subject
    push services accept (mailto: or https:). A wrong pair would be refused by every push
    service, silently for the users."""
    from django.core.checks import Error

    public, private = settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY
    if not public and not private:
        return []
    hint = "Make a pair with `manage.py vapid_keys` (see .env.example)."
    if not (public and private):
        return [Error("Only one of VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY is set.", hint=hint,
                      id="accounts.E001")]  # fmt: skip
    try:
        matches = _b64url(_public_bytes(_vapid(private))) == public.rstrip("=")
    except Exception:
        matches = False
    errors = []
    if not matches:
        errors.append(Error("VAPID_PRIVATE_KEY is unreadable or VAPID_PUBLIC_KEY is not its "
                            "public key.", hint=hint, id="accounts.E002"))  # fmt: skip
    if not settings.VAPID_SUBJECT.startswith(("mailto:", "https:")):
        errors.append(Error("VAPID_SUBJECT must be a mailto: or https: address.",
                            id="accounts.E003"))  # fmt: skip
    return errors


def device_label(user_agent: str) -> str:
    """A name a person recognises for a browser: "Chrome · Android" (no library: only the
    browsers and systems the portal's users have are told apart)."""
    browsers = (
        ("coc_coc_browser", "Cốc Cốc"),
        ("Zalo", "Zalo"),
        ("Edg", "Edge"),
        ("OPR", "Opera"),
        ("SamsungBrowser", "Samsung Internet"),
        ("Firefox", "Firefox"),
        ("Chrome", "Chrome"),
        ("Chromium", "Chromium"),
        ("Safari", "Safari"),
    )
    systems = (
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    )
    browser = next((name for mark, name in browsers if mark in user_agent), "")
    system = next((name for mark, name in systems if mark in user_agent), "")
    return " · ".join(part for part in (browser, system) if part)[:100]
