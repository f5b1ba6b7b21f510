"""One visibility policy per field and role (reports/visibility.py), read the same way by the
report page, the API (fields, filters, timeline, schema), the queue's export and the
notifications; and each role files only on the channels its pages offer."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator

from accounts.models import User
from conftest import logged_in as client_of
from conftest import logged_in_api as api_of
from groups.models import Hamlet
from reports import exports, visibility
from reports.models import IncidentReport
from reports.notifications import new_report_recipients, police_leads
from reports.services import report_assign, report_record_outcome
from reports.tests.factories import INFORMANT, IncidentReportFactory, file_report
from reports.tips.services import tip_add_information, tip_submit

pytestmark = pytest.mark.django_db

LIST = "/api/v1/reports/"
OUTCOME = "Bắt được nghi phạm nhờ hàng xóm ở nhà số 12"
DESCRIPTION = "Người bán ma túy ở cuối ấp Qwertzik"
TIP_TEXT = "Gọi tôi nếu cần: Tipsterqvo 0912 000 111"
ADDITION = "Thêm: hắn đi xe đỏ, Additionqvo"

# The API's fields in each group of the policy (the serializer's names).
FIGURES = {"id", "code", "commune", "hamlet", "hamlet_name", "category", "channel", "urgency",
           "status", "created_at", "updated_at", "closed_at", "point"}  # fmt: skip
AS_FILED = {"title", "description", "people_group", "occurred_at", "location", "latitude",
            "longitude", "zalo_group", "filed_by", "filed_by_name", "has_informant"}  # fmt: skip
HANDLING = {"assigned_to", "assigned_to_name", "due_at", "is_overdue", "outcome"}
REVIEW_MARKS = {"valuable_tip", "solved_by_tip"}  # the review's figures, per report


@pytest.fixture
def handled(police: User, hamlet_b: Hamlet) -> IncidentReport:
    """A report of hamlet B filed by the police (a phone call), with an informant, assigned,
    its outcome recorded: every field has something to leak."""
    report = file_report(
        police, hamlet_b, channel="phone", description=DESCRIPTION, informant=dict(INFORMANT)
    )
    report_assign(actor=police, reports=[report], assignee=police)
    report_record_outcome(
        actor=police, report=report, valuable_tip=True, solved_by_tip=True, outcome=OUTCOME
    )
    return report


@pytest.fixture
def tip(hamlet_b: Hamlet) -> IncidentReport:
    """An anonymous tip of hamlet B whose tipster left a phone, and added more later."""
    filed = tip_submit(hamlet=hamlet_b, category="social_evils", description=TIP_TEXT)
    tip_add_information(access=filed.report.tip_access, text=ADDITION)
    return filed.report


# --- the API: the fields of each role ----------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "own", "expected"),
    [
        ("police", False, FIGURES | AS_FILED | HANDLING | REVIEW_MARKS),
        ("head_b", False, FIGURES),
        ("head_b", True, FIGURES | AS_FILED),
        ("party_office", False, FIGURES | REVIEW_MARKS),
        ("leader", False, FIGURES | REVIEW_MARKS),
    ],
)
def test_the_api_gives_each_role_the_fields_of_the_policy(
    personas, handled, head_b, hamlet_b, persona, own, expected
) -> None:
    report = file_report(head_b, hamlet_b, informant=dict(INFORMANT)) if own else handled
    client = api_of(personas[persona])
    row = client.get(f"{LIST}{report.pk}/").json()
    assert set(row) == expected
    listed = {r["id"]: r for r in client.get(LIST).json()["results"]}
    assert set(listed[report.pk]) == expected
    text = client.get(LIST).content.decode() + client.get(f"{LIST}{report.pk}/").content.decode()
    assert (OUTCOME in text) == ("outcome" in expected)
    assert (DESCRIPTION in text) == (persona == "police")


def test_every_serializer_field_is_in_a_group_of_the_policy(police, handled) -> None:
    """A new field of the API must be placed in the policy, or nobody reads it."""
    everything = FIGURES | AS_FILED | HANDLING | REVIEW_MARKS
    assert set(api_of(police).get(f"{LIST}{handled.pk}/").json()) == everything


def test_the_schema_requires_only_the_figures() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    component = schema["components"]["schemas"]["IncidentReport"]
    assert set(component["required"]) == FIGURES
    assert set(component["properties"]) == FIGURES | AS_FILED | HANDLING | REVIEW_MARKS


def test_filters_on_hidden_fields_answer_nothing_about_them(
    head_b, police, leader, hamlet_b, handled
) -> None:
    leader_user = leader
    own = file_report(head_b, hamlet_b, title="Ống cống Zorblat", description="Tắc ống cống")
    client = api_of(head_b)

    def ids(**query: str) -> set[int]:
        return set(order(**query))

    def order(**query: str) -> list[int]:
        return [row["id"] for row in client.get(LIST, query).json()["results"]]

    assert ids() == {own.pk, handled.pk}
    assert ids(valuable_tip="true") == set() and ids(solved_by_tip="true") == set()
    assert ids(valuable_tip="false") == set()  # both ways: the filter cannot tell
    assert ids(assigned_to=str(police.pk)) == set()
    assert ids(overdue="false") == set()
    assert ids(search="Qwertzik") == set()  # another's text is not searched
    assert ids(search="Zorblat") == {own.pk}  # one's own is
    # The deadline of a handled report is near, of the own one a week away: not told either.
    IncidentReport.objects.filter(pk=handled.pk).update(due_at=own.due_at.replace(year=2000))
    assert order(ordering="due_at") == order(ordering="-created_at") == [own.pk, handled.pk]
    police_ids = {row["id"] for row in api_of(police).get(LIST, {"valuable_tip": "true"}).json()[
        "results"
    ]}  # fmt: skip
    assert police_ids == {handled.pk}
    leader = api_of(leader_user).get(LIST, {"valuable_tip": "true"}).json()["results"]
    assert [row["id"] for row in leader] == [handled.pk]  # the review's marks: theirs to read


# --- the report page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "text", "handling"),
    [
        ("police", True, True),
        ("head_b", False, False),
        ("party_office", False, False),
        ("leader", False, False),
    ],
)
def test_the_report_page_shows_each_role_the_fields_of_the_policy(
    personas, handled, persona, text, handling
) -> None:
    response = client_of(personas[persona]).get(reverse("reports:report-detail", args=[handled.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert handled.code in page
    assert (DESCRIPTION in page) == text and (handled.title in page) == text
    assert ('data-testid="informant-recorded"' in page) == text
    assert ('data-testid="timeline"' in page) == text
    assert ('data-testid="text-withheld"' in page) == (not text)
    for marker in ('data-testid="assignee"', 'data-testid="due"', 'data-testid="outcome"', OUTCOME):
        assert (marker in page) == handling, marker
    # The review's marks: for who triages and who reads the review, not for the hamlet head.
    assert ('data-testid="valuable-tip"' in page) == (persona != "head_b")


# --- an anonymous tip: its text and additions reach only who triages ---------------------------


def test_a_hamlet_head_reads_neither_text_nor_additions_of_a_tip_of_their_hamlet(
    head_b, party_office, leader, police, tip
) -> None:
    for user in (head_b, party_office, leader):
        page = client_of(user).get(reverse("reports:report-detail", args=[tip.pk]))
        api = api_of(user)
        answers = [
            page,
            api.get(f"{LIST}{tip.pk}/"),
            api.get(f"{LIST}{tip.pk}/comments/"),
            api.get(LIST),
            api.get(LIST, {"search": "Tipsterqvo"}),
        ]
        for response in answers:
            assert response.status_code == 200, (user, response)
            content = response.content.decode()
            assert "Tipsterqvo" not in content and "Additionqvo" not in content, user
        assert api.get(f"{LIST}{tip.pk}/comments/").json() == []
        assert api.get(f"{LIST}{tip.pk}/").json()["channel"] == "anonymous_tip"  # the figures
        export = client_of(user).get(reverse("reports:queue-export"), {"format": "csv"})
        assert export.status_code == 403
        rows = list(exports.export_rows(IncidentReport.objects.filter(pk=tip.pk), user))
        assert "Tipsterqvo" not in str(rows) and rows[0][0] == tip.code
    page = client_of(police).get(reverse("reports:report-detail", args=[tip.pk])).content.decode()
    assert "Tipsterqvo" in page and "Additionqvo" in page
    comments = api_of(police).get(f"{LIST}{tip.pk}/comments/").content.decode()
    assert "Additionqvo" in comments


# --- the export ----------------------------------------------------------------------------------


def test_the_export_writes_what_the_exporter_may_read(police, head_b, handled) -> None:
    response = client_of(police).get(
        reverse("reports:queue-export"), {"format": "csv", "status": "all"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [header for header, _field, _width in exports.COLUMNS]
    assert DESCRIPTION in rows[1] and OUTCOME in rows[1]
    # Whoever cannot triage: no handling column; the text of another's report left empty.
    headers = [header for header, _field, _width in exports.columns_for(head_b)]
    assert "Kết quả" not in headers and "Cán bộ xử lý" not in headers and "Nội dung" in headers
    (row,) = exports.export_rows(IncidentReport.objects.filter(pk=handled.pk), head_b)
    assert len(row) == len(headers) and DESCRIPTION not in row and handled.code in row


# --- notifications -------------------------------------------------------------------------------


def test_a_digest_reaches_no_lead_who_may_not_read_the_deadlines(
    commune, police, party_office, hamlet_a
) -> None:
    """A party office user given the reveal log (the digest's audience) reads no deadline or
    assignee: they get no digest. The new-report message goes to who triages only."""
    reveal_log = Permission.objects.get(codename="view_informantreveal")
    party_office.user_permissions.add(reveal_log)
    party_office = User.objects.get(pk=party_office.pk)  # a fresh permission cache
    assert party_office.has_perm("reports.view_informantreveal")
    assert "due_at" not in visibility.fields_for(party_office)
    assert police_leads(commune) == [police]
    assert party_office not in new_report_recipients(IncidentReportFactory(hamlet=hamlet_a))


# --- channels ------------------------------------------------------------------------------------


def _body(hamlet: Hamlet, channel: str) -> dict:
    return {
        "hamlet": hamlet.pk,
        "category": "crime",
        "title": "Mất trộm",
        "description": "Mất xe đạp trước nhà.",
        "channel": channel,
        "urgency": "normal",
    }


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        ("anonymous_tip", "Tin báo ẩn danh chỉ được gửi qua trang gửi tin báo ẩn danh."),
        ("phone", "Bạn không được lập tin báo với kênh tiếp nhận “Qua điện thoại”."),
        ("zalo_group", "Bạn không được lập tin báo với kênh tiếp nhận “Nhóm Zalo”."),
    ],
)
def test_a_hamlet_head_files_through_the_api_on_their_web_form_only(
    head_b, hamlet_b, channel, message
) -> None:
    with translation.override("vi"):
        response = api_of(head_b).post(LIST, _body(hamlet_b, channel), format="json")
    assert response.status_code == 400
    assert response.json() == {"channel": [message]}
    assert not IncidentReport.objects.exists()
    assert api_of(head_b).post(LIST, _body(hamlet_b, "web_form"), format="json").status_code == 201


def test_nobody_files_an_anonymous_tip_but_the_tip_form(police, hamlet_a, commune) -> None:
    with translation.override("vi"):
        api = api_of(police).post(LIST, _body(hamlet_a, "anonymous_tip"), format="json")
        page = client_of(police).post(
            reverse("reports:report-create"), _body(hamlet_a, "anonymous_tip")
        )
        admin = client_of(police).post(
            "/admin/reports/incidentreport/add/", _body(hamlet_a, "anonymous_tip")
        )
    assert api.status_code == 400 and "channel" in api.json()
    assert page.status_code == 200 and page.context["form"].errors["channel"]
    assert admin.status_code == 200 and admin.context["adminform"].form.errors["channel"]
    assert not IncidentReport.objects.exists()
    assert api_of(police).post(LIST, _body(hamlet_a, "phone"), format="json").status_code == 201
    tip = tip_submit(hamlet=hamlet_a, category="crime", description="Có người lạ vào ấp ban đêm")
    assert tip.report.channel == "anonymous_tip"


def test_the_admin_shows_staff_what_the_policy_lets_them_read(police, handled) -> None:
    """Staff triage (police, area officers): the whole report. A staff account without triage
    (a clerk given the admin and view_incidentreport) reads the figures only."""
    url = reverse("admin:reports_incidentreport_change", args=[handled.pk])
    page = client_of(police).get(url).content.decode()
    assert DESCRIPTION in page and OUTCOME in page
    clerk = User.objects.create_user(
        username="clerk", password="x-correct-horse-42", commune=police.commune, is_staff=True
    )
    clerk.user_permissions.add(Permission.objects.get(codename="view_incidentreport"))
    clerk.user_permissions.add(Permission.objects.get(codename="view_all_hamlets"))
    response = client_of(clerk).get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert handled.code in page
    assert DESCRIPTION not in page and OUTCOME not in page
