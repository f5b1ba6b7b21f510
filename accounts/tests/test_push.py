"""Web Push: real encryption (pywebpush) to a push service played by a local HTTP server, each
payload decrypted here with the subscription's own keys; once per device; gone devices removed;
a push service that is down delays, never loses; the push page and its doors."""

from __future__ import annotations

import base64
import datetime
import json
import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from py_vapid import Vapid02

from accounts import push, services, tasks
from accounts.models import Notification, PushDelivery, PushSubscription
from accounts.services import NotificationMessage, notification_send, notifications_send_many

pytestmark = pytest.mark.django_db

# The push services the portal posts to (the tests' own are patched in, conftest.py).
PUSH_SERVICES = push.ENDPOINT_HOSTS


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- A push service on 127.0.0.1 ------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushService:
    """What the local push service received, and the status it answers (201 by default)."""

    url: str
    received: list[Received] = field(default_factory=list)
    status: int = 201
    hold: threading.Event | None = None  # set: each request waits for it before answering
    arrived: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            service.received.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            service.arrived.set()
            if service.hold is not None:
                service.hold.wait(10)
            self.send_response(service.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield service
    server.shutdown()
    server.server_close()


@dataclass
class Browser:
    """A browser's side of a subscription: its key pair and auth secret, made here."""

    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @classmethod
    def new(cls) -> Browser:
        return cls(ec.generate_private_key(ec.SECP256R1()), os.urandom(16))

    @property
    def p256dh(self) -> str:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(public)

    def decrypt(self, body: bytes) -> dict:
        plain = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


def subscribe(user, service: PushService, name: str = "1", kinds=None) -> tuple:
    browser = Browser.new()
    device = services.push_subscribe(
        actor=user,
        endpoint=f"{service.url}/push/{name}",
        p256dh=browser.p256dh,
        auth=b64url(browser.auth),
        user_agent="Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile",
    )
    if kinds is not None:
        services.push_device_update(actor=user, device=device, kinds=kinds)
    return device, browser


def send(user, key="report-new:1", kind="report_new", **fields):
    return notification_send(
        user=user,
        key=key,
        kind=kind,
        title=fields.pop("title", "Tin báo mới TB-2026-00042: Trộm cắp, Ấp A"),
        body=fields.pop("body", "Ấp: Ấp A\nLoại: Trộm cắp\n\nĐọc và xử lý trên cổng."),
        url=fields.pop("url", "/reports/42/"),
        **fields,
    )


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    """Enqueued pushes run at once, as a worker would after the commit."""

    class Runner:
        def __enter__(self):
            self.patch = mock.patch.object(
                tasks.send_notification_push, "delay", side_effect=tasks.send_notification_push
            )
            self.delay = self.patch.__enter__()
            self.commit = django_capture_on_commit_callbacks(execute=True)
            self.commit.__enter__()
            return self

        def __exit__(self, *exc):
            self.commit.__exit__(*exc)
            self.patch.__exit__(*exc)

    return Runner()


def age_deliveries(minutes: float = 5) -> None:
    PushDelivery.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=minutes))


# --- The payload, encrypted to the device ---------------------------------------------------


