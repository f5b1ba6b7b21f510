"""Filing, scope, assignment, comments and outcomes through the services."""

from __future__ import annotations

import datetime
import inspect

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from groups.tests.factories import PeopleGroupFactory, ZaloGroupFactory
from reports.models import IncidentReport, ReportEvent, Status, Urgency
from reports.services import (
    report_assign,
    report_comment,
    report_create,
    report_record_outcome,
)
from reports.tests.factories import DeadlineRuleFactory, file_report

pytestmark = pytest.mark.django_db


def codes(error: ValidationError) -> set[str]:
    return {e.code for e in error.error_list} if hasattr(error, "error_list") else set()


class TestCreate:
    def test_hamlet_head_files_for_own_hamlet(self, head_b, hamlet_b) -> None:
        report = file_report(head_b, hamlet_b)
        assert report.code.startswith(f"TB-{timezone.localdate().year}-")
        assert report.commune == hamlet_b.commune
        assert report.filed_by == head_b
        assert report.status == Status.RECEIVED and report.assigned_to is None
        event = report.events.get()
        assert (event.kind, event.actor, event.shared) == (ReportEvent.Kind.CREATED, head_b, True)

    def test_hamlet_head_cannot_file_for_another_hamlet(self, head_b, hamlet_a) -> None:
        with pytest.raises(PermissionDenied):
            file_report(head_b, hamlet_a)
        assert not IncidentReport.objects.exists()

    def test_officer_cannot_file_for_a_hamlet_outside_their_scope(self, officer_a, hamlet_b):
        with pytest.raises(PermissionDenied):
            file_report(officer_a, hamlet_b)

    def test_outsider_and_readers_cannot_file(
        self, outsider, party_office, leader, hamlet_a
    ) -> None:
        for user in (outsider, party_office, leader):
            with pytest.raises(PermissionDenied):
                file_report(user, hamlet_a)

    def test_internal_fields_are_not_parameters(self) -> None:
        parameters = set(inspect.signature(report_create).parameters)
        internal = {"status", "assigned_to", "assignee", "outcome", "valuable_tip", "due_at"}
        assert not parameters & internal

    def test_internal_fields_cannot_be_smuggled_in(self, head_b, hamlet_b) -> None:
        with pytest.raises(TypeError):
            file_report(head_b, hamlet_b, status=Status.CLOSED)
        with pytest.raises(TypeError):
            file_report(head_b, hamlet_b, assigned_to=head_b)

    def test_groups_must_belong_to_the_hamlet(self, police, hamlet_a, hamlet_b) -> None:
        with pytest.raises(ValidationError) as people:
            file_report(police, hamlet_a, people_group=PeopleGroupFactory(hamlet=hamlet_b))
        assert "people_group" in people.value.message_dict
        zalo_b = ZaloGroupFactory(hamlet=hamlet_b)
        with pytest.raises(ValidationError) as zalo:
            file_report(police, hamlet_a, channel="zalo_group", zalo_group=zalo_b)
        assert "zalo_group" in zalo.value.message_dict
        assert not IncidentReport.objects.exists()

    def test_zalo_group_only_with_the_zalo_group_channel(self, police, hamlet_a) -> None:
        group = ZaloGroupFactory(hamlet=hamlet_a)
        assert file_report(police, hamlet_a, channel="zalo_group", zalo_group=group).zalo_group
        with pytest.raises(ValidationError):
            file_report(police, hamlet_a, channel="phone", zalo_group=group)

    def test_bad_choices_and_future_time_are_refused(self, police, hamlet_a) -> None:
        for bad in (
            {"category": "gossip"},
            {"channel": "telegram"},
            {"urgency": "someday"},
            {"title": ""},
            {"occurred_at": timezone.now() + datetime.timedelta(days=1)},
            {"latitude": 11.5},
        ):
            with pytest.raises(ValidationError):
                file_report(police, hamlet_a, **bad)
        assert not IncidentReport.objects.exists()


class TestDeadline:
    def test_defaults_urgent_one_day_normal_one_week(self, police, hamlet_a) -> None:
        urgent = file_report(police, hamlet_a, urgency=Urgency.URGENT)
        normal = file_report(police, hamlet_a)
        assert urgent.due_at - urgent.created_at == datetime.timedelta(hours=24)
        assert normal.due_at - normal.created_at == datetime.timedelta(days=7)

    def test_category_rule_wins_over_the_general_rule(self, police, commune, hamlet_a) -> None:
        DeadlineRuleFactory(commune=commune, urgency=Urgency.NORMAL, category="", hours=48)
        DeadlineRuleFactory(commune=commune, urgency=Urgency.NORMAL, category="fire", hours=2)
        fire = file_report(police, hamlet_a, category="fire")
        crime = file_report(police, hamlet_a, category="crime")
        assert fire.due_at - fire.created_at == datetime.timedelta(hours=2)
        assert crime.due_at - crime.created_at == datetime.timedelta(hours=48)

    def test_another_communes_rule_does_not_apply(self, police, other_commune, hamlet_a):
        DeadlineRuleFactory(commune=other_commune, urgency=Urgency.NORMAL, hours=1)
        report = file_report(police, hamlet_a)
        assert report.due_at - report.created_at == datetime.timedelta(days=7)


