"""The reports API: scope, permissions, filing, transitions, the timeline, the sealed informant,
filters and query counts."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from conftest import logged_in_api as as_user
from groups.models import Hamlet
from reports.models import IncidentReport, InformantReveal, ReportEvent, Status
from reports.services import report_comment, report_transition
from reports.tests.factories import MARKER, IncidentReportFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/reports/"


def detail(report: IncidentReport, action: str = "") -> str:
    return f"{LIST}{report.pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def new_report(head_b: User, hamlet: Hamlet, **fields: object) -> dict:
    body = {
        "hamlet": hamlet.pk,
        "category": "crime",
        "title": "Trộm gà",
        "description": "Mất ba con gà trong đêm.",
        "channel": "web_form",
        "urgency": "normal",
        **fields,
    }
    return as_user(head_b).post(LIST, body, format="json")


# --- Anonymous, other hamlet, missing permission ----------------------------------------------


def test_anonymous_is_401_on_every_route(api: APIClient, report_b: IncidentReport) -> None:
    calls = [
        ("get", LIST),
        ("post", LIST),
        ("get", detail(report_b)),
        ("post", detail(report_b, "transition")),
        ("get", detail(report_b, "comments")),
        ("post", detail(report_b, "comments")),
        ("post", detail(report_b, "reveal")),
    ]
    for method, url in calls:
        assert getattr(api, method)(url, {}, format="json").status_code == 401, (method, url)


def test_a_report_of_another_hamlet_is_404(
    officer_a: User, outsider: User, report_a: IncidentReport, report_b: IncidentReport
) -> None:
    for user, report in ((officer_a, report_b), (outsider, report_a)):
        client = as_user(user)
        assert client.get(detail(report)).status_code == 404
        assert client.get(detail(report, "comments")).status_code == 404
        for action, body in (
            ("transition", {"to_status": "verifying"}),
            ("comments", {"text": "Xin chào"}),
            ("reveal", {"reason": "Cần xác minh"}),
        ):
            assert client.post(detail(report, action), body).status_code == 404, action
    assert report_b.id not in [row["id"] for row in as_user(officer_a).get(LIST).json()["results"]]
    assert as_user(outsider).get(LIST).json()["results"] == []


def test_missing_permission_is_403(
    party_office: User, head_b: User, report_b: IncidentReport
) -> None:
    transition = {"to_status": "verifying"}
    assert as_user(party_office).post(detail(report_b, "transition"), transition).status_code == 403
    assert as_user(head_b).post(detail(report_b, "transition"), transition).status_code == 403
    reveal = as_user(head_b).post(detail(report_b, "reveal"), {"reason": "Tò mò"})
    assert reveal.status_code == 403
    assert MARKER not in reveal.content.decode()
    assert not InformantReveal.objects.exists()
    report_b.refresh_from_db()
    assert report_b.status == Status.RECEIVED


# --- Filing -----------------------------------------------------------------------------------


def test_a_hamlet_head_files_for_their_hamlet_only(
    head_b: User, hamlet_a: Hamlet, hamlet_b: Hamlet, party_office: User
) -> None:
    response = new_report(head_b, hamlet_b)
    assert response.status_code == 201, response.content
    report = IncidentReport.objects.get(pk=response.json()["id"])
    assert (report.hamlet, report.filed_by, report.status) == (hamlet_b, head_b, Status.RECEIVED)
    assert report.code.startswith("TB-") and response.json()["code"] == report.code
    assert report.events.filter(kind=ReportEvent.Kind.CREATED).exists()

    refused = new_report(head_b, hamlet_a)
    assert refused.status_code == 400
    assert refused.json() == {"hamlet": ["Không tìm thấy ấp."]}
    party = as_user(party_office).post(LIST, {"hamlet": hamlet_b.pk}, format="json")
    assert party.status_code == 403
    assert IncidentReport.objects.count() == 1


def test_a_hamlet_head_cannot_set_internal_fields(head_b: User, hamlet_b: Hamlet) -> None:
    response = new_report(
        head_b,
        hamlet_b,
        status="closed",
        assigned_to=head_b.pk,
        outcome="Đã xong",
        valuable_tip=True,
        due_at="2030-01-01T00:00:00Z",
        code="TB-1999-99999",
    )
    assert response.status_code == 201, response.content
    report = IncidentReport.objects.get(pk=response.json()["id"])
    assert report.status == Status.RECEIVED
    assert report.assigned_to is None and report.outcome == "" and not report.valuable_tip
    assert report.code != "TB-1999-99999" and report.due_at.year != 2030


def test_filing_errors_are_400_with_the_models_message(head_b: User, hamlet_b: Hamlet) -> None:
    future = (timezone.now() + datetime.timedelta(days=2)).isoformat()
    response = new_report(head_b, hamlet_b, occurred_at=future)
    assert response.status_code == 400
    assert "occurred_at" in response.json()
    assert not IncidentReport.objects.exists()


# --- Transitions ------------------------------------------------------------------------------


def test_transition_allowed(police: User, report_b: IncidentReport) -> None:
    body = {"to_status": "verifying", "note": "Đang xác minh"}
    response = as_user(police).post(detail(report_b, "transition"), body)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "verifying"
    event = report_b.events.get(kind=ReportEvent.Kind.STATUS_CHANGED)
    assert (event.from_status, event.to_status, event.actor) == ("received", "verifying", police)
    assert not event.shared


def test_transition_refused(police: User, report_b: IncidentReport) -> None:
    client = as_user(police)
    response = client.post(detail(report_b, "transition"), {"to_status": "closed"})
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Tin báo không thể chuyển từ “Mới tiếp nhận” sang “Đã đóng”."]
    }
    assert client.post(detail(report_b, "transition"), {"to_status": "nope"}).status_code == 400
    assert client.post(detail(report_b, "transition"), {}).status_code == 400
    report_b.refresh_from_db()
    assert report_b.status == Status.RECEIVED
    assert not report_b.events.filter(kind=ReportEvent.Kind.STATUS_CHANGED).exists()


# --- The timeline -----------------------------------------------------------------------------


def test_comments_a_hamlet_head_sees_only_what_is_shared(
    police: User, head_b: User, report_b: IncidentReport
) -> None:
    report_transition(actor=police, report=report_b, to_status="verifying", note="Ghi chú nội bộ")
    report_comment(actor=police, report=report_b, text="Bàn riêng", shared=False)
    report_comment(actor=police, report=report_b, text="Đã nhận tin", shared=True)

    posted = as_user(head_b).post(detail(report_b, "comments"), {"text": "Cảm ơn", "shared": False})
    assert posted.status_code == 201, posted.content
    assert posted.json()["shared"] is True  # who cannot triage always shares

    head_texts = [e["text"] for e in as_user(head_b).get(detail(report_b, "comments")).json()]
    assert head_texts == ["", "Đã nhận tin", "Cảm ơn"]
    police_events = as_user(police).get(detail(report_b, "comments")).json()
    assert {"Ghi chú nội bộ", "Bàn riêng"} <= {e["text"] for e in police_events}


def test_an_empty_comment_is_refused_with_the_services_message(
    police: User, report_b: IncidentReport
) -> None:
    response = as_user(police).post(detail(report_b, "comments"), {"text": "   "})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Nội dung trao đổi đang trống."]}


def test_the_party_office_reads_but_cannot_comment(
    party_office: User, report_b: IncidentReport
) -> None:
    client = as_user(party_office)
    assert client.get(detail(report_b, "comments")).status_code == 200
    assert client.post(detail(report_b, "comments"), {"text": "Góp ý"}).status_code == 403


# --- The sealed informant ---------------------------------------------------------------------


def test_reveal_returns_the_identity_and_logs_it(police: User, report_b: IncidentReport) -> None:
    response = as_user(police).post(detail(report_b, "reveal"), {"reason": "Cần mời làm chứng"})
    assert response.status_code == 200, response.content
    assert response.json()["name"] == f"{MARKER} name"
    assert response["Cache-Control"] == "no-store"
    reveal = InformantReveal.objects.get()
    assert (reveal.report, reveal.user, reveal.reason) == (report_b, police, "Cần mời làm chứng")


def test_reveal_needs_a_reason(police: User, report_b: IncidentReport) -> None:
    client = as_user(police)
    blank = client.post(detail(report_b, "reveal"), {"reason": "  "})
    assert blank.status_code == 400
    assert blank.json() == {"non_field_errors": ["Nhập lý do xem danh tính."]}
    assert client.post(detail(report_b, "reveal"), {}).status_code == 400
    assert MARKER not in blank.content.decode()
    assert not InformantReveal.objects.exists()


def test_the_informant_marker_appears_only_in_the_polices_reveal(
    personas: dict[str, User], police: User, head_b: User, report_b: IncidentReport
) -> None:
    report_comment(actor=head_b, report=report_b, text="Có thêm thông tin", shared=True)
    urls = [LIST, detail(report_b), detail(report_b, "comments"), f"{LIST}?search=Ma"]
    for name, user in personas.items():
        client = as_user(user)
        for url in urls:
            response = client.get(url)
            assert MARKER not in response.content.decode(), (name, url)
            if response.status_code == 200 and url == detail(report_b):
                # That an identity was recorded: for the police and whoever filed the report.
                reads = name in ("police", "head_b")
                assert response.json().get("has_informant") is (True if reads else None), name
        reveal = client.post(detail(report_b, "reveal"), {"reason": "Kiểm tra"})
        assert (MARKER in reveal.content.decode()) == (name == "police"), name
    assert as_user(police).get(detail(report_b)).json()["has_informant"] is True


# --- Filters and query counts -----------------------------------------------------------------


def test_filters_search_and_ordering(
    police: User, hamlet_a: Hamlet, hamlet_b: Hamlet, officer_a: User
) -> None:
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    late = IncidentReportFactory(
        hamlet=hamlet_a,
        title="Cháy rừng",
        due_at=now - hour,
        category="fire",
        urgency="urgent",
        assigned_to=officer_a,
    )
    closed = IncidentReportFactory(hamlet=hamlet_b, status="closed", due_at=now - 2 * hour)
    soon = IncidentReportFactory(hamlet=hamlet_b, channel="in_person", due_at=now + hour)
    client = as_user(police)

    def ids(**params: str) -> list[int]:
        response = client.get(LIST, params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids(overdue="true") == [late.pk]
    assert set(ids(overdue="false")) == {closed.pk, soon.pk}
    assert ids(status="closed") == [closed.pk]
    assert ids(category="fire") == [late.pk]
    assert ids(urgency="urgent") == [late.pk]
    assert ids(channel="in_person") == [soon.pk]
    assert ids(assigned_to=str(officer_a.pk)) == [late.pk]
    assert set(ids(hamlet=str(hamlet_b.pk))) == {closed.pk, soon.pk}
    assert ids(search="cháy") == [late.pk]
    assert ids(search=closed.code) == [closed.pk]
    assert ids(ordering="due_at") == [closed.pk, late.pk, soon.pk]
    assert ids(ordering="-due_at") == [soon.pk, late.pk, closed.pk]
    assert client.get(LIST, {"status": "nope"}).status_code == 400


def count_queries(client: APIClient, url: str) -> int:
    client.get(url)  # steady state: the user's access is cached after a first request
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


def test_the_list_runs_a_flat_number_of_queries(
    police: User, head_b: User, officer_a: User, hamlet_a: Hamlet, hamlet_b: Hamlet
) -> None:
    def grow(n: int) -> None:
        for i in range(n):
            IncidentReportFactory(
                hamlet=hamlet_a if i % 2 else hamlet_b, filed_by=head_b, assigned_to=officer_a
            )

    client = as_user(police)
    grow(3)
    few = count_queries(client, LIST)
    grow(27)
    assert count_queries(client, LIST) == few
    assert few <= 8
