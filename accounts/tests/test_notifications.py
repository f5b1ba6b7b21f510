"""The notifications core: once per key, e-mail after commit, a broker outage delays only."""

import datetime
import threading
from unittest import mock

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts import tasks
from accounts.models import Notification
from accounts.services import notification_send, notifications_mark_read
from binhyen.celery import app

pytestmark = pytest.mark.django_db


def send(user, key="report-new:1", **fields):
    return notification_send(
        user=user, key=key, kind="report_new", title=fields.pop("title", "Tin báo mới"), **fields
    )


def test_a_key_is_notified_once_per_user(police, officer_a) -> None:
    assert send(police) is not None
    assert send(police) is None  # the task ran twice
    assert send(officer_a) is not None  # another user, same event
    assert Notification.objects.filter(key="report-new:1").count() == 2


def test_inactive_users_are_not_notified(police) -> None:
    police.is_active = False
    police.save()
    assert send(police) is None
    assert not Notification.objects.exists()


def test_email_is_wanted_only_when_the_user_has_an_address(police, officer_a) -> None:
    police.email = "police@example.org"
    police.save()
    assert send(police, email=True).email_wanted is True
    assert send(officer_a, email=True).email_wanted is False  # no address: in-app only


def test_the_email_is_sent_once_with_a_link(police, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://binhyen.example.org/"
    police.email = "police@example.org"
    police.save()
    with (
        mock.patch.object(tasks.send_notification_email, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification = send(police, email=True, body="Ấp A: trộm cắp", url="/reports/1/")
    delay.assert_called_once_with(notification.pk)
    assert tasks.send_notification_email(notification.pk) is True
    assert tasks.send_notification_email(notification.pk) is False  # redelivered: nothing
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["police@example.org"]
    assert mail.outbox[0].subject == "Tin báo mới"
    assert mail.outbox[0].body.endswith("https://binhyen.example.org/reports/1/")


def test_a_broker_outage_delays_the_email_and_never_drops_it(
    police, django_capture_on_commit_callbacks
) -> None:
    police.email = "police@example.org"
    police.save()
    down = OperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")
    with (
        mock.patch.object(tasks.send_notification_email, "delay", side_effect=down),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification = send(police, email=True)
    assert Notification.objects.filter(pk=notification.pk).exists()  # saved all the same
    assert mail.outbox == []
    assert tasks.email_pending_notifications() == 0  # too recent: its task may still run
    later = timezone.now() + tasks.EMAIL_GRACE + datetime.timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert tasks.email_pending_notifications() == 1
        assert tasks.email_pending_notifications() == 0
    assert len(mail.outbox) == 1


def test_a_failed_send_is_given_back_to_the_scan(police) -> None:
    police.email = "police@example.org"
    police.save()
    notification = send(police, email=True)
    with (
        mock.patch.object(tasks, "send_mail", side_effect=ConnectionRefusedError),
        pytest.raises(ConnectionRefusedError),
    ):
        tasks.send_notification_email(notification.pk)
    notification.refresh_from_db()
    assert notification.emailed_at is None
    assert tasks.send_notification_email(notification.pk) is True


@pytest.mark.django_db(transaction=True)
def test_the_email_goes_through_a_real_broker_and_worker(police) -> None:
    police.email = "police@example.org"
    police.save()
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        notification = send(police, email=True)  # autocommit: enqueued at once
        # Wait on the outbox, not the row: reading the table while the worker thread writes it
        # makes SQLite's shared in-memory test database answer "table is locked".
        for _ in range(300):
            if mail.outbox:
                break
            threading.Event().wait(0.1)
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    assert [m.subject for m in mail.outbox] == ["Tin báo mới"]


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_of_one_key_make_one_notification(police) -> None:
    results, barrier = [], threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        try:
            results.append(send(police, key="posting-digest:2026-12-01:morning"))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1
    assert Notification.objects.count() == 1


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_e_mail_runs_send_once_and_reading_meanwhile_does_not_wait(police) -> None:
    """The task and the scan at the same moment: one of them sends, while the send holds only
    an advisory lock, so the user marking the notification read is not kept waiting."""
    police.email = "police@example.org"
    police.save()
    notification = send(police, email=True)
    sending, release, results = threading.Event(), threading.Event(), []

    def slow_send(**kwargs) -> None:
        sending.set()
        release.wait(10)
        mail.outbox.append(kwargs["subject"])

    def run() -> None:
        try:
            results.append(tasks.send_notification_email(notification.pk))
        finally:
            connection.close()

    with mock.patch.object(tasks, "send_mail", side_effect=slow_send):
        first = threading.Thread(target=run)
        first.start()
        assert sending.wait(10)
        run()  # the second run, while the first is sending
        assert notifications_mark_read(actor=police, ids=[notification.pk]) == 1
        release.set()
        first.join()
    assert sorted(results) == [False, True]
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.emailed_at is not None and notification.read_at is not None
    assert tasks.send_notification_email(notification.pk) is False


def test_marking_read_touches_only_ones_own(police, officer_a) -> None:
    mine = send(police, key="a")
    theirs = send(officer_a, key="a")
    assert notifications_mark_read(actor=police, ids=[mine.pk, theirs.pk]) == 1
    theirs.refresh_from_db()
    assert theirs.read_at is None


# --- Pages --------------------------------------------------------------------------------


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_needs_a_login(client) -> None:
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_list_shows_only_ones_own_with_the_unread_count(police, officer_a) -> None:
    send(police, key="a", title="Của tôi <b>đậm</b>")
    send(officer_a, key="a", title="Của người khác")
    response = signed_in(police).get("/notifications/")
    html = response.content.decode()
    assert "Của tôi &lt;b&gt;đậm&lt;/b&gt;" in html  # titles are text, never markup
    assert "Của người khác" not in html
    assert 'data-testid="unread-count">1<' in html


def test_the_empty_list_says_so(police) -> None:
    html = signed_in(police).get("/notifications/").content.decode()
    assert 'data-testid="notifications-empty"' in html
    assert 'data-testid="unread-count"' not in html


def test_the_list_pages_with_a_flat_query_count(police) -> None:
    client = signed_in(police)
    client.get("/notifications/")  # the session's first request also stamps its activity
    counts = []
    for size in (30, 90):
        for index in range(Notification.objects.count(), size):
            send(police, key=f"k{index}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/notifications/?page=2").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12  # session, user, device, page, unread count, …


def test_opening_marks_read_and_follows_the_link(police) -> None:
    notification = send(police, url="/coverage/")
    response = signed_in(police).post("/notifications/read/", {"open": notification.pk})
    assert response.status_code == 302
    assert response["Location"] == "/coverage/"
    notification.refresh_from_db()
    assert notification.is_read


def test_another_users_notification_cannot_be_opened(police, officer_a) -> None:
    theirs = send(officer_a, url="/coverage/")
    response = signed_in(police).post("/notifications/read/", {"open": theirs.pk})
    assert response["Location"] == "/notifications/"
    theirs.refresh_from_db()
    assert not theirs.is_read


def test_a_link_off_the_site_is_not_followed(police) -> None:
    notification = send(police, url="https://evil.example.com/")
    response = signed_in(police).post("/notifications/read/", {"open": notification.pk})
    assert response["Location"] == "/notifications/"


def test_mark_all_read(police) -> None:
    send(police, key="a")
    send(police, key="b")
    client = signed_in(police)
    assert client.post("/notifications/read/", {"all": "1"}).status_code == 302
    assert not police.notifications.unread().exists()
    assert client.get("/notifications/read/").status_code == 405  # POST only
