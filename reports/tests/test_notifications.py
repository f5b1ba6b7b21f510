"""Notifications of reports: who is told, exactly once, after a broker outage, the daily digest
of overdue reports, and no informant or tracking code in any message, e-mail or log."""

from __future__ import annotations

import contextlib
import datetime
import re
import threading
from collections.abc import Iterator
from unittest import mock

import kombu.pools
import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.core import mail
from django.db import OperationalError, connection
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from accounts import tasks as account_tasks
from accounts.models import Notification, User
from binhyen.celery import app
from groups.models import Hamlet
from reports import tasks
from reports.models import IncidentReport, Status, Urgency
from reports.notifications import new_report_recipients, police_leads
from reports.tests.factories import INFORMANT, MARKER, IncidentReportFactory, file_report
from reports.tips.services import tip_submit

pytestmark = pytest.mark.django_db

DOWN = BrokerError("Error 111 connecting to 127.0.0.1:1. Connection refused.")


@pytest.fixture(autouse=True)
def _addresses(police: User, officer_a: User, head_b: User) -> None:
    for user in (police, officer_a, head_b):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])


def deliver() -> None:
    """Run the e-mail task of every notification (what the worker does after commit)."""
    for pk in Notification.objects.filter(email_wanted=True).values_list("pk", flat=True):
        account_tasks.send_notification_email(pk)


def later(minutes: float) -> mock._patch:
    moment = timezone.now() + datetime.timedelta(minutes=minutes)
    return mock.patch("django.utils.timezone.now", return_value=moment)


def age(report: IncidentReport, minutes: float = 5) -> None:
    """As if the report had been filed `minutes` ago (past the scan's grace period)."""
    IncidentReport.objects.filter(pk=report.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )


# --- who ----------------------------------------------------------------------------------


def test_a_new_report_goes_to_the_area_officers_of_its_hamlet(
    hamlet_a, head_b, officer_a, police, outsider, party_office, leader
) -> None:
    report = IncidentReportFactory(hamlet=hamlet_a)
    assert new_report_recipients(report) == [officer_a]


def test_without_an_area_officer_the_commune_police_are_told(
    hamlet_b, head_b, officer_a, police, outsider, party_office, leader
) -> None:
    report = file_report(head_b, hamlet_b)  # hamlet B has a head but no area officer
    assert new_report_recipients(report) == [police]


def test_choosing_recipients_does_not_grow_with_the_commune(
    commune, hamlet_b, head_b, police, django_assert_max_num_queries
) -> None:
    from accounts.roles import Role
    from conftest import make_user

    report = file_report(head_b, hamlet_b)
    new_report_recipients(report)  # the candidates' access read once (accounts.access)
    for size in (5, 40):
        for n in range(User.objects.count(), size):
            make_user(f"head{n}", Role.HAMLET_HEAD, commune, [hamlet_b])
        with django_assert_max_num_queries(8):
            assert new_report_recipients(report) == [police]


def test_the_filer_is_not_told_of_their_own_report(hamlet_a, officer_a, police) -> None:
    report = file_report(officer_a, hamlet_a, channel="phone")
    assert new_report_recipients(report) == []


def test_an_inactive_officer_is_skipped(hamlet_a, officer_a, police) -> None:
    officer_a.is_active = False
    officer_a.save()
    report = IncidentReportFactory(hamlet=hamlet_a)
    assert new_report_recipients(report) == [police]  # nobody left in charge: the police


def test_the_police_lead_is_who_reads_the_reveal_log(
    commune, police, officer_a, head_b, party_office, leader, outsider
) -> None:
    assert police_leads(commune) == [police]
    assert police_leads(outsider.commune_id) == [outsider]


# --- exactly once -------------------------------------------------------------------------