def test_the_push_is_encrypted_to_the_device_and_signed_by_the_portal(
    police, vapid, push_service, run_tasks, settings
) -> None:
    device, browser = subscribe(police, push_service)
    with run_tasks:
        notification = send(police)
    assert len(push_service.received) == 1
    request = push_service.received[0]
    assert request.path == "/push/1"
    assert request.headers["content-encoding"] == "aes128gcm"
    assert int(request.headers["ttl"]) == push.TTL
    # The body is ciphertext: the text is not in it, and only the device's keys open it.
    assert b"TB-2026" not in request.body
    assert browser.decrypt(request.body) == {
        "title": "Tin báo mới TB-2026-00042: Trộm cắp, Ấp A",
        "body": "Ấp: Ấp A",
        "url": "/reports/42/",
        "tag": f"notification-{notification.pk}",
    }
    with pytest.raises(Exception):  # noqa: B017 (any decryption failure)
        Browser.new().decrypt(request.body)
    # The VAPID signature verifies with the portal's public key, for the push service's origin.
    authorization = request.headers["authorization"]
    assert Vapid02.verify(authorization)
    assert f"k={settings.VAPID_PUBLIC_KEY}" in authorization
    claims = json.loads(base64.urlsafe_b64decode(authorization.split("t=")[1].split(".")[1] + "=="))
    assert claims["aud"] == push_service.url and claims["sub"] == settings.VAPID_SUBJECT
    delivery = PushDelivery.objects.get()
    assert delivery.sent_at is not None and delivery.attempts == 1
    device.refresh_from_db()
    assert device.last_used_at is not None


def test_a_long_text_is_shortened_to_its_first_line(police, vapid, push_service, run_tasks):
    _device, browser = subscribe(police, push_service)
    with run_tasks:
        send(police, title="T" * 300, body="\n\n" + "Dòng đầu " * 50 + "\nDòng hai")
    data = browser.decrypt(push_service.received[0].body)
    assert len(data["title"]) == push.TITLE_MAX and data["title"].endswith("…")
    assert len(data["body"]) <= push.BODY_MAX and data["body"].startswith("Dòng đầu")
    assert "Dòng hai" not in data["body"]


# --- Once per device ---------------------------------------------------------------------------


def test_each_device_gets_it_once_with_its_own_keys(police, vapid, push_service, run_tasks):
    _phone, phone = subscribe(police, push_service, "phone")
    _desk, desk = subscribe(police, push_service, "desk")
    with run_tasks:
        notification = send(police)
        assert send(police) is None  # the same key again: nothing new
    assert sorted(r.path for r in push_service.received) == ["/push/desk", "/push/phone"]
    by_path = {r.path: r.body for r in push_service.received}
    assert phone.decrypt(by_path["/push/phone"])["tag"] == f"notification-{notification.pk}"
    assert desk.decrypt(by_path["/push/desk"])["tag"] == f"notification-{notification.pk}"
    # The task again (a redelivery), and the scan later: nothing is pushed twice.
    assert tasks.send_notification_push(notification.pk) == 0
    age_deliveries()
    assert tasks.push_pending_notifications() == 0
    assert len(push_service.received) == 2


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_push_runs_send_once(police, vapid, push_service) -> None:
    """The task and the scan at the same moment: one of them pushes, the other finds the
    delivery locked or done."""
    _device, browser = subscribe(police, push_service)
    with mock.patch.object(tasks.send_notification_push, "delay"):
        notification = send(police)
    push_service.hold = threading.Event()
    results = []

    def run() -> None:
        try:
            results.append(tasks.send_notification_push(notification.pk))
        finally:
            connection.close()

    first = threading.Thread(target=run)
    first.start()
    assert push_service.arrived.wait(10)
    run()  # while the first is still waiting for the push service
    push_service.hold.set()
    first.join()
    assert sorted(results) == [0, 1]
    assert len(push_service.received) == 1
    assert (
        browser.decrypt(push_service.received[0].body)["tag"] == f"notification-{notification.pk}"
    )
    assert PushDelivery.objects.get().sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_push_goes_through_a_real_broker_and_worker(police, vapid, push_service) -> None:
    from celery.contrib.testing.worker import start_worker

    from binhyen.celery import app

    _device, browser = subscribe(police, push_service)
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        notification = send(police)  # autocommit: enqueued at once
        # Wait on the push service, not the rows (SQLite's shared test database and the
        # worker's thread: see test_notifications.py).
        for _ in range(300):
            if push_service.received:
                break
            threading.Event().wait(0.1)
    assert len(push_service.received) == 1
    assert browser.decrypt(push_service.received[0].body)["tag"] == (
        f"notification-{notification.pk}"
    )


