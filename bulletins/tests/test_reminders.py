"""Reminder digests: one per officer and slot of their pending and overdue postings, the
escalation digest to the commune police lead, exactly once under repeated and concurrent runs,
after a broker outage, and the beat schedules in the admin."""

from __future__ import annotations

import datetime
import io
import threading
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.models import Notification, User
from bulletins import tasks
from bulletins.models import BulletinSettings, Posting, ReminderDigest
from bulletins.services import due_slot, reminders_send
from bulletins.tests.factories import published

pytestmark = pytest.mark.django_db


def local(hour: int, minute: int = 0, days: int = 0) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def lead_of(user: User) -> User:
    user.user_permissions.add(Permission.objects.get(codename="receive_escalations"))
    return User.objects.get(pk=user.pk)  # a fresh permission cache


def digests(user: User, kind: str = "officer") -> list[ReminderDigest]:
    return list(ReminderDigest.objects.filter(user=user, kind=kind))


def test_the_due_slot_is_the_latest_time_that_has_come() -> None:
    times = [datetime.time(7, 30), datetime.time(16)]
    today, yesterday = timezone.localdate(), timezone.localdate() - datetime.timedelta(days=1)
    assert due_slot(local(7, 29), times) == (yesterday, datetime.time(16))
    assert due_slot(local(7, 30), times) == (today, datetime.time(7, 30))
    assert due_slot(local(15, 59), times) == (today, datetime.time(7, 30))
    assert due_slot(local(23, 59), times) == (today, datetime.time(16))


def test_one_digest_per_officer_with_all_their_postings(
    police: User, officer_a: User, officer_b: User, hamlet_a, hamlet_b, groups, group_a
) -> None:
    group_a.co_admins.add(officer_b)
    officer_b.hamlets.add(hamlet_a)  # a co-administrator in charge of both hamlets
    first = published(police, hamlet_a, hamlet_b)
    published(police, hamlet_a)
    Posting.objects.filter(bulletin=first).update(due_at=local(8))  # overdue at 16:30
    run = reminders_send(now=local(16, 30))
    assert (run.digests, run.escalations) == (2, 0)
    [digest] = digests(officer_a)
    assert (digest.postings, digest.overdue) == (4, 2)  # a1, a2 × two bulletins
    assert (digest.slot_date, digest.slot_time) == (timezone.localdate(), datetime.time(16))
    [co_admin] = digests(officer_b)
    assert (co_admin.postings, co_admin.overdue) == (3, 2)  # b1 × 1, a1 × 2 as co-admin
    note = Notification.objects.get(user=officer_a)
    assert note.key == f"posting-digest:{timezone.localdate().isoformat()}:16:00"
    assert "Nhóm A1" in note.body and "quá hạn" in note.body
    assert note.url == "/checklist/"
    assert not digests(police)  # administers no group


def test_a_co_admin_outside_their_scope_gets_no_digest(
    police: User, officer_b: User, hamlet_a, group_a
) -> None:
    group_a.co_admins.add(officer_b)  # officer_b is in charge of hamlet B only
    published(police, hamlet_a)
    reminders_send(now=local(16, 30))
    assert not digests(officer_b)
    assert digests(group_a.admin_officer)


def test_nothing_pending_sends_nothing(police: User, officer_a: User, hamlet_a, group_a) -> None:
    Posting.objects.filter(bulletin=published(police, hamlet_a)).update(
        status="posted", posted_at=timezone.now(), posted_by=officer_a
    )
    assert reminders_send(now=local(16, 30)).digests == 0
    assert not Notification.objects.exists()


def test_repeated_runs_send_once_per_slot(police: User, officer_a: User, hamlet_a, group_a) -> None:
    published(police, hamlet_a)
    assert reminders_send(now=local(7, 31)).digests == 1
    again = reminders_send(now=local(7, 35))  # beat firing twice, or the five-minute scan
    assert (again.digests, again.already_sent) == (0, 1)
    assert len(digests(officer_a)) == 1
    assert reminders_send(now=local(16, 1)).digests == 1  # the next slot
    assert Notification.objects.filter(user=officer_a).count() == 2


