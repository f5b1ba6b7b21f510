"""A report its reporter reopens (a first "no" to "was it resolved?") is news for the police:
the officer it is assigned to, else those a new report of its hamlet goes to, are told after
commit, through Celery, exactly once, with the report's code, category and hamlet only — never
the reporter's comment. A lost task is found by the periodic scan."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.models import Notification
from accounts.roles import Role
from conftest import make_user
from reports import tasks
from reports.models import IncidentReport, ReportFeedback
from reports.services import report_assign
from reports.tests.factories import file_report
from reports.tests.test_feedback import give, resolve
from reports.tests.test_tips import code_of, post_tip
from reports.tips.services import tip_feedback_give

pytestmark = pytest.mark.django_db

COMMENT = "Nhà ông Sáu vẫn tụ tập đánh bạc"  # the reporter's words: never in a notification


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def resolved(head_b, hamlet_b, police) -> IncidentReport:
    report = file_report(head_b, hamlet_b, title="Đánh bạc ở ấp B")
    resolve(police, report)
    return report


def told(kind: str = "report_reopened") -> list[Notification]:
    return list(Notification.objects.filter(kind=kind).order_by("user__username"))


def reopen(report, head_b, capture, resolved_answer: str = "no") -> list[int]:
    """The filer's answer, committed; the ids of the events handed to the task."""
    with (
        mock.patch.object(tasks.notify_report_event, "delay") as delay,
        capture(execute=True),
    ):
        give(report, head_b, resolved=resolved_answer, comment=COMMENT)
    return [call.args[0] for call in delay.call_args_list]


def test_a_no_tells_the_commune_police_once_without_the_comment(
    resolved, head_b, police, django_capture_on_commit_callbacks
) -> None:
    [event_id] = reopen(resolved, head_b, django_capture_on_commit_callbacks)
    assert event_id == ReportFeedback.objects.get().event_id
    assert tasks.notify_report_event(event_id) == 1
    assert tasks.notify_report_event(event_id) == 0  # a redelivery tells nobody twice
    [notification] = told()
    assert notification.user == police  # hamlet B has no area officer
    assert resolved.code in notification.title and "mở lại" in notification.title
    assert notification.url == f"/reports/{resolved.pk}/"
    assert COMMENT not in f"{notification.title}\n{notification.body}"
    assert resolved.title not in f"{notification.title}\n{notification.body}"
    assert not Notification.objects.filter(user=head_b).exists()  # the reporter is not told


def test_the_assigned_officer_alone_is_told(
    resolved, head_b, police, commune, hamlet_b, django_capture_on_commit_callbacks
) -> None:
    officer_b = make_user("officer_b", Role.AREA_OFFICER, commune, [hamlet_b])
    report_assign(actor=police, reports=[resolved], assignee=officer_b)
    [event_id] = reopen(resolved, head_b, django_capture_on_commit_callbacks)
    assert tasks.notify_report_event(event_id) == 1
    assert [n.user for n in told()] == [officer_b]


def test_an_assignee_who_lost_the_hamlet_leaves_it_to_those_of_a_new_report(
    resolved, head_b, police, commune, hamlet_b, django_capture_on_commit_callbacks
) -> None:
    officer_b = make_user("officer_b", Role.AREA_OFFICER, commune, [hamlet_b])
    report_assign(actor=police, reports=[resolved], assignee=officer_b)
    officer_b.hamlets.clear()
    [event_id] = reopen(resolved, head_b, django_capture_on_commit_callbacks)
    tasks.notify_report_event(event_id)
    assert [n.user for n in told()] == [police]


def test_a_yes_tells_the_police_nothing(
    resolved, head_b, django_capture_on_commit_callbacks
) -> None:
    assert reopen(resolved, head_b, django_capture_on_commit_callbacks, "yes") == []


def test_a_second_no_tells_the_police_nothing(
    resolved, head_b, police, django_capture_on_commit_callbacks
) -> None:
    [first] = reopen(resolved, head_b, django_capture_on_commit_callbacks)
    tasks.notify_report_event(first)
    resolve(police, resolved)  # the police resolve it again; the reporter still says no
    assert reopen(resolved, head_b, django_capture_on_commit_callbacks) == []
    with mock.patch(
        "django.utils.timezone.now",
        return_value=timezone.now() + datetime.timedelta(minutes=5),
    ):
        tasks.notify_pending_reports()  # nor does the scan find anything to tell
    assert len(told()) == 1


def test_a_tipsters_no_tells_the_police(commune, hamlet_a, police) -> None:
    from django.test import Client

    code = code_of(post_tip(Client(REMOTE_ADDR="203.0.113.79"), commune, hamlet_a))
    tip = IncidentReport.objects.get(channel="anonymous_tip")
    tasks.notify_new_report(tip.pk)
    resolve(police, tip)
    feedback = tip_feedback_give(code=code, resolved="no", satisfaction=1, comment=COMMENT)
    assert tasks.notify_report_event(feedback.event_id) == 1
    [notification] = told()
    assert notification.user == police and COMMENT not in notification.body


def test_a_lost_task_is_found_by_the_scan(resolved, head_b, police) -> None:
    with mock.patch.object(tasks.notify_report_event, "delay", side_effect=OSError("down")):
        give(resolved, head_b, resolved="no", comment=COMMENT)
    tasks.notify_pending_reports()
    assert told() == []  # within the grace period: the task may be on its way
    with mock.patch(
        "django.utils.timezone.now",
        return_value=timezone.now() + datetime.timedelta(minutes=5),
    ):
        tasks.notify_pending_reports()
    assert [n.user for n in told()] == [police]