def test_another_users_device_gets_nothing(police, officer_a, vapid, push_service, run_tasks):
    subscribe(officer_a, push_service, "officer")
    with run_tasks:
        send(police)
    assert push_service.received == []


def test_a_device_gets_only_the_kinds_chosen(police, vapid, push_service, run_tasks) -> None:
    subscribe(police, push_service, "reports-only", kinds=["reports"])
    subscribe(police, push_service, "reviews-only", kinds=["reviews"])
    with run_tasks:
        send(police, key="a", kind="report_new")
        send(police, key="b", kind="review_draft")
        send(police, key="c", kind="posting-digest")  # chosen by neither
        send(police, key="d", kind="something-new")  # "other": chosen by neither
    assert sorted(r.path for r in push_service.received) == [
        "/push/reports-only",
        "/push/reviews-only",
    ]
    assert PushDelivery.objects.count() == 2


def test_every_kind_the_portal_sends_is_choosable() -> None:
    sent_by_the_portal = {
        "report_new",
        "report_reply",
        "report_status",
        "report_overdue_digest",
        "posting-digest",
        "posting-escalation",
        "review_draft",
    }
    assert {push.group_of(kind) for kind in sent_by_the_portal} <= set(push.ALL_KINDS) - {
        push.OTHER
    }


def test_many_notifications_are_pushed_once_each(police, officer_a, vapid, push_service, run_tasks):
    _p, police_browser = subscribe(police, push_service, "police")
    _o, officer_browser = subscribe(officer_a, push_service, "officer")
    messages = [
        NotificationMessage(user=user, key="posting-digest:2026-12-01:07:30",
                            kind="posting-digest", title="3 việc đăng tin", body="Nhóm A")
        for user in (police, officer_a, police)
    ]  # fmt: skip
    with run_tasks as runner:
        sent = notifications_send_many(messages)
    assert len(sent) == 2 and runner.delay.call_count == 2
    by_path = {r.path: r.body for r in push_service.received}
    assert police_browser.decrypt(by_path["/push/police"])["title"] == "3 việc đăng tin"
    assert officer_browser.decrypt(by_path["/push/officer"])["body"] == "Nhóm A"
    with run_tasks:
        assert notifications_send_many(messages) == []
    assert len(push_service.received) == 2


def test_with_the_broker_down_the_scan_pushes(police, vapid, push_service, caplog) -> None:
    from kombu.exceptions import OperationalError

    subscribe(police, push_service)
    down = mock.patch.object(
        tasks.send_notification_push, "delay", side_effect=OperationalError("down")
    )
    with down:
        send(police)  # on_commit enqueue fails (the test's transaction never commits anyway)
    assert push_service.received == []
    assert tasks.push_pending_notifications() == 0  # within its grace period
    age_deliveries()
    assert tasks.push_pending_notifications() == 1
    assert tasks.push_pending_notifications() == 0
    assert len(push_service.received) == 1


# --- Push services that are gone, refuse or are down ----------------------------------------


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_removed(police, vapid, push_service, run_tasks, status) -> None:
    device, _browser = subscribe(police, push_service)
    push_service.status = status
    with run_tasks:
        notification = send(police)
    assert not PushSubscription.objects.filter(pk=device.pk).exists()
    assert not PushDelivery.objects.exists()
    assert Notification.objects.filter(pk=notification.pk).exists()  # still on the portal
    age_deliveries()
    assert tasks.push_pending_notifications() == 0
    assert len(push_service.received) == 1