class TestQuerySets:
    def test_visible_to_follows_the_scope(self, personas, report_a, report_b) -> None:
        def visible(name: str) -> set[str]:
            return set(
                IncidentReport.objects.visible_to(personas[name]).values_list("pk", flat=True)
            )

        both = {report_a.pk, report_b.pk}
        assert visible("police") == visible("party_office") == visible("leader") == both
        assert visible("officer_a") == {report_a.pk}
        assert visible("head_b") == {report_b.pk}
        assert visible("outsider") == set()

    def test_open_and_overdue(self, police, report_a, report_b) -> None:
        later = report_a.due_at + datetime.timedelta(minutes=1)
        IncidentReport.objects.filter(pk=report_b.pk).update(status=Status.RESOLVED)
        assert list(IncidentReport.objects.open()) == [report_a]
        assert list(IncidentReport.objects.overdue(later)) == [report_a]
        assert not IncidentReport.objects.overdue(report_a.due_at - datetime.timedelta(hours=1))


class TestAssign:
    def test_bulk_assign_writes_one_event_each(self, police, officer_a, hamlet_a) -> None:
        reports = [file_report(police, hamlet_a) for _ in range(3)]
        assert report_assign(actor=police, reports=reports, assignee=officer_a) == 3
        assert set(IncidentReport.objects.values_list("assigned_to", flat=True)) == {officer_a.pk}
        assert ReportEvent.objects.filter(kind="assigned", assignee=officer_a).count() == 3
        # again: nothing changes, no new events
        queryset = IncidentReport.objects.filter(pk__in=[r.pk for r in reports])
        assert report_assign(actor=police, reports=queryset, assignee=officer_a) == 0

    def test_assignee_must_cover_every_hamlet(self, police, officer_a, report_a, report_b):
        with pytest.raises(ValidationError) as error:
            report_assign(actor=police, reports=[report_a, report_b], assignee=officer_a)
        assert codes(error.value) == {"assignee_out_of_scope"}
        assert not IncidentReport.objects.filter(assigned_to__isnull=False).exists()

    def test_assignee_must_be_able_to_triage(self, police, head_b, report_b) -> None:
        with pytest.raises(ValidationError):
            report_assign(actor=police, reports=[report_b], assignee=head_b)

    def test_actor_needs_scope_and_permission(
        self, officer_a, head_b, police, report_a, report_b
    ) -> None:
        with pytest.raises(PermissionDenied):
            report_assign(actor=officer_a, reports=[report_b], assignee=police)
        with pytest.raises(PermissionDenied):
            report_assign(actor=head_b, reports=[report_b], assignee=police)
        assert report_assign(actor=officer_a, reports=[report_a], assignee=officer_a) == 1


class TestComment:
    def test_police_chooses_shared_or_internal(self, police, report_b) -> None:
        internal = report_comment(actor=police, report=report_b, text="Nội bộ", shared=False)
        shared = report_comment(actor=police, report=report_b, text="Đã nhận", shared=True)
        assert (internal.shared, shared.shared) == (False, True)

    def test_hamlet_head_comments_are_always_shared(self, head_b, report_b) -> None:
        event = report_comment(actor=head_b, report=report_b, text="Thêm tin", shared=False)
        assert event.shared is True and event.kind == ReportEvent.Kind.COMMENT

    def test_hamlet_head_only_on_reports_they_filed(self, head_b, police, hamlet_b) -> None:
        theirs = file_report(police, hamlet_b)
        with pytest.raises(PermissionDenied):
            report_comment(actor=head_b, report=theirs, text="?", shared=True)

    def test_out_of_scope_and_readers_cannot_comment(
        self, officer_a, party_office, outsider, report_b
    ) -> None:
        for user in (officer_a, party_office, outsider):
            with pytest.raises(PermissionDenied):
                report_comment(actor=user, report=report_b, text="x", shared=False)

    def test_empty_comment_is_refused(self, police, report_b) -> None:
        with pytest.raises(ValidationError):
            report_comment(actor=police, report=report_b, text="   ", shared=False)

    def test_head_sees_shared_events_only(self, police, head_b, report_b) -> None:
        report_comment(actor=police, report=report_b, text="Nội bộ", shared=False)
        report_comment(actor=police, report=report_b, text="Chia sẻ", shared=True)
        seen = ReportEvent.objects.visible_to(head_b).values_list("kind", "text")
        assert set(seen) == {("created", ""), ("comment", "Chia sẻ")}
        assert ReportEvent.objects.visible_to(police).count() == 3


class TestOutcome:
    def test_record_outcome(self, officer_a, report_a) -> None:
        report_record_outcome(
            actor=officer_a, report=report_a, valuable_tip=True, solved_by_tip=True, outcome="Bắt"
        )
        report_a.refresh_from_db()
        assert (report_a.valuable_tip, report_a.solved_by_tip, report_a.outcome) == (
            True,
            True,
            "Bắt",
        )
        assert report_a.events.filter(kind="outcome_recorded").count() == 1

    def test_solved_by_tip_needs_a_valuable_tip(self, police, report_a) -> None:
        with pytest.raises(ValidationError):
            report_record_outcome(
                actor=police, report=report_a, valuable_tip=False, solved_by_tip=True, outcome=""
            )

    def test_only_triage_in_scope(self, officer_a, head_b, report_b) -> None:
        for user in (officer_a, head_b):
            with pytest.raises(PermissionDenied):
                report_record_outcome(
                    actor=user, report=report_b, valuable_tip=True, solved_by_tip=False, outcome=""
                )
        report_b.refresh_from_db()
        assert report_b.valuable_tip is False