def test_filing_enqueues_the_notification_after_commit(
    hamlet_b, head_b, django_capture_on_commit_callbacks
) -> None:
    with (
        mock.patch.object(tasks.notify_new_report, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = file_report(head_b, hamlet_b)
    delay.assert_called_once_with(report.pk)


def test_a_report_is_notified_once_however_often_the_task_runs(hamlet_b, head_b, police) -> None:
    report = file_report(head_b, hamlet_b, urgency=Urgency.URGENT)
    assert tasks.notify_new_report(report.pk) == 1
    assert tasks.notify_new_report(report.pk) == 0
    age(report)
    assert tasks.notify_pending_reports() == 0  # stamped: the scan leaves it alone
    deliver()
    deliver()
    [notification] = Notification.objects.all()
    assert (notification.user, notification.key, notification.kind) == (
        police,
        f"report-new:{report.pk}",
        "report_new",
    )
    assert notification.title == f"Tin báo KHẨN {report.code}: Tệ nạn xã hội, Ấp Thuận Phú 1"
    assert notification.url == f"/reports/{report.pk}/"
    assert [m.to for m in mail.outbox] == [["police@example.org"]]
    report.refresh_from_db()
    assert report.notified_at is not None


def test_a_failed_run_is_rolled_back_and_retried_without_doubles(
    hamlet_a, officer_a, police, head_b
) -> None:
    report = IncidentReportFactory(hamlet=hamlet_a)
    boom = RuntimeError("worker killed")
    with (
        mock.patch("reports.notifications.new_report_message", side_effect=boom),
        pytest.raises(RuntimeError),
    ):
        tasks.notify_new_report(report.pk)
    report.refresh_from_db()
    assert report.notified_at is None  # the claim was given back with the rollback
    assert tasks.notify_new_report(report.pk) == 1
    assert Notification.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_scans_notify_once(hamlet_a, hamlet_b, officer_a, police, head_b) -> None:
    """Two workers scanning at once. On PostgreSQL neither fails. The tests' SQLite is in memory
    with a shared cache, which answers "table is locked" at once instead of waiting as the
    portal's SQLite file does (WAL, a 20 s timeout): there a failed scan runs again, as beat
    would run it two minutes later; the count below shows that is never a double."""
    reports = [IncidentReportFactory(hamlet=hamlet) for hamlet in (hamlet_a, hamlet_b) * 3]
    IncidentReport.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=5))
    errors, barrier = [], threading.Barrier(2)
    retry = connection.vendor == "sqlite"

    def scan() -> None:
        barrier.wait()
        try:
            for _attempt in range(50):
                try:
                    tasks.notify_pending_reports()
                    if not IncidentReport.objects.filter(notified_at=None).exists():
                        return
                except OperationalError as exc:
                    if not (retry and "locked" in str(exc)):
                        raise
                if not retry:
                    return  # on PostgreSQL one scan each must do it all
                threading.Event().wait(0.05)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert Notification.objects.count() == len(reports)  # one each: officer_a or police
    assert set(Notification.objects.values_list("key", flat=True)) == {
        f"report-new:{report.pk}" for report in reports
    }
    assert not IncidentReport.objects.filter(notified_at=None).exists()


# --- broker outages -----------------------------------------------------------------------


