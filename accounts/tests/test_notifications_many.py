"""notifications_send_many: notification_send's rules for many messages in one statement."""

import datetime
import threading
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts import services, tasks
from accounts.models import Notification, User
from accounts.services import NotificationMessage, notification_send, notifications_send_many

pytestmark = pytest.mark.django_db


def message(user, key="posting-digest:2026-12-01:16:00", **fields) -> NotificationMessage:
    return NotificationMessage(
        user=user, key=key, kind="posting-digest", title=fields.pop("title", "3 tin cần đăng"),
        **fields,
    )  # fmt: skip


def officers(n: int, commune) -> list[User]:
    return [
        User.objects.create_user(
            username=f"cskv-many-{i}", password="x", commune=commune, email=f"cskv{i}@example.org"
        )
        for i in range(n)
    ]


def test_each_user_is_notified_once_per_key(police, officer_a) -> None:
    sent = notifications_send_many([message(police), message(officer_a), message(police)])
    assert [n.user for n in sent] == [police, officer_a]  # the repeat within the call: once
    assert all(n.pk for n in sent)
    assert notifications_send_many([message(police), message(officer_a)]) == []  # run twice
    assert Notification.objects.count() == 2
    assert notification_send(user=police, key=message(police).key, kind="x", title="t") is None


def test_duplicates_of_existing_keys_are_skipped_and_the_rest_sent(police, officer_a) -> None:
    first = notification_send(user=police, key="k:1", kind="posting-digest", title="Trước")
    sent = notifications_send_many([message(police, "k:1"), message(officer_a, "k:1")])
    assert [n.user for n in sent] == [officer_a]
    assert Notification.objects.get(user=police, key="k:1").pk == first.pk
    assert Notification.objects.get(user=police, key="k:1").title == "Trước"  # untouched


def test_fields_are_stored_as_by_the_single_version(police, officer_a) -> None:
    police.email = "police@example.org"
    police.save()
    title = "Đ" * 250
    (sent,) = notifications_send_many(
        [message(police, title=title, body="• Nhóm 1: Bản tin\n• Nhóm 2", url="/checklist/",
                 email=True)]
    )  # fmt: skip
    stored = Notification.objects.get()
    assert stored.pk == sent.pk
    assert stored.title == title[:200]
    assert (stored.body, stored.url, stored.kind) == ("• Nhóm 1: Bản tin\n• Nhóm 2", "/checklist/",
                                                      "posting-digest")  # fmt: skip
    assert stored.email_wanted is True and stored.emailed_at is None and stored.read_at is None
    (no_address,) = notifications_send_many([message(officer_a, email=True)])
    assert no_address.email_wanted is False  # no address: in-app only


def test_inactive_users_are_not_notified(police, officer_a) -> None:
    police.is_active = False
    police.save()
    assert [n.user for n in notifications_send_many([message(police), message(officer_a)])] == [
        officer_a
    ]
    assert notifications_send_many([]) == []


def test_each_email_is_enqueued_once_after_commit(
    police, commune, django_capture_on_commit_callbacks
) -> None:
    users = officers(3, commune)
    with (
        mock.patch.object(tasks.send_notification_email, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        sent = notifications_send_many([message(user, email=True) for user in users])
        again = notifications_send_many([message(user, email=True) for user in users])
        assert delay.call_count == 0  # not before the commit
    assert again == []
    assert sorted(call.args for call in delay.call_args_list) == sorted((n.pk,) for n in sent)
    for notification in sent:
        assert tasks.send_notification_email(notification.pk) is True
        assert tasks.send_notification_email(notification.pk) is False  # redelivered
    assert sorted(m.to[0] for m in mail.outbox) == sorted(user.email for user in users)


def test_a_broker_outage_leaves_every_email_to_the_scan(
    commune, django_capture_on_commit_callbacks
) -> None:
    users = officers(4, commune)
    down = OperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")
    with (
        mock.patch.object(tasks.send_notification_email, "delay", side_effect=down) as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        notifications_send_many([message(user, email=True) for user in users])
    assert delay.call_count == 1  # the first failure stops the rest: no retries per e-mail
    assert Notification.objects.filter(email_wanted=True, emailed_at__isnull=True).count() == 4
    later = timezone.now() + tasks.EMAIL_GRACE + datetime.timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert tasks.email_pending_notifications() == 4
        assert tasks.email_pending_notifications() == 0
    assert len(mail.outbox) == 4


def test_the_query_count_is_flat_in_the_number_of_messages(commune) -> None:
    def queries(users: list[User], key: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            sent = notifications_send_many([message(user, key, email=True) for user in users])
        assert len(sent) == len(users)
        return len(captured)

    few = officers(2, commune)
    many = [
        User.objects.create_user(username=f"cskv-more-{i}", password="x", commune=commune)
        for i in range(40)
    ]
    assert queries(few, "a") == queries(many, "b")
    assert queries(few, "c") <= 4  # the INSERT inside a savepoint, the inbox versions


def test_large_runs_are_split_in_batches(commune, monkeypatch) -> None:
    monkeypatch.setattr(services, "NOTIFICATION_BATCH", 3)
    users = officers(7, commune)
    with CaptureQueriesContext(connection) as captured:
        sent = notifications_send_many([message(user) for user in users])
    assert len(sent) == 7
    assert sum("INSERT" in q["sql"] for q in captured) == 3
    assert Notification.objects.count() == 7


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_bulk_senders_notify_each_key_once(commune) -> None:
    users = officers(30, commune)
    results, errors, barrier = [], [], threading.Barrier(4)

    def worker(offset: int) -> None:
        barrier.wait()
        try:
            # Overlapping, differently ordered batches of the same keys.
            batch = users[offset:] + users[:offset]
            results.append(notifications_send_many([message(user) for user in batch]))
        except Exception as error:  # a deadlock, say: each sender must succeed
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i * 7,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(len(sent) for sent in results) == 30
    assert Notification.objects.count() == 30
