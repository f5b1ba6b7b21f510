"""The residents' word on the outcome of a report: the filer (a hamlet head, in the portal and the
API) or the tipster (with the tracking code) answers once per resolution whether it was resolved,
how satisfied they are and a comment; a first "no" reopens the report for the police, once."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from conftest import logged_in, logged_in_api
from groups.models import Commune, Hamlet
from reports.models import IncidentReport, ReportEvent, ReportFeedback, Status
from reports.services import (
    feedback_awaited,
    feedback_round,
    report_feedback_give,
    report_transition,
)
from reports.tests.factories import file_report
from reports.tests.test_tips import SAME_ORIGIN, code_of, post_tip, track
from reports.tips.services import tip_feedback_give

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


def resolve(police: User, report: IncidentReport, *, close: bool = False) -> None:
    report.refresh_from_db()
    following = {
        Status.RECEIVED: Status.VERIFYING,
        Status.VERIFYING: Status.HANDLING,
        Status.HANDLING: Status.RESOLVED,
    }
    while report.status in following:
        report_transition(actor=police, report=report, to_status=following[report.status])
    if close:
        report_transition(actor=police, report=report, to_status=Status.CLOSED)
    report.refresh_from_db()


@pytest.fixture
def filed(head_b: User, hamlet_b: Hamlet) -> IncidentReport:
    return file_report(head_b, hamlet_b, title="Đánh bạc ở ấp B")


def reopenings(report: IncidentReport) -> list[ReportEvent]:
    return list(
        report.events.filter(
            kind="status_changed",
            from_status__in=[Status.RESOLVED, Status.CLOSED],
            to_status=Status.HANDLING,
        )
    )


def give(report: IncidentReport, actor: User, resolved: str = "no", **extra):
    values = {"satisfaction": 2, "comment": "Vẫn còn tụ tập.", **extra}
    return report_feedback_give(actor=actor, report=report, resolved=resolved, **values)


# --- the service ------------------------------------------------------------------------------


def test_no_feedback_before_the_report_is_resolved(filed, head_b) -> None:
    assert not feedback_awaited(filed)
    with pytest.raises(ValidationError) as error:
        give(filed, head_b, "yes")
    assert error.value.code == "feedback_not_resolved"


def test_a_yes_is_recorded_and_shared_on_the_timeline(filed, head_b, police) -> None:
    resolve(police, filed)
    assert feedback_awaited(filed)
    feedback = give(filed, head_b, "yes", satisfaction=5, comment="Cảm ơn công an xã.")
    filed.refresh_from_db()
    assert filed.status == Status.RESOLVED and not feedback.reopened
    assert (feedback.round, feedback.author, feedback.satisfaction) == (1, head_b, 5)
    event = feedback.event
    assert (event.kind, event.shared, event.text, event.actor) == (
        "feedback",
        True,
        "Cảm ơn công an xã.",
        head_b,
    )
    assert not feedback_awaited(filed)
    with pytest.raises(ValidationError) as error:
        give(filed, head_b, "no")
    assert error.value.code == "feedback_given"


def test_a_no_reopens_a_closed_report_once(filed, head_b, police) -> None:
    resolve(police, filed, close=True)
    assert filed.closed_at is not None
    feedback = give(filed, head_b, "no")
    filed.refresh_from_db()
    assert feedback.reopened
    assert filed.status == Status.HANDLING and filed.closed_at is None and not filed.is_overdue
    [reopening] = reopenings(filed)
    assert reopening.shared and reopening.from_status == Status.CLOSED
    # Resolved again: a second answer is asked for (round 2); a second "no" does not reopen.
    resolve(police, filed)
    assert feedback_round(filed) == 2 and feedback_awaited(filed)
    second = give(filed, head_b, "no", comment="Vẫn chưa xong.")
    filed.refresh_from_db()
    assert second.round == 2 and not second.reopened
    assert filed.status == Status.RESOLVED
    assert len(reopenings(filed)) == 1


def test_only_the_filer_answers(filed, head_b, police, officer_a, party_office) -> None:
    resolve(police, filed)
    for other in (police, officer_a, party_office):
        with pytest.raises(PermissionDenied):
            give(filed, other)
    # Whoever triages is not "the resident", even on a report they recorded.
    own = file_report(police, filed.hamlet, channel="phone")
    resolve(police, own)
    with pytest.raises(PermissionDenied):
        give(own, police, "yes")
    assert not ReportFeedback.objects.exists()


def test_out_of_range_answers_are_refused(filed, head_b, police) -> None:
    resolve(police, filed)
    for values in ({"satisfaction": 0}, {"satisfaction": 6}, {"resolved": "maybe"}):
        with pytest.raises(ValidationError):
            give(filed, head_b, **{"resolved": "yes", **values})
    assert not ReportFeedback.objects.exists() and not filed.events.filter(kind="feedback")


# --- the filer's page -------------------------------------------------------------------------


def feedback_url(report: IncidentReport) -> str:
    return reverse("reports:report-feedback", args=[report.pk])


def test_the_filer_answers_on_the_report_page_and_a_repeat_does_not_reopen_twice(
    filed, head_b, police
) -> None:
    resolve(police, filed)
    client = logged_in(head_b)
    page = client.get(reverse("reports:report-detail", args=[filed.pk])).content.decode()
    assert 'data-testid="feedback-form"' in page and 'class="btn-check"' in page
    body = {"resolved": "no", "satisfaction": "1", "comment": "Chưa giải quyết."}
    response = client.post(feedback_url(filed), body)
    assert response.status_code == 302
    filed.refresh_from_db()
    assert filed.status == Status.HANDLING
    again = client.post(feedback_url(filed), body)  # the same POST sent twice
    assert again.status_code == 400
    assert ReportFeedback.objects.count() == 1
    assert len(reopenings(filed)) == 1
    # The police read the answers and the comment on the report.
    page = logged_in(police).get(reverse("reports:report-detail", args=[filed.pk]))
    text = page.content.decode()
    assert 'data-testid="feedback-list"' in text and "Chưa giải quyết." in text
    assert 'data-resolved="no"' in text


def test_the_page_refuses_whoever_may_not_answer(
    filed, head_b, police, officer_a, party_office, outsider
) -> None:
    resolve(police, filed)
    body = {"resolved": "yes", "satisfaction": "4"}
    anonymous = Client().post(feedback_url(filed), body)
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert logged_in(outsider).post(feedback_url(filed), body).status_code == 404
    # officer_a triages hamlet A only: hamlet B's report is missing.
    assert logged_in(officer_a).post(feedback_url(filed), body).status_code == 404
    assert logged_in(party_office).post(feedback_url(filed), body).status_code == 403
    assert logged_in(police).post(feedback_url(filed), body).status_code == 403
    assert logged_in(head_b).get(feedback_url(filed)).status_code == 405
    assert not ReportFeedback.objects.exists()


def test_another_hamlets_report_is_missing(police, head_b, officer_a, hamlet_a) -> None:
    report = file_report(officer_a, hamlet_a, channel="phone")
    resolve(police, report)
    response = logged_in(head_b).post(feedback_url(report), {"resolved": "no", "satisfaction": 1})
    assert response.status_code == 404


def test_the_queue_filters_and_marks_what_residents_say_is_unresolved(
    filed, head_b, police, hamlet_b
) -> None:
    happy = file_report(head_b, hamlet_b, title="Ồn ào ban đêm")
    resolve(police, filed)
    resolve(police, happy)
    give(filed, head_b, "no")
    give(happy, head_b, "yes", satisfaction=5)
    queue = reverse("reports:report-list")
    client = logged_in(police)
    page = client.get(queue, {"status": "all", "residents": "unresolved"}).content.decode()
    assert f'data-report="{filed.pk}"' in page and f'data-report="{happy.pk}"' not in page
    assert 'data-residents="no"' in page
    page = client.get(queue, {"status": "all", "residents": "answered"}).content.decode()
    assert f'data-report="{filed.pk}"' in page and f'data-report="{happy.pk}"' in page
    # Resolved again and answered "yes": the residents no longer say it is unresolved.
    resolve(police, filed)
    give(filed, head_b, "yes", satisfaction=4)
    page = client.get(queue, {"status": "all", "residents": "unresolved"}).content.decode()
    assert f'data-report="{filed.pk}"' not in page


# --- the tipster's door ---------------------------------------------------------------------


@pytest.fixture
def tip(commune: Commune, hamlet_a: Hamlet) -> tuple[IncidentReport, str]:
    client = Client(REMOTE_ADDR="203.0.113.78")
    code = code_of(post_tip(client, commune, hamlet_a))
    return IncidentReport.objects.get(channel="anonymous_tip"), code


def test_a_tipsters_no_reopens_the_tip_exactly_once(tip, police) -> None:
    report, code = tip
    client = Client(REMOTE_ADDR="203.0.113.78")
    page = track(client, code).content.decode()
    assert 'data-testid="tip-feedback-form"' not in page  # not yet dealt with
    resolve(police, report)
    page = track(client, code).content.decode()
    assert 'data-testid="tip-feedback-form"' in page
    body = {"resolved": "no", "satisfaction": "2", "comment": "Vẫn còn đánh bạc."}
    response = track(client, code, **body)
    assert response.status_code == 200
    assert 'data-testid="feedback-thanks"' in response.content.decode()
    report.refresh_from_db()
    assert report.status == Status.HANDLING
    feedback = ReportFeedback.objects.get()
    assert feedback.author is None and feedback.reopened
    assert feedback.created_at.second == 0 and feedback.created_at.microsecond == 0
    assert feedback.event.actor is None and feedback.event.shared
    # The same POST again: refused, not reopened twice.
    again = track(client, code, **body)
    assert again.status_code == 400
    assert ReportFeedback.objects.count() == 1
    assert len(reopenings(report)) == 1
    # Resolved again, "no" again: recorded, but the police decide now.
    resolve(police, report)
    track(client, code, **body)
    report.refresh_from_db()
    assert report.status == Status.RESOLVED and ReportFeedback.objects.count() == 2
    assert len(reopenings(report)) == 1


def test_the_tip_page_shows_no_internal_event_and_no_officer(tip, police) -> None:
    report, code = tip
    resolve(police, report)
    ReportEvent.objects.create(report=report, kind="comment", actor=police, text="Nội bộ Qzint")
    track(Client(), code, resolved="partly", satisfaction="3", comment="Tạm ổn")
    page = track(Client(), code).content.decode()
    assert "Qzint" not in page and str(police) not in page and police.username not in page
    assert "Tạm ổn" in page


def test_a_wrong_code_gives_no_feedback(tip, police) -> None:
    report, _code = tip
    resolve(police, report)
    response = track(Client(), "AAAA-BBBB-CCCC-DDDD", resolved="no", satisfaction="1")
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        tip_feedback_give(code="AAAA-BBBB-CCCC-DDDD", resolved="no", satisfaction=1)
    assert not ReportFeedback.objects.exists()


def test_a_tip_feedback_post_from_another_site_is_refused(tip, police) -> None:
    report, code = tip
    resolve(police, report)
    response = Client().post(
        reverse("tips:track"),
        {"code": code, "resolved": "no", "satisfaction": "1", "website": ""},
        HTTP_SEC_FETCH_SITE="cross-site",
    )
    assert response.status_code == 403
    assert not ReportFeedback.objects.exists()
    assert SAME_ORIGIN  # the helpers post from our own page


def test_the_tipsters_comment_reaches_the_police_only(tip, police, head_b, party_office) -> None:
    report, code = tip
    resolve(police, report)
    track(Client(), code, resolved="no", satisfaction="1", comment="Gọi tôi Fbqvexil")
    url = reverse("api:report-feedback", args=[report.pk])
    assert "Fbqvexil" in logged_in_api(police).get(url).content.decode()
    assert (
        "Fbqvexil"
        in logged_in(police)
        .get(reverse("reports:report-detail", args=[report.pk]))
        .content.decode()
    )
    assert logged_in_api(party_office).get(url).json() == []
    assert (
        "Fbqvexil"
        not in logged_in(party_office)
        .get(reverse("reports:report-detail", args=[report.pk]))
        .content.decode()
    )


# --- the API --------------------------------------------------------------------------------


def test_the_api_reads_and_writes_feedback(filed, head_b, police, outsider, party_office) -> None:
    url = reverse("api:report-feedback", args=[filed.pk])
    body = {"resolved": "no", "satisfaction": 2, "comment": "Chưa xong"}
    api = logged_in_api(head_b)
    early = api.post(url, body, format="json")
    assert early.status_code == 400
    resolve(police, filed)
    assert logged_in_api(police).post(url, body, format="json").status_code == 403
    assert logged_in_api(outsider).post(url, body, format="json").status_code in (403, 404)
    assert logged_in_api(party_office).post(url, body, format="json").status_code == 403
    created = api.post(url, body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["reopened"] is True and created.json()["round"] == 1
    again = api.post(url, body, format="json")
    assert again.status_code == 400
    filed.refresh_from_db()
    assert len(reopenings(filed)) == 1
    [answer] = logged_in_api(police).get(url).json()
    assert (answer["resolved"], answer["satisfaction"], answer["comment"]) == ("no", 2, "Chưa xong")
    assert api.get(url).json()[0]["author"] == head_b.pk
    assert logged_in_api(outsider).get(url).status_code == 404
    assert Client().get(url).status_code == 401
    bad = api.post(url, {"resolved": "yes", "satisfaction": 9}, format="json")
    assert bad.status_code == 400


def test_the_schema_documents_the_feedback(police) -> None:
    schema = logged_in(police).get(reverse("schema")).content.decode()
    assert "/api/v1/reports/{id}/feedback/" in schema
    assert "ReportFeedback" in schema


def test_the_api_filters_what_residents_say_for_who_reads_the_answers(
    filed, head_b, police, party_office
) -> None:
    resolve(police, filed)
    give(filed, head_b, "no")
    url = reverse("api:report-list") + "?residents=unresolved"
    assert [row["id"] for row in logged_in_api(police).get(url).json()["results"]] == [filed.pk]
    assert [row["id"] for row in logged_in_api(head_b).get(url).json()["results"]] == [filed.pk]
    # Who reads figures only does not get the answers, not even as a filter.
    assert logged_in_api(party_office).get(url).json()["results"] == []


def test_my_reports_asks_for_the_word_on_each_resolution(filed, head_b, police) -> None:
    def awaited() -> bool:
        page = logged_in(head_b).get(reverse("reports:report-list")).content.decode()
        return 'data-testid="feedback-awaited"' in page

    assert not awaited()
    resolve(police, filed)
    assert awaited()
    give(filed, head_b, "no")  # reopened
    assert not awaited()
    resolve(police, filed)
    assert awaited()  # a new resolution, a new answer
    give(filed, head_b, "yes")
    assert not awaited()


def test_the_queue_export_carries_the_reporters_last_word(filed, police, head_b) -> None:
    """Police read the answer in the export, as on the page; the hamlet head only on the
    reports they filed (the same rule as their text)."""
    import csv
    import io

    from reports import exports

    resolve(police, filed)
    give(filed, head_b, "partly", satisfaction=3)
    response = logged_in(police).get(
        reverse("reports:queue-export"), {"format": "csv", "status": "all"}
    )
    header, row = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    said = dict(zip(header, row, strict=True))
    assert said["Người dân: đã giải quyết?"] == "Giải quyết một phần"
    assert said["Mức hài lòng (1–5)"] == "3"
    (own,) = exports.export_rows(IncidentReport.objects.filter(pk=filed.pk), head_b)
    assert "Giải quyết một phần" in own


def test_the_queue_excel_export_carries_the_reporters_word_too(filed, police, head_b) -> None:
    """The answer's label is a lazy translation: the Excel writer takes its text (it refused it
    once, a 500 the leak scan read past)."""
    import io

    import openpyxl

    resolve(police, filed)
    give(filed, head_b, "no", satisfaction=1)
    response = logged_in(police).get(
        reverse("reports:queue-export"), {"format": "xlsx", "status": "all"}
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    said = dict(zip(header, rows[0], strict=True))
    assert said["Người dân: đã giải quyết?"] == "Chưa giải quyết"