def test_a_broker_outage_when_filing_delays_the_notification_only(
    hamlet_b, head_b, police, django_capture_on_commit_callbacks, caplog
) -> None:
    with (
        mock.patch.object(tasks.notify_new_report, "delay", side_effect=DOWN),
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = file_report(head_b, hamlet_b)  # does not raise
    assert IncidentReport.objects.filter(pk=report.pk, notified_at=None).exists()
    assert "reports.notify_new_report left for the periodic scan" in caplog.text
    assert not Notification.objects.exists()
    assert tasks.notify_pending_reports() == 0  # too recent: its task may still be on its way
    with later(minutes=2):
        assert tasks.notify_pending_reports() == 1
        assert tasks.notify_pending_reports() == 0
    deliver()
    assert Notification.objects.get().user == police
    assert len(mail.outbox) == 1


def test_the_scan_does_not_dig_up_old_reports(hamlet_a, officer_a) -> None:
    report = IncidentReportFactory(hamlet=hamlet_a)
    age(report, minutes=8 * 24 * 60)
    assert tasks.notify_pending_reports() == 0


def test_the_scan_is_scheduled() -> None:
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    assert schedule["notify-pending-reports"]["task"] == "reports.notify_pending_reports"
    assert schedule["send-overdue-digest"]["task"] == "reports.send_overdue_digest"
    assert "reports.notify_pending_reports" in app.tasks
    assert "reports.send_overdue_digest" in app.tasks


@contextlib.contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Point the Celery app at another broker URL, with fresh connection pools."""
    saved = app.conf.broker_url

    def reset() -> None:
        app.pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        kombu.pools.reset()  # kombu's own pools, keyed by connection

    reset()
    app.conf.broker_url = url
    try:
        yield
    finally:
        reset()
        app.conf.broker_url = saved


def _outage_then_recovery(hamlet: Hamlet, filer: User, recipient: User, dead: str) -> None:
    with broker_at(dead):
        report = file_report(filer, hamlet)  # autocommit: enqueued at once, and fails
    assert IncidentReport.objects.filter(pk=report.pk, notified_at=None).exists()
    age(report)
    # The broker is back: beat's scan goes through it and a real worker runs it.
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        assert tasks.notify_pending_reports.delay().get(timeout=30) == 1
        for _ in range(300):  # the e-mail task follows through the broker
            if mail.outbox:
                break
            threading.Event().wait(0.1)
    assert [(n.user, n.key) for n in Notification.objects.all()] == [
        (recipient, f"report-new:{report.pk}")
    ]
    assert [m.to for m in mail.outbox] == [[recipient.email]]


@pytest.mark.django_db(transaction=True)
def test_after_a_file_system_broker_outage_the_worker_catches_up(
    hamlet_b, head_b, police, tmp_path
) -> None:
    """The file-system broker 'down': its queue folder is gone, so publishing fails."""
    options = app.conf.broker_transport_options
    with broker_at(app.conf.broker_url):
        app.conf.broker_transport_options = {**options, "data_folder_out": str(tmp_path / "gone")}
        try:
            report = file_report(head_b, hamlet_b)
        finally:
            app.conf.broker_transport_options = options
    assert IncidentReport.objects.filter(pk=report.pk, notified_at=None).exists()
    age(report)
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        assert tasks.notify_pending_reports.delay().get(timeout=30) == 1
    assert Notification.objects.get().user == police


@pytest.mark.needs_redis
@pytest.mark.django_db(transaction=True)
def test_after_a_redis_outage_the_worker_catches_up(hamlet_b, head_b, police) -> None:
    assert app.conf.broker_url == django_settings.REDIS_URL
    dead = re.sub(r"//[^/]+/", "//127.0.0.1:1/", django_settings.REDIS_URL)  # a closed port
    _outage_then_recovery(hamlet_b, head_b, police, dead)


# --- the digest ---------------------------------------------------------------------------


def test_the_overdue_digest_goes_to_the_police_lead_once_a_day(
    commune, hamlet_a, hamlet_b, hamlet_elsewhere, police, officer_a, head_b, outsider
) -> None:
    past = timezone.now() - datetime.timedelta(days=2)
    late_a = IncidentReportFactory(hamlet=hamlet_a, due_at=past, title="Secret title A")
    late_b = IncidentReportFactory(
        hamlet=hamlet_b, due_at=past - datetime.timedelta(days=1), assigned_to=officer_a
    )
    on_time = IncidentReportFactory(hamlet=hamlet_a)
    closed = IncidentReportFactory(hamlet=hamlet_a, due_at=past, status=Status.CLOSED)
    elsewhere = IncidentReportFactory(hamlet=hamlet_elsewhere, due_at=past)
    assert tasks.send_overdue_digest() == 2  # our police lead, the other commune's
    assert tasks.send_overdue_digest() == 0  # the same day again: nothing
    ours = Notification.objects.get(user=police)
    assert ours.kind == "report_overdue_digest"
    assert ours.title == "2 tin báo quá hạn tại Xã Thuận Lợi"
    lines = ours.body.splitlines()
    assert late_b.code in lines[2] and late_a.code in lines[3]  # the latest-due first
    assert "officer_a (test)" in lines[2] and "chưa phân công" in lines[3]
    for absent in (on_time.code, closed.code, elsewhere.code, "Secret title A"):
        assert absent not in ours.body
    theirs = Notification.objects.get(user=outsider)
    assert elsewhere.code in theirs.body and late_a.code not in theirs.body
    assert not Notification.objects.filter(user__in=[officer_a, head_b]).exists()
    with later(minutes=24 * 60):
        assert tasks.send_overdue_digest() == 2  # the next day: a new digest
    deliver()
    assert sorted(m.to[0] for m in mail.outbox) == ["police@example.org"] * 2


def test_no_digest_without_overdue_reports(hamlet_a, police) -> None:
    IncidentReportFactory(hamlet=hamlet_a)
    assert tasks.send_overdue_digest() == 0
    assert not Notification.objects.exists()


# --- nothing leaks ------------------------------------------------------------------------


def _everything_said() -> str:
    rows = Notification.objects.values_list("title", "body", "url", "key", "kind")
    mails = [f"{m.subject}\n{m.body}\n{m.to}" for m in mail.outbox]
    return "\n".join([*map(repr, rows), *mails])


def test_no_informant_in_notifications_e_mails_or_logs(
    hamlet_b, head_b, police, caplog, django_capture_on_commit_callbacks
) -> None:
    caplog.set_level("DEBUG")
    with (
        mock.patch.object(tasks.notify_new_report, "delay", side_effect=DOWN),
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = file_report(head_b, hamlet_b, urgency=Urgency.URGENT, informant=dict(INFORMANT))
    IncidentReport.objects.filter(pk=report.pk).update(
        due_at=timezone.now() - datetime.timedelta(days=1)
    )
    age(report)
    tasks.notify_pending_reports()
    tasks.send_overdue_digest()
    deliver()
    said = _everything_said() + "\n" + caplog.text
    assert Notification.objects.count() == 2 and len(mail.outbox) == 2
    assert report.code in said  # the scan can find what it looks for
    assert MARKER not in said
    assert not re.search(r"912\D?555\D?417", said)  # the informant's phone, in any format


def test_no_tracking_code_or_tip_text_in_notifications(hamlet_a, officer_a, caplog) -> None:
    caplog.set_level("DEBUG")
    filed = tip_submit(
        hamlet=hamlet_a, category="crime", description=f"Tôi là {MARKER}, gọi 0912555417."
    )
    assert tasks.notify_new_report(filed.report.pk) == 1
    deliver()
    said = _everything_said() + "\n" + caplog.text
    assert filed.report.code in said and "Tin báo ẩn danh qua web" in said
    code = filed.code
    for secret in (code, code.replace("-", ""), MARKER):
        assert secret not in said
    assert not re.search(r"912\D?555\D?417", said)