def test_the_command_runs_the_same_service(
    police: User, officer_a: User, hamlet_a, group_a
) -> None:
    published(police, hamlet_a)
    out = io.StringIO()
    call_command("send_reminders", stdout=out)  # by hand, now
    call_command("send_reminders", stdout=out)
    [digest] = digests(officer_a)
    assert (digest.slot_date, digest.slot_time) == due_slot(
        timezone.now(), [datetime.time(7, 30), datetime.time(16)]
    )
    assert "1 already sent" in out.getvalue()


def test_commune_times_are_used(police: User, officer_a: User, hamlet_a, group_a, commune) -> None:
    BulletinSettings.objects.create(commune=commune, reminder_times="09:15")
    published(police, hamlet_a)
    assert reminders_send(now=local(9, 10)).digests == 1  # yesterday's 09:15 slot
    assert reminders_send(now=local(9, 20)).digests == 1  # today's
    assert [d.slot_time for d in digests(officer_a)] == [datetime.time(9, 15)] * 2


def test_escalation_to_the_lead_after_n_days(
    police: User, approver: User, officer_a: User, hamlet_a, group_a, group_a2, commune
) -> None:
    lead = lead_of(approver)
    bulletin = published(police, hamlet_a)
    Posting.objects.filter(bulletin=bulletin, group=group_a).update(due_at=local(8, days=-3))
    Posting.objects.filter(bulletin=bulletin, group=group_a2).update(due_at=local(8, days=-1))
    run = reminders_send(now=local(16, 30))
    assert run.escalations == 1
    [escalation] = digests(lead, "escalation")
    assert escalation.postings == 1  # only the one overdue more than 2 days
    note = Notification.objects.get(user=lead, kind="posting-escalation")
    assert "Nhóm A1" in note.body and "Nhóm A2" not in note.body
    assert not digests(police, "escalation")  # police without the permission
    BulletinSettings.objects.create(commune=commune, escalate_after_days=1)
    reminders_send(now=local(16, 30, days=1))
    assert [d.postings for d in digests(lead, "escalation")] == [1, 2]