def test_a_push_service_that_is_down_delays_the_push(police, vapid, push_service, run_tasks):
    _device, browser = subscribe(police, push_service)
    push_service.status = 503
    with run_tasks:
        notification = send(police)
    delivery = PushDelivery.objects.get()
    assert delivery.sent_at is None and delivery.attempts == 1
    age_deliveries()
    assert tasks.push_pending_notifications() == 0  # still down
    assert PushDelivery.objects.get().attempts == 2
    push_service.status = 201
    assert tasks.push_pending_notifications() == 1
    assert tasks.push_pending_notifications() == 0
    assert len(push_service.received) == 3
    assert browser.decrypt(push_service.received[-1].body)["tag"] == (
        f"notification-{notification.pk}"
    )
    assert PushDelivery.objects.get().sent_at is not None


def test_an_unreachable_push_service_delays_the_push(police, vapid, run_tasks) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    gone = PushService(url=f"http://127.0.0.1:{port}")
    device, _browser = subscribe(police, gone)
    with run_tasks:
        send(police)
    delivery = PushDelivery.objects.get()
    assert delivery.sent_at is None and delivery.attempts == 1
    assert PushSubscription.objects.filter(pk=device.pk).exists()


def test_a_refusal_is_not_retried(police, vapid, push_service, run_tasks) -> None:
    subscribe(police, push_service)
    push_service.status = 400
    with run_tasks:
        send(police)
    assert PushDelivery.objects.get().sent_at is not None  # done: retrying would not help
    age_deliveries()
    assert tasks.push_pending_notifications() == 0
    assert len(push_service.received) == 1


def test_one_broken_device_holds_up_no_other(police, vapid, push_service, run_tasks) -> None:
    _good, browser = subscribe(police, push_service, "good")
    PushSubscription.objects.create(
        user=police,
        endpoint=f"{push_service.url}/push/broken",
        p256dh="AAAA",
        auth="AAAA",
        kinds=push.ALL_KINDS,
    )  # keys no browser makes: encrypting to them fails
    with run_tasks:
        notification = send(police)
    assert [r.path for r in push_service.received] == ["/push/good"]
    assert browser.decrypt(push_service.received[0].body)["tag"] == (
        f"notification-{notification.pk}"
    )
    broken = PushDelivery.objects.get(subscription__endpoint__endswith="/broken")
    assert broken.sent_at is None and broken.attempts == 1  # left for the scan


def test_pushes_too_old_are_dropped(police, vapid, push_service) -> None:
    push_service.status = 503
    subscribe(police, push_service)
    with mock.patch.object(tasks.send_notification_push, "delay"):
        send(police)
    age_deliveries(minutes=tasks.PUSH_HORIZON.total_seconds() / 60 + 1)
    assert tasks.push_pending_notifications() == 0
    assert not PushDelivery.objects.exists() and push_service.received == []


def test_without_keys_push_is_off(police, push_service, run_tasks, settings) -> None:
    settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = ""
    PushSubscription.objects.create(
        user=police, endpoint=f"{push_service.url}/push/1", p256dh="x", auth="y",
        kinds=push.ALL_KINDS,
    )  # fmt: skip
    with run_tasks as runner:
        send(police)
    assert not PushDelivery.objects.exists() and runner.delay.call_count == 0
    with pytest.raises(services.ValidationError):
        subscribe(police, push_service, "2")


# --- Subscribing -------------------------------------------------------------------------------


def test_a_subscription_is_checked(police, vapid) -> None:
    browser = Browser.new()
    good = {"p256dh": browser.p256dh, "auth": b64url(browser.auth)}
    for endpoint, keys in (
        ("ftp://push.example.org/1", good),
        ("https://intranet.example.net/1", good),  # not a push service
        ("https://push.example.org.evil.net/1", good),
        ("https://push.example.org/1", {**good, "p256dh": b64url(b"short")}),
        ("https://push.example.org/1", {**good, "auth": "!!"}),
        ("https://push.example.org/1", {**good, "p256dh": b64url(b"\x04" + bytes(64))}),
    ):
        with pytest.raises(services.ValidationError):
            services.push_subscribe(actor=police, endpoint=endpoint, **keys)
    assert not PushSubscription.objects.exists()


