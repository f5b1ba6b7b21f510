"""Reports in the admin: scoped, read-only, and never a trace of the informant."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from reports.models import IncidentReport, ReportSettings
from reports.services import informant_reveal
from reports.tests.factories import MARKER, DeadlineRuleFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/reports/incidentreport/"
REVEALS = "/admin/reports/informantreveal/"


def listed(response) -> set[str]:
    return {report.code for report in response.context["cl"].result_list}


def test_police_sees_the_commune(client, police, report_a, report_b) -> None:
    client.force_login(police)
    assert listed(client.get(CHANGELIST)) == {report_a.code, report_b.code}


def test_officer_sees_only_their_hamlets(client, officer_a, report_a, report_b) -> None:
    client.force_login(officer_a)
    response = client.get(CHANGELIST)
    assert listed(response) == {report_a.code}
    assert report_b.title not in response.content.decode()


def test_out_of_scope_change_page_reads_as_missing(client, officer_a, report_b) -> None:
    client.force_login(officer_a)
    hidden = client.get(f"{CHANGELIST}{report_b.pk}/change/", follow=True)
    missing = client.get(f"{CHANGELIST}999999/change/", follow=True)
    assert hidden.redirect_chain == missing.redirect_chain == [("/admin/", 302)]
    assert report_b.title not in hidden.content.decode()


def test_filters_and_search(client, police, report_a, report_b, hamlet_b) -> None:
    client.force_login(police)
    assert listed(client.get(CHANGELIST, {"hamlet": hamlet_b.pk})) == {report_b.code}
    assert listed(client.get(CHANGELIST, {"q": report_a.code})) == {report_a.code}
    for field in ("status", "category", "channel", "urgency"):
        value = getattr(report_a, field)
        assert report_a.code in listed(client.get(CHANGELIST, {f"{field}__exact": value}))


def test_read_only_and_never_deleted(client, police, report_b) -> None:
    client.force_login(police)
    page = client.get(f"{CHANGELIST}{report_b.pk}/change/")
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert {e.kind for e in page.context["inline_admin_formsets"][0].formset.queryset} == {
        "created"
    }
    assert client.get(f"{CHANGELIST}{report_b.pk}/delete/").status_code == 403


def add_form(hamlet, **extra) -> dict:
    return {
        "hamlet": hamlet.pk,
        "category": "crime",
        "title": "Báo qua điện thoại",
        "description": "Người dân gọi báo.",
        "channel": "phone",
        "urgency": "urgent",
        **extra,
    }


def test_filing_in_the_admin_goes_through_the_service(client, officer_a, hamlet_a) -> None:
    client.force_login(officer_a)
    form = client.get(f"{CHANGELIST}add/").context["adminform"].form
    assert "informant" not in str(form.fields) and "status" not in form.fields
    assert list(form.fields["hamlet"].queryset) == [hamlet_a]
    response = client.post(f"{CHANGELIST}add/", add_form(hamlet_a, status="closed"))
    assert response.status_code == 302
    report = IncidentReport.objects.get()
    assert report.code.startswith("TB-") and report.filed_by == officer_a
    assert report.status == "received" and report.due_at is not None
    assert report.events.get().kind == "created"


def test_filing_in_the_admin_is_scoped(client, officer_a, hamlet_b) -> None:
    client.force_login(officer_a)
    response = client.post(f"{CHANGELIST}add/", add_form(hamlet_b))
    assert response.status_code == 200 and "hamlet" in response.context["adminform"].form.errors
    assert not IncidentReport.objects.exists()


def test_the_informant_is_nowhere_in_the_admin(client, police, report_b) -> None:
    informant_reveal(actor=police, report=report_b, reason="Xác minh")
    client.force_login(police)  # even for a user who may reveal it elsewhere
    pages = [
        CHANGELIST,
        f"{CHANGELIST}{report_b.pk}/change/",
        f"{CHANGELIST}{report_b.pk}/history/",
        f"{CHANGELIST}{report_b.pk}/auditlog/",
        REVEALS,
        "/admin/",
        "/admin/reports/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert MARKER not in response.content.decode(), url
    assert client.get("/admin/reports/informant/").status_code == 404


def test_searching_for_the_informant_finds_nothing(client, police, report_b) -> None:
    client.force_login(police)
    assert listed(client.get(CHANGELIST, {"q": MARKER})) == set()


def test_assign_to_me_action(client, officer_a, report_a) -> None:
    client.force_login(officer_a)
    response = client.post(
        CHANGELIST, {"action": "assign_to_me", ACTION_CHECKBOX_NAME: [report_a.pk]}
    )
    assert response.status_code == 302
    assert IncidentReport.objects.get(pk=report_a.pk).assigned_to == officer_a


def test_reveal_log_for_the_police_lead_only(client, police, officer_a, report_b) -> None:
    informant_reveal(actor=police, report=report_b, reason="Mời làm việc")
    client.force_login(police)
    response = client.get(REVEALS)
    assert [r.reason for r in response.context["cl"].result_list] == ["Mời làm việc"]
    reveal_pk = response.context["cl"].result_list[0].pk
    assert client.get(f"{REVEALS}add/").status_code == 403
    assert client.get(f"{REVEALS}{reveal_pk}/delete/").status_code == 403
    client.force_login(officer_a)
    assert client.get(REVEALS).status_code == 403


def test_reveal_log_is_scoped_to_the_commune(client, outsider, police, report_b) -> None:
    informant_reveal(actor=police, report=report_b, reason="Mời làm việc")
    client.force_login(outsider)
    assert list(client.get(REVEALS).context["cl"].result_list) == []


def test_police_keep_deadline_rules_of_their_commune(client, police, commune, other_commune):
    DeadlineRuleFactory(commune=commune, hours=48)
    DeadlineRuleFactory(commune=other_commune, hours=1)
    client.force_login(police)
    response = client.get("/admin/reports/deadlinerule/")
    assert [rule.hours for rule in response.context["cl"].result_list] == [48]
    added = client.post(
        "/admin/reports/deadlinerule/add/",
        {"commune": commune.pk, "urgency": "urgent", "category": "fire", "hours": 6},
    )
    assert added.status_code == 302
    refused = client.post(
        "/admin/reports/deadlinerule/add/",
        {"commune": other_commune.pk, "urgency": "urgent", "category": "", "hours": 6},
    )
    assert refused.status_code == 200 and "commune" in refused.context["adminform"].form.errors


def test_police_set_the_retention(client, police, commune) -> None:
    client.force_login(police)
    response = client.post(
        "/admin/reports/reportsettings/add/", {"commune": commune.pk, "retention_months": 6}
    )
    assert response.status_code == 302
    assert ReportSettings.objects.get(commune=commune).retention_months == 6


def test_description_is_shown_as_text(client, police, hamlet_a) -> None:
    from reports.tests.factories import file_report

    report = file_report(police, hamlet_a, description="<script>alert('x')</script> ở ấp")
    client.force_login(police)
    page = client.get(f"{CHANGELIST}{report.pk}/change/").content.decode()
    assert "<script>alert('x')</script>" not in page
    assert "&lt;script&gt;" in page
