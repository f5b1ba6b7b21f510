"""The filer of a report (a hamlet head) is told when the police reply or change its status
(#19 item 17): after commit, through Celery, exactly once, with the report's code, category,
hamlet and link only; never for an internal note, nor for their own comment."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import Notification
from reports import tasks
from reports.models import ReportEvent, Status
from reports.notifications import filer_news
from reports.services import report_comment, report_transition
from reports.tests.factories import INFORMANT, MARKER, file_report
from reports.tips.services import tip_submit

pytestmark = pytest.mark.django_db

SECRET = "Ông Tư ở số 12 nói"  # a comment's text: never in a notification


def later() -> mock._patch:
    """Five minutes on: past the scan's grace period."""
    moment = timezone.now() + datetime.timedelta(minutes=5)
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def report(head_b, hamlet_b):
    return file_report(
        head_b, hamlet_b, title=f"{MARKER} title", description=f"{MARKER} text",
        informant=INFORMANT,
    )  # fmt: skip


def run_enqueued(delay) -> list[int]:
    """Run the tasks enqueued after commit as a worker would; return their event ids."""
    ids = [call.args[0] for call in delay.call_args_list]
    for event_id in ids:
        tasks.notify_report_event(event_id)
    return ids


def sent_to(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user, key__startswith="report-event:"))


def assert_no_text(notification: Notification) -> None:
    told = f"{notification.title}\n{notification.body}\n{notification.url}"
    assert MARKER not in told and SECRET not in told


def test_a_shared_reply_notifies_the_filer_once_after_commit(
    report, head_b, police, django_capture_on_commit_callbacks
) -> None:
    with (
        mock.patch.object(tasks.notify_report_event, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        event = report_comment(actor=police, report=report, text=SECRET, shared=True)
        delay.assert_not_called()  # not before the commit
    delay.assert_called_once_with(event.pk)
    assert tasks.notify_report_event(event.pk) == 1
    assert tasks.notify_report_event(event.pk) == 0  # a redelivery tells nobody twice
    [notification] = sent_to(head_b)
    assert notification.kind == "report_reply"
    assert notification.url == f"/reports/{report.pk}/"
    assert report.code in notification.title and report.hamlet.name in notification.title
    assert "Phản hồi" in notification.title
    assert report.get_category_display() in notification.body
    assert_no_text(notification)


def test_a_change_of_status_notifies_the_filer_with_the_new_status(
    report, head_b, police, django_capture_on_commit_callbacks
) -> None:
    with (
        mock.patch.object(tasks.notify_report_event, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        report_transition(actor=police, report=report, to_status=Status.VERIFYING, note=SECRET)
    assert run_enqueued(delay)
    [notification] = sent_to(head_b)
    assert notification.kind == "report_status"
    assert f"“{Status.VERIFYING.label}”" in notification.title
    assert_no_text(notification)


def test_internal_notes_and_the_filers_own_comments_notify_nobody(
    report, head_b, police, django_capture_on_commit_callbacks
) -> None:
    with (
        mock.patch.object(tasks.notify_report_event, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        report_comment(actor=police, report=report, text=SECRET, shared=False)
        report_comment(actor=head_b, report=report, text="Thêm thông tin", shared=True)
    delay.assert_not_called()
    with later():
        assert tasks.notify_pending_reports() <= 1  # the report itself, not the comments
    assert Notification.objects.filter(key__startswith="report-event:").count() == 0


def test_with_the_broker_down_the_scan_tells_the_filer_once(
    report, head_b, police, django_capture_on_commit_callbacks
) -> None:
    tasks.notify_new_report(report.pk)  # the report's own notification, out of the way
    with (
        mock.patch.object(tasks.notify_report_event, "delay", side_effect=OSError("down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        report_comment(actor=police, report=report, text=SECRET, shared=True)
    assert sent_to(head_b) == []
    assert tasks.notify_pending_reports() == 0  # too recent: its task may be on its way
    with later():
        assert tasks.notify_pending_reports() == 1
        assert tasks.notify_pending_reports() == 0
    assert len(sent_to(head_b)) == 1


def test_a_filer_moved_out_of_the_hamlet_is_not_told(report, head_b, police, hamlet_a) -> None:
    head_b.hamlets.set([hamlet_a])
    event = report_comment(actor=police, report=report, text=SECRET, shared=True)
    assert tasks.notify_report_event(event.pk) == 0
    assert sent_to(head_b) == []


def test_a_tip_has_no_filer_to_tell(hamlet_a, police) -> None:
    tip = tip_submit(hamlet=hamlet_a, category="crime", description="Có người lạ")
    event = report_comment(actor=police, report=tip.report, text=SECRET, shared=True)
    assert not ReportEvent.objects.filter(filer_news(), pk=event.pk).exists()
    assert tasks.notify_report_event(event.pk) == 0