def test_a_missed_slot_is_sent_when_the_broker_is_back(
    police: User, officer_a: User, hamlet_a, group_a, django_capture_on_commit_callbacks
) -> None:
    """Beat could not deliver the 07:30 run (broker down): the next scan, at 09:00, sends the
    07:30 digest. Its e-mail, which cannot be queued either, raises nothing and is left for
    the notifications' periodic scan, which sends it once."""
    from kombu.exceptions import OperationalError

    from accounts import tasks as account_tasks

    officer_a.email = "cskv.a@example.org"
    officer_a.save()
    published(police, hamlet_a)
    down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with (
        mock.patch.object(account_tasks.send_notification_email, "delay", side_effect=down),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run = reminders_send(now=local(9))
    assert run.digests == 1
    [digest] = digests(officer_a)
    assert digest.slot_time == datetime.time(7, 30)
    note = Notification.objects.get(user=officer_a)
    assert note.email_wanted and note.emailed_at is None
    assert mail.outbox == []
    later = timezone.now() + account_tasks.EMAIL_GRACE + datetime.timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert account_tasks.email_pending_notifications() == 1
        assert account_tasks.email_pending_notifications() == 0
    assert [m.to for m in mail.outbox] == [["cskv.a@example.org"]]
    assert "Nhóm A1" in mail.outbox[0].body


def test_the_digest_is_emailed_after_commit(
    police: User, officer_a: User, hamlet_a, group_a, django_capture_on_commit_callbacks
) -> None:
    from accounts import tasks as account_tasks

    officer_a.email = "cskv.a@example.org"
    officer_a.save()
    published(police, hamlet_a)
    with (
        mock.patch.object(account_tasks.send_notification_email, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        reminders_send(now=local(16, 30))
        reminders_send(now=local(16, 35))
    note = Notification.objects.get(user=officer_a)
    delay.assert_called_once_with(note.pk)  # once, although the service ran twice


def test_the_run_query_count_does_not_grow_with_the_digests(
    police: User, officer_a: User, hamlet_a, group_a
) -> None:
    from django.test.utils import CaptureQueriesContext

    from accounts.roles import Role
    from conftest import make_user
    from groups.tests.factories import ZaloGroupFactory

    def queries(at: datetime.datetime) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            run = reminders_send(now=at)
        return len(captured), run.digests

    published(police, hamlet_a)
    few, sent = queries(local(7, 45))
    assert sent == 1
    for n in range(6):  # six more officers, each with a group of their own
        officer = make_user(f"cskv_{n}", Role.AREA_OFFICER, police.commune, [hamlet_a])
        ZaloGroupFactory(hamlet=hamlet_a, code=f"r{n}", admin_officer=officer)
    published(police, hamlet_a)
    many, sent = queries(local(16, 30))
    assert sent == 7
    assert many == few  # the digests' notifications are one INSERT, not ~4 queries each


def test_claims_are_inserted_in_batches(
    police: User, officer_a: User, hamlet_a, group_a, monkeypatch
) -> None:
    from accounts.roles import Role
    from bulletins import services
    from conftest import make_user
    from groups.tests.factories import ZaloGroupFactory

    for n in range(4):
        officer = make_user(f"cskv_{n}", Role.AREA_OFFICER, police.commune, [hamlet_a])
        ZaloGroupFactory(hamlet=hamlet_a, code=f"r{n}", admin_officer=officer)
    published(police, hamlet_a)
    monkeypatch.setattr(services, "CLAIM_BATCH", 2)
    run = reminders_send(now=local(16, 30))
    assert run.digests == 5 and ReminderDigest.objects.count() == 5
    assert Notification.objects.filter(kind="posting-digest").count() == 5
    again = reminders_send(now=local(16, 45))
    assert (again.digests, again.already_sent) == (0, 5)


def test_the_beat_task_runs_the_service(police: User, officer_a: User, hamlet_a, group_a) -> None:
    published(police, hamlet_a)
    with mock.patch("bulletins.tasks.reminders_send", wraps=reminders_send) as service:
        result = tasks.send_reminders()
    service.assert_called_once_with()
    assert set(result) == {"digests", "escalations", "already"}
    assert tasks.publish_scheduled() == 0


def test_the_schedules_are_in_the_admin_after_migrate() -> None:
    names = set(PeriodicTask.objects.values_list("name", flat=True))
    assert {"bulletin-reminders", "publish-scheduled-bulletins"} <= names
    reminders = PeriodicTask.objects.get(name="bulletin-reminders")
    assert reminders.task == "bulletins.send_reminders" and reminders.crontab.minute == "*/5"
    assert PeriodicTask.objects.get(name="publish-scheduled-bulletins").interval.every == 60
    # A timing changed in the admin survives the next migrate.
    reminders.enabled = False
    reminders.save()
    call_command("migrate", verbosity=0)
    assert PeriodicTask.objects.get(name="bulletin-reminders").enabled is False


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_once(
    police: User, officer_a: User, officer_b, hamlet_a, hamlet_b, groups
) -> None:
    """Two workers at the same moment: the unique claim lets exactly one send each digest."""
    published(police, hamlet_a, hamlet_b)
    barrier = threading.Barrier(4)
    results = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(reminders_send(now=local(16, 30)))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(run.digests for run in results) == 2
    assert ReminderDigest.objects.count() == 2
    assert Notification.objects.count() == 2


@pytest.mark.django_db(transaction=True)  # the scheduler closes the database connection
def test_a_timing_changed_in_the_admin_survives_a_restart_of_beat() -> None:
    """django-celery-beat alone writes settings over the admin's rows each time beat starts."""
    from binhyen.beat import Scheduler
    from binhyen.celery import app

    reminders = PeriodicTask.objects.get(name="bulletin-reminders")
    reminders.crontab.minute = "*/10"
    reminders.crontab.save()
    PeriodicTask.objects.filter(name="heartbeat").delete()  # as if new in settings
    Scheduler(app=app, lazy=True).setup_schedule()
    reminders.refresh_from_db()
    assert reminders.crontab.minute == "*/10"
    assert PeriodicTask.objects.filter(name="heartbeat", interval__every=60).exists()