def test_only_the_browsers_push_services_are_posted_to() -> None:
    with (
        mock.patch.object(push, "ENDPOINT_HOSTS", PUSH_SERVICES),
        mock.patch.object(push, "ENDPOINT_SCHEMES", ("https",)),
    ):
        for endpoint in (
            "https://fcm.googleapis.com/fcm/send/abc:def",
            "https://updates.push.services.mozilla.com/wpush/v2/gAAA",
            "https://web.push.apple.com/QGx",
            "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
        ):
            assert push.endpoint_allowed(endpoint), endpoint
        for endpoint in (
            "https://fcm.googleapis.com.evil.net/x",
            "http://fcm.googleapis.com/x",
            "https://127.0.0.1/x",
            "https://[::1/x",
        ):
            assert not push.endpoint_allowed(endpoint), endpoint


def test_a_user_keeps_at_most_so_many_devices(police, vapid, push_service) -> None:
    with mock.patch.object(push, "MAX_DEVICES", 2):
        first, _b = subscribe(police, push_service, "1")
        PushSubscription.objects.filter(pk=first.pk).update(last_used_at=timezone.now())
        subscribe(police, push_service, "2")
        third, _b = subscribe(police, push_service, "3")
    kept = set(PushSubscription.objects.values_list("pk", flat=True))
    assert kept == {first.pk, third.pk}  # the one used, and the newest


def test_a_browser_used_by_someone_else_moves_to_them(police, officer_a, vapid, push_service):
    device, _browser = subscribe(police, push_service)
    services.push_device_update(actor=police, device=device, kinds=["reports"])
    moved, _b = subscribe(officer_a, push_service)  # the same endpoint
    assert PushSubscription.objects.get().user == officer_a
    assert moved.kinds == push.ALL_KINDS and moved.label == "Chrome · Android"
    again, _b = subscribe(officer_a, push_service)
    assert again.pk == moved.pk


def test_only_ones_own_device_is_changed(police, officer_a, vapid, push_service) -> None:
    device, _browser = subscribe(police, push_service)
    with pytest.raises(services.PermissionDenied):
        services.push_device_update(actor=officer_a, device=device, kinds=[])
    with pytest.raises(services.PermissionDenied):
        services.push_device_remove(actor=officer_a, device=device)
    assert PushSubscription.objects.get().kinds == push.ALL_KINDS


# --- What a push says: never a report's text, informant or tracking code ------------------------


def test_no_report_text_informant_or_tracking_code_is_pushed(
    hamlet_a, hamlet_b, head_b, officer_a, police, vapid, push_service, run_tasks
) -> None:
    from reports import tasks as report_tasks
    from reports.models import IncidentReport
    from reports.services import report_comment
    from reports.tests.factories import INFORMANT, MARKER, file_report
    from reports.tips.services import tip_submit

    officer_a.hamlets.add(hamlet_b)
    browsers = [subscribe(user, push_service, user.username)[1]
                for user in (head_b, officer_a, police)]  # fmt: skip
    title, description = f"Tiêu đề {MARKER}", f"Mô tả {MARKER} gọi 0912555417"
    report = file_report(head_b, hamlet_b, title=title, description=description,
                         informant=dict(INFORMANT))  # fmt: skip
    tip = tip_submit(hamlet=hamlet_a, category="crime", description=f"Tôi là {MARKER}")
    with run_tasks:
        report_tasks.notify_new_report(report.pk)
        report_tasks.notify_new_report(tip.report.pk)
        report_comment(actor=police, report=report, text=f"Trả lời {MARKER}", shared=True)
        report_tasks.notify_pending_reports()
        IncidentReport.objects.update(due_at=timezone.now() - datetime.timedelta(days=1))
        report_tasks.send_overdue_digest()
    assert len(push_service.received) >= 3
    said = []
    for request in push_service.received:
        for browser in browsers:
            try:
                said.append(json.dumps(browser.decrypt(request.body), ensure_ascii=False))
            except Exception:  # noqa: S112 (another device's push)
                continue
    assert len(said) == len(push_service.received)
    text = "\n".join(said)
    assert report.code in text and tip.report.code in text  # it is about them
    for secret in (MARKER, title, description, tip.code, tip.code.replace("-", "")):
        assert secret not in text
    assert not re.search(r"912\D?555\D?417", text)
    assert INFORMANT["name"] not in text


# --- The push page and its doors ---------------------------------------------------------------


def test_the_page_says_push_is_off_without_keys(client: Client, police) -> None:
    client.force_login(police)
    page = client.get(reverse("push-devices")).content.decode()
    assert 'data-testid="push-off"' in page and "data-push " not in page


def test_the_page_offers_push_with_the_public_key(client: Client, police, vapid, push_service):
    device, _browser = subscribe(police, push_service)
    client.force_login(police)
    page = client.get(reverse("push-devices")).content.decode()
    assert "push-off" not in page
    assert f'data-vapid-key="{push.settings.VAPID_PUBLIC_KEY}"' in page
    assert "Chrome · Android" in page
    assert device.endpoint not in page  # a capability URL: never on a page


def test_subscribing_through_the_view(police, vapid) -> None:
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Safari/604")
    client.force_login(police)
    page = client.get(reverse("push-devices"))
    csrf = re.search(r'value="([^"]+)" data-push-csrf', page.content.decode())[1]
    browser = Browser.new()
    keys = {"p256dh": browser.p256dh, "auth": b64url(browser.auth)}
    body = json.dumps({"endpoint": "https://push.example.org/send/abc", "keys": keys})
    url = reverse("push-subscribe")
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 403  # no CSRF token
    made = client.post(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert made.status_code == 201
    device = PushSubscription.objects.get(pk=made.json()["id"])
    assert device.user == police and device.label == "Safari · iPhone"
    bad = client.post(url, "{}", content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert bad.status_code == 400
    junk = client.post(url, "not json", content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert junk.status_code == 400


def test_anonymous_users_are_sent_to_login(client: Client, police, vapid, push_service) -> None:
    device, _browser = subscribe(police, push_service)
    login = reverse("login")
    for method, url in (
        ("get", reverse("push-devices")),
        ("post", reverse("push-subscribe")),
        ("post", reverse("push-device", args=[device.pk])),
        ("get", reverse("push-device-remove", args=[device.pk])),
        ("post", reverse("push-device-remove", args=[device.pk])),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(login), url
    assert PushSubscription.objects.filter(pk=device.pk).exists()


def test_another_users_device_is_missing(client: Client, police, officer_a, vapid, push_service):
    device, _browser = subscribe(police, push_service)
    client.force_login(officer_a)
    assert client.post(reverse("push-device", args=[device.pk]), {"kinds": []}).status_code == 404
    remove = reverse("push-device-remove", args=[device.pk])
    assert client.get(remove).status_code == 404
    assert client.post(remove).status_code == 404
    device.refresh_from_db()
    assert device.kinds == push.ALL_KINDS
    assert "Chrome · Android" not in client.get(reverse("push-devices")).content.decode()


def test_choosing_kinds_and_removing_a_device(client: Client, police, vapid, push_service):
    device, _browser = subscribe(police, push_service)
    client.force_login(police)
    response = client.post(reverse("push-device", args=[device.pk]),
                           {"kinds": ["replies", "reviews", "made-up"]})  # fmt: skip
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.kinds == ["replies", "reviews"]
    remove = reverse("push-device-remove", args=[device.pk])
    confirm = client.get(remove)
    assert confirm.status_code == 200 and b"push-remove-confirm" in confirm.content
    assert PushSubscription.objects.filter(pk=device.pk).exists()  # asking removes nothing
    assert client.post(remove).status_code == 302
    assert not PushSubscription.objects.filter(pk=device.pk).exists()
    assert client.get(reverse("push-device", args=[device.pk])).status_code == 405


def test_logging_out_turns_push_off_for_this_browser_only(
    client: Client, police, officer_a, vapid, push_service
) -> None:
    here, _browser = subscribe(police, push_service, "here")
    elsewhere, _browser = subscribe(police, push_service, "elsewhere")
    theirs, _browser = subscribe(officer_a, push_service, "theirs")
    client.force_login(police)
    logout = reverse("logout")
    # Someone else's endpoint (a shared browser the officer subscribed) is not police's to drop.
    assert client.post(logout, {"push_endpoint": theirs.endpoint}).status_code == 302
    assert "_auth_user_id" not in client.session
    client.force_login(police)
    client.post(logout, {"push_endpoint": here.endpoint})
    assert set(PushSubscription.objects.all()) == {elsewhere, theirs}
    client.force_login(police)
    assert client.post(logout).status_code == 302  # a browser without push logs out as before
    assert client.post(logout, {"push_endpoint": elsewhere.endpoint}).status_code == 302
    assert PushSubscription.objects.filter(pk=elsewhere.pk).exists()  # signed out already


def test_the_keys_are_checked(settings, vapid) -> None:
    assert push.check_vapid_keys() == []
    public = settings.VAPID_PUBLIC_KEY
    settings.VAPID_PUBLIC_KEY = ""
    assert [e.id for e in push.check_vapid_keys()] == ["accounts.E001"]
    other, _private = push.new_vapid_keys()
    settings.VAPID_PUBLIC_KEY = other
    assert [e.id for e in push.check_vapid_keys()] == ["accounts.E002"]
    settings.VAPID_PUBLIC_KEY, settings.VAPID_SUBJECT = public, "admin@example.org"
    assert [e.id for e in push.check_vapid_keys()] == ["accounts.E003"]
    settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = ""
    assert push.check_vapid_keys() == []


def test_an_officer_turns_push_on_and_a_report_filed_in_their_hamlet_arrives_once(
    hamlet_b, head_b, officer_a, police, vapid, push_service, run_tasks
) -> None:
    """The issue's "done when": the area officer turns push on (the page's view), the hamlet's
    head files a report (the form), and one push reaches the officer's push service, which
    the subscription's own keys decrypt."""
    from reports import tasks as report_tasks
    from reports.models import IncidentReport

    officer_a.hamlets.add(hamlet_b)  # the area officer of hamlet B
    officer = Client(enforce_csrf_checks=True, HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14)")
    officer.force_login(officer_a)
    page = officer.get(reverse("push-devices"))
    csrf = re.search(r'value="([^"]+)" data-push-csrf', page.content.decode())[1]
    browser = Browser.new()
    body = {"endpoint": f"{push_service.url}/push/officer",
            "keys": {"p256dh": browser.p256dh, "auth": b64url(browser.auth)}}  # fmt: skip
    made = officer.post(
        reverse("push-subscribe"), json.dumps(body), content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )  # fmt: skip
    assert made.status_code == 201
    head = Client()
    head.force_login(head_b)
    filed = head.post(reverse("reports:report-create"), {
        "hamlet": hamlet_b.pk, "category": "crime", "urgency": "normal", "title": "Mất trộm gà",
        "description": "Đêm qua mất 5 con gà.", "occurred_at": "2026-01-15T21:30",
    })  # fmt: skip
    assert filed.status_code == 302
    report = IncidentReport.objects.get()
    with run_tasks:
        report_tasks.notify_new_report(report.pk)  # what the worker runs after the commit
        report_tasks.notify_new_report(report.pk)  # a redelivered task: nothing twice
    to_officer = [r for r in push_service.received if r.path == "/push/officer"]
    assert len(to_officer) == 1
    message = browser.decrypt(to_officer[0].body)
    assert report.code in message["title"] and "Mất trộm gà" not in json.dumps(message)
    assert message["url"].endswith(f"/reports/{report.pk}/")
