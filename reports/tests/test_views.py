"""The report pages through the HTTP client: filing, my reports, the triage queue, the report
page and its forms, attachments, the export, the informant's reveal and its log."""

from __future__ import annotations

import csv
import datetime
import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import User
from binhyen.tests.test_private_files import assert_served_privately
from groups.models import Hamlet
from groups.tests.factories import PeopleGroupFactory, ZaloGroupFactory
from reports.models import (
    Attachment,
    Channel,
    IncidentReport,
    Informant,
    InformantReveal,
    ReportCounter,
    ReportEvent,
    Status,
)
from reports.services import report_assign, report_comment, report_transition
from reports.tests.factories import INFORMANT, MARKER, IncidentReportFactory, file_report

pytestmark = pytest.mark.django_db


def _photo(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


JPEG = _photo("JPEG")
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100
LIST = reverse("reports:report-list")
CREATE = reverse("reports:report-create")
EXPORT = reverse("reports:queue-export")
REVEALS = reverse("reports:reveal-log")


def client_of(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def detail(report: IncidentReport) -> str:
    return reverse("reports:report-detail", args=[report.pk])


def form_data(hamlet: Hamlet, **extra: object) -> dict[str, object]:
    return {
        "hamlet": hamlet.pk,
        "category": "crime",
        "urgency": "normal",
        "title": "Mất trộm gà",
        "description": "Đêm qua mất 5 con gà.",
        "occurred_at": "2026-01-15T21:30",
        "location": "Cuối ấp",
        **extra,
    }


def text(response) -> str:
    return response.content.decode()


# --- anonymous, scope, permission ------------------------------------------------------------


def report_urls(report: IncidentReport) -> list[str]:
    return [
        detail(report),
        reverse("reports:informant-reveal", args=[report.pk]),
    ]


def test_anonymous_users_are_sent_to_the_login(report_a) -> None:
    client = Client()
    attachment = IncidentReport.objects.get(pk=report_a.pk)
    for url in [LIST, CREATE, EXPORT, REVEALS, *report_urls(attachment)]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    for name in ("report-comment", "report-transition", "report-assign", "report-outcome"):
        response = client.post(reverse(f"reports:{name}", args=[report_a.pk]), {})
        assert response.status_code == 302 and "/login/" in response["Location"], name
    assert client.post(reverse("reports:queue-assign"), {}).status_code == 302


def test_another_hamlets_report_is_missing(head_b, officer_a, report_a, report_b) -> None:
    for url in report_urls(report_a):
        assert client_of(head_b).get(url).status_code == 404, url
    for url in report_urls(report_b):
        assert client_of(officer_a).get(url).status_code == 404, url
    for name in ("report-comment", "report-transition", "report-assign", "report-outcome"):
        response = client_of(officer_a).post(reverse(f"reports:{name}", args=[report_b.pk]), {})
        assert response.status_code == 404, name
    assert not report_b.events.exclude(kind="created").exists()


def test_missing_permissions_are_forbidden(head_b, party_office, report_b) -> None:
    head = client_of(head_b)
    assert head.get(EXPORT).status_code == 403
    assert head.get(REVEALS).status_code == 403
    assert head.get(reverse("reports:informant-reveal", args=[report_b.pk])).status_code == 403
    for name in ("report-transition", "report-assign", "report-outcome"):
        assert head.post(reverse(f"reports:{name}", args=[report_b.pk]), {}).status_code == 403
    assert head.post(reverse("reports:queue-assign"), {}).status_code == 403
    party = client_of(party_office)
    assert party.get(LIST).status_code == 403
    assert party.get(CREATE).status_code == 403
    assert party.get(detail(report_b)).status_code == 200  # the report as filed, shared events
    comment = reverse("reports:report-comment", args=[report_b.pk])
    assert party.post(comment, {"text": "x"}).status_code == 403  # not theirs to comment on
    assert party.get(reverse("reports:informant-reveal", args=[report_b.pk])).status_code == 403


# --- filing ----------------------------------------------------------------------------------


def test_a_hamlet_head_files_a_report_with_photos(head_b, hamlet_b) -> None:
    people_group = PeopleGroupFactory(hamlet=hamlet_b)
    photos = [SimpleUploadedFile(f"anh{i}.jpg", JPEG, "image/jpeg") for i in range(2)]
    data = form_data(hamlet_b, people_group=people_group.pk, urgency="urgent", photos=photos)
    response = client_of(head_b).post(CREATE, data)
    report = IncidentReport.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(report)
    assert (report.hamlet, report.people_group, report.filed_by) == (hamlet_b, people_group, head_b)
    assert (report.channel, report.urgency, report.status) == ("web_form", "urgent", "received")
    assert report.occurred_at == timezone.make_aware(datetime.datetime(2026, 1, 15, 21, 30))
    assert report.attachments.count() == 2
    assert report.code.startswith("TB-")


def test_the_hamlet_head_form_offers_only_their_hamlet_and_no_internal_field(
    head_b, hamlet_a, hamlet_b
) -> None:
    page = text(client_of(head_b).get(CREATE))
    assert f'value="{hamlet_b.pk}"' in page and hamlet_a.name not in page
    for field in ("informant_name", "informant_phone", 'name="channel"', 'name="status"'):
        assert field not in page


def test_a_hamlet_head_cannot_set_internal_fields_or_another_hamlet(
    head_b, officer_a, hamlet_a, hamlet_b
) -> None:
    client = client_of(head_b)
    extra = {
        "status": "closed",
        "assigned_to": officer_a.pk,
        "valuable_tip": "on",
        "outcome": "done",
        "due_at": "2030-01-01T00:00",
        "channel": "anonymous_tip",
        "informant_name": MARKER,
        "informant_phone": "0912555417",
        "code": "TB-1999-99999",
    }
    response = client.post(CREATE, form_data(hamlet_b, **extra))
    assert response.status_code == 302
    report = IncidentReport.objects.get()
    assert (report.status, report.assigned_to, report.valuable_tip, report.outcome) == (
        "received",
        None,
        False,
        "",
    )
    assert report.channel == Channel.WEB_FORM and report.code != "TB-1999-99999"
    assert not Informant.objects.exists()
    response = client.post(CREATE, form_data(hamlet_a))
    assert response.status_code == 200 and IncidentReport.objects.count() == 1


def test_a_bad_file_saves_nothing_and_says_why_in_vietnamese(head_b, hamlet_b, settings) -> None:
    photos = [
        SimpleUploadedFile("tot.jpg", JPEG, "image/jpeg"),
        SimpleUploadedFile("anh.jpg", EXE, "image/jpeg"),  # a program named like a photo
    ]
    response = client_of(head_b).post(CREATE, form_data(hamlet_b, photos=photos))
    assert response.status_code == 200
    assert "“anh.jpg” không phải ảnh" in text(response)
    assert not IncidentReport.objects.exists() and not Attachment.objects.exists()
    assert not ReportEvent.objects.exists()
    stored = settings.DATA_DIR / "private" / "attachments"
    assert not stored.exists() or not any(p.is_file() for p in stored.rglob("*"))
    # The number was given back: the next report is the first of the year.
    assert not ReportCounter.objects.filter(last__gt=0).exists()


def test_too_many_files_are_refused_before_anything_is_saved(head_b, hamlet_b) -> None:
    photos = [SimpleUploadedFile(f"{i}.jpg", JPEG, "image/jpeg") for i in range(6)]
    response = client_of(head_b).post(CREATE, form_data(hamlet_b, photos=photos))
    assert response.status_code == 200 and "tối đa 5" in text(response)
    assert not IncidentReport.objects.exists()


def test_the_police_choose_the_channel_and_may_seal_an_informant(police, hamlet_a) -> None:
    group = ZaloGroupFactory(hamlet=hamlet_a)
    data = form_data(
        hamlet_a,
        channel="zalo_group",
        zalo_group=group.pk,
        informant_name=INFORMANT["name"],
        informant_phone=INFORMANT["phone"],
        informant_address=INFORMANT["address"],
        informant_relation=INFORMANT["relation_to_case"],
    )
    response = client_of(police).post(CREATE, data)
    report = IncidentReport.objects.get()
    assert response.status_code == 302
    assert (report.channel, report.zalo_group) == ("zalo_group", group)
    informant = Informant.objects.get(report=report)
    assert MARKER not in informant.name_encrypted  # sealed
    page = text(client_of(police).get(detail(report)))
    assert "informant-recorded" in page and MARKER not in page


# --- my reports and the shared view ----------------------------------------------------------


def test_my_reports_lists_what_the_head_filed_with_new_replies(
    head_b, police, hamlet_b, report_b
) -> None:
    other = file_report(police, hamlet_b, channel="phone", title="Police filed this")
    page = text(client_of(head_b).get(LIST))
    assert report_b.code in page and other.code not in page
    assert 'data-testid="new-reply"' not in page
    report_comment(actor=police, report=report_b, text="Chúng tôi đã nhận.", shared=True)
    assert 'data-testid="new-reply"' in text(client_of(head_b).get(LIST))
    report_comment(actor=head_b, report=report_b, text="Cảm ơn", shared=True)
    assert 'data-testid="new-reply"' not in text(client_of(head_b).get(LIST))


def test_my_reports_empty_state(head_b) -> None:
    assert 'data-testid="empty"' in text(client_of(head_b).get(LIST))


def test_the_hamlet_head_sees_only_the_shared_timeline(head_b, police, officer_a, report_b):
    report_comment(actor=police, report=report_b, text="Ghi chú nội bộ XYZ", shared=False)
    report_comment(actor=police, report=report_b, text="Trả lời chung ABC", shared=True)
    report_transition(actor=police, report=report_b, to_status="verifying", note="Note nội bộ")
    page = text(client_of(head_b).get(detail(report_b)))
    assert "Trả lời chung ABC" in page
    assert "Ghi chú nội bộ XYZ" not in page and "Note nội bộ" not in page
    assert 'data-testid="assignee"' not in page and 'data-testid="outcome"' not in page
    assert "transition-form" not in page
    assert "informant-recorded" in page  # they filed it with an informant: that one exists
    assert MARKER not in page
    police_page = text(client_of(police).get(detail(report_b)))
    assert "Ghi chú nội bộ XYZ" in police_page and "Note nội bộ" in police_page


def test_comments_both_ways(head_b, police, report_b) -> None:
    url = reverse("reports:report-comment", args=[report_b.pk])
    response = client_of(head_b).post(url, {"text": "Có thêm thông tin", "shared": ""})
    assert response.status_code == 302
    assert report_b.events.get(kind="comment").shared  # a hamlet head's comment is shared
    client_of(police).post(url, {"text": "Nội bộ"})
    client_of(police).post(url, {"text": "Chung", "shared": "on"})
    shared = dict(report_b.events.filter(kind="comment").values_list("text", "shared"))
    assert shared == {"Có thêm thông tin": True, "Nội bộ": False, "Chung": True}
    response = client_of(head_b).post(url, {"text": "   "})
    assert response.status_code == 400


def test_html_in_a_description_is_shown_as_text(head_b, police, hamlet_b) -> None:
    script = '<script>alert("x")</script><b>đậm</b>'
    client_of(head_b).post(CREATE, form_data(hamlet_b, description=script, title=script))
    report = IncidentReport.objects.get()
    for user, url in ((head_b, detail(report)), (police, detail(report)), (police, LIST)):
        page = text(client_of(user).get(url))
        assert "<script>alert" not in page and "<b>đậm" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


# --- the queue -------------------------------------------------------------------------------


def rows(response) -> list[int]:
    return [report.pk for report in response.context["page"].object_list]


def test_the_queue_filters_sorts_and_searches(police, officer_a, hamlet_a, hamlet_b) -> None:
    now = timezone.now()
    urgent = IncidentReportFactory(hamlet=hamlet_a, urgency="urgent", title="Cháy rừng keo")
    late = IncidentReportFactory(
        hamlet=hamlet_b, due_at=now - datetime.timedelta(hours=1), channel="zalo_group"
    )
    done = IncidentReportFactory(hamlet=hamlet_a, status=Status.CLOSED, category="fire")
    mine = IncidentReportFactory(
        hamlet=hamlet_a, assigned_to=officer_a, description="Đánh nhau ở quán Đức Hòa"
    )
    client = client_of(police)
    assert set(rows(client.get(LIST))) == {urgent.pk, late.pk, mine.pk}  # open by default
    assert rows(client.get(LIST, {"status": "all", "category": "fire"})) == [done.pk]
    assert rows(client.get(LIST, {"hamlet": hamlet_b.pk})) == [late.pk]
    assert rows(client.get(LIST, {"channel": "zalo_group"})) == [late.pk]
    assert rows(client.get(LIST, {"urgency": "urgent"})) == [urgent.pk]
    assert rows(client.get(LIST, {"overdue": "yes"})) == [late.pk]
    assert set(rows(client.get(LIST, {"overdue": "no"}))) == {urgent.pk, mine.pk}
    assert rows(client.get(LIST, {"assignee": officer_a.pk})) == [mine.pk]
    assert set(rows(client.get(LIST, {"assignee": "none"}))) == {urgent.pk, late.pk}
    assert rows(client.get(LIST, {"q": "chay rung"})) == [urgent.pk]
    assert rows(client.get(LIST, {"q": "duc hoa"})) == [mine.pk]  # description, Đ → d
    assert rows(client.get(LIST, {"q": late.code.lower()})) == [late.pk]
    assert rows(client.get(LIST, {"sort": "due"}))[0] == late.pk
    assert rows(client.get(LIST, {"sort": "urgency"}))[0] == urgent.pk
    assert rows(client.get(LIST, {"sort": "created"}))[0] == urgent.pk
    by_status = rows(client.get(LIST, {"sort": "status", "status": "all"}))
    assert by_status[-1] == done.pk
    page = text(client.get(LIST))
    assert 'data-overdue="1"' in page
    # Out of scope: officer_a's queue has only hamlet A, whatever is asked.
    assert late.pk not in rows(client_of(officer_a).get(LIST, {"hamlet": hamlet_b.pk}))


def test_the_queue_empty_states(police) -> None:
    assert "Không có tin báo đang mở" in text(client_of(police).get(LIST))
    page = text(client_of(police).get(LIST, {"q": "khong co"}))
    assert 'data-testid="empty"' in page


def test_the_queue_pages_and_counts(police, hamlet_a) -> None:
    IncidentReportFactory.create_batch(30, hamlet=hamlet_a)
    client = client_of(police)
    first = client.get(LIST)
    assert len(rows(first)) == 25 and first.context["page"].paginator.count == 30
    assert len(rows(client.get(LIST, {"page": 2}))) == 5
    assert client.get(LIST, {"page": "x"}).status_code == 404


@pytest.mark.parametrize("size", [3, 30])
def test_the_queue_query_count_is_flat(
    size: int, police, officer_a, hamlet_a, hamlet_b, django_assert_max_num_queries
) -> None:
    IncidentReportFactory.create_batch(size, hamlet=hamlet_a, assigned_to=officer_a)
    IncidentReportFactory.create_batch(size, hamlet=hamlet_b)
    client = client_of(police)
    client.get(LIST)
    # The filters' hamlets and officers come from the cache (reports/officers.py), warm here.
    with django_assert_max_num_queries(9):
        response = client.get(LIST, {"q": "trom", "sort": "due"})
    assert response.status_code == 200 and len(rows(response)) == min(2 * size, 25)


@pytest.mark.parametrize("size", [3, 30])
def test_my_reports_query_count_is_flat(
    size: int, head_b, hamlet_b, django_assert_max_num_queries
) -> None:
    IncidentReportFactory.create_batch(size, hamlet=hamlet_b, filed_by=head_b)
    client = client_of(head_b)
    client.get(LIST)
    with django_assert_max_num_queries(8):
        assert client.get(LIST).status_code == 200


def test_bulk_assign_asks_then_assigns(police, officer_a, hamlet_a) -> None:
    reports = IncidentReportFactory.create_batch(3, hamlet=hamlet_a)
    client = client_of(police)
    data = {"reports": [r.pk for r in reports[:2]], "assignee": officer_a.pk, "next": LIST}
    response = client.post(reverse("reports:queue-assign"), data)
    assert response.status_code == 200 and reports[0].code in text(response)
    assert not IncidentReport.objects.filter(assigned_to=officer_a).exists()
    response = client.post(reverse("reports:queue-assign"), {**data, "confirm": "1"})
    assert response.status_code == 302 and response["Location"] == LIST
    assert set(IncidentReport.objects.filter(assigned_to=officer_a)) == set(reports[:2])
    assert ReportEvent.objects.filter(kind="assigned").count() == 2


def test_bulk_assign_refuses_an_officer_out_of_scope(police, officer_a, hamlet_b) -> None:
    report = IncidentReportFactory(hamlet=hamlet_b)
    data = {"reports": [report.pk], "assignee": officer_a.pk, "confirm": "1"}
    response = client_of(police).post(reverse("reports:queue-assign"), data, follow=True)
    assert "không phụ trách tất cả các ấp" in text(response)
    assert IncidentReport.objects.get(pk=report.pk).assigned_to is None


def test_bulk_assign_ignores_reports_out_of_scope(officer_a, hamlet_b) -> None:
    report = IncidentReportFactory(hamlet=hamlet_b)
    data = {"reports": [report.pk], "assignee": officer_a.pk, "confirm": "1"}
    client_of(officer_a).post(reverse("reports:queue-assign"), data)
    assert IncidentReport.objects.get(pk=report.pk).assigned_to is None


# --- the police's report page ----------------------------------------------------------------


def test_only_allowed_transitions_are_offered_and_done(police, report_a) -> None:
    client = client_of(police)
    form = client.get(detail(report_a)).context["transition_form"]
    assert [value for value, _ in form.fields["to_status"].choices] == [
        "verifying",
        "transferred",
        "unfounded",
    ]
    url = reverse("reports:report-transition", args=[report_a.pk])
    response = client.post(url, {"to_status": "closed", "note": ""})
    assert response.status_code == 400
    assert IncidentReport.objects.get(pk=report_a.pk).status == "received"
    response = client.post(url, {"to_status": "verifying", "note": "Đi xác minh"})
    assert response.status_code == 302
    event = report_a.events.get(kind="status_changed")
    assert (event.to_status, event.text, event.shared) == ("verifying", "Đi xác minh", False)


def test_assign_and_outcome_from_the_report_page(police, officer_a, report_a) -> None:
    client = client_of(police)
    client.post(reverse("reports:report-assign", args=[report_a.pk]), {"assignee": officer_a.pk})
    url = reverse("reports:report-outcome", args=[report_a.pk])
    response = client.post(url, {"valuable_tip": "on", "solved_by_tip": "on", "outcome": "Bắt"})
    assert response.status_code == 302
    report = IncidentReport.objects.get(pk=report_a.pk)
    assert (report.assigned_to, report.valuable_tip, report.solved_by_tip) == (
        officer_a,
        True,
        True,
    )
    response = client.post(url, {"solved_by_tip": "on", "outcome": "x"})  # solved but not valuable
    assert response.status_code == 400
    assert IncidentReport.objects.get(pk=report_a.pk).outcome == "Bắt"


# --- attachments -----------------------------------------------------------------------------


def test_an_attachment_is_served_privately(head_b, police, officer_a, party_office, hamlet_b):
    client_of(head_b).post(
        CREATE, form_data(hamlet_b, photos=[SimpleUploadedFile("a.jpg", JPEG, "image/jpeg")])
    )
    attachment = Attachment.objects.get()
    url = reverse("reports:attachment-download", args=[attachment.pk])
    for user in (head_b, police):
        response = client_of(user).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")  # re-encoded
        assert response["Content-Type"] == "image/jpeg"
        assert_served_privately(response)
        assert 'filename="a.jpg"' in response["Content-Disposition"]
    assert client_of(officer_a).get(url).status_code == 404  # hamlet B is not theirs
    assert client_of(party_office).get(url).status_code == 403
    assert Client().get(url).status_code == 302


# --- export ----------------------------------------------------------------------------------


def test_the_export_follows_the_queue_and_has_no_informant(police, hamlet_a, report_b) -> None:
    IncidentReportFactory(hamlet=hamlet_a, title="=HYPERLINK(1)", category="fire")
    IncidentReportFactory(hamlet=hamlet_a, title="Không xuất", category="crime")
    client = client_of(police)
    response = client.get(EXPORT, {"format": "csv", "category": "fire"})
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeffMã tin báo,Ấp")
    lines = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(lines) == 2 and lines[1][4] == "'=HYPERLINK(1)"
    response = client.get(EXPORT, {"format": "xlsx", "status": "all"})
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = [str(c) for row in book.active.iter_rows(values_only=True) for c in row if c]
    assert "Mã tin báo" in cells and report_b.code in cells
    assert not [c for c in cells if MARKER in c or "0912555417" in c or "informant" in c.lower()]
    assert client.get(EXPORT, {"format": "pdf"}).status_code == 400


# --- the informant ---------------------------------------------------------------------------


def test_the_reveal_needs_a_reason_logs_and_is_not_cached(police, report_b) -> None:
    url = reverse("reports:informant-reveal", args=[report_b.pk])
    client = client_of(police)
    page = client.get(url)
    assert page.status_code == 200 and MARKER not in text(page)
    response = client.post(url, {"reason": "  "})
    assert MARKER not in text(response) and not InformantReveal.objects.exists()
    posted = client.post(url, {"reason": "Xác minh vụ việc"})
    assert posted.status_code == 302 and MARKER not in text(posted)  # post, redirect, get
    response = client.get(posted["Location"])
    assert MARKER in text(response) and "no-store" in response["Cache-Control"]
    reveal = InformantReveal.objects.get()
    assert (reveal.user, reveal.report, reveal.reason) == (police, report_b, "Xác minh vụ việc")
    reload = client.get(url)  # a reload asks again: it neither re-reveals nor logs twice
    assert MARKER not in text(reload) and InformantReveal.objects.count() == 1
    assert 'data-testid="last-reveal"' in text(reload) and str(police) in text(reload)


def test_the_reveal_page_of_a_report_without_informant(police, report_a) -> None:
    url = reverse("reports:informant-reveal", args=[report_a.pk])
    response = client_of(police).post(url, {"reason": "thử"})
    assert 'data-testid="no-informant"' in text(response)
    assert not InformantReveal.objects.exists()


def test_the_reveal_log_lists_and_filters(police, officer_a, report_a, report_b, outsider):
    InformantReveal.objects.create(report=report_b, user=police, reason="Lý do một")
    old = InformantReveal.objects.create(report=report_a, user=officer_a, reason="Lý do hai")
    InformantReveal.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=40)
    )
    client = client_of(police)
    page = text(client.get(REVEALS))
    assert "Lý do một" in page and "Lý do hai" in page and MARKER not in page
    since = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    page = text(client.get(REVEALS, {"from": since}))
    assert "Lý do một" in page and "Lý do hai" not in page
    page = text(client.get(REVEALS, {"user": officer_a.pk}))
    assert "Lý do hai" in page and "Lý do một" not in page
    assert client.get(REVEALS, {"from": "2026-13-45"}).status_code == 200
    assert "Lý do" not in text(client_of(outsider).get(REVEALS))  # another commune's log


def test_the_informant_marker_is_on_no_page_a_non_permitted_user_sees(
    head_b, party_office, leader, officer_a, police, report_b
) -> None:
    report_comment(actor=police, report=report_b, text="Đã nhận", shared=True)
    urls = [
        LIST,
        CREATE,
        detail(report_b),
        f"{LIST}?q=zyxwv",
        f"{EXPORT}?format=csv&status=all",
        f"{EXPORT}?format=xlsx&status=all",
        REVEALS,
        reverse("reports:informant-reveal", args=[report_b.pk]),
        reverse("home"),
    ]
    for user in (head_b, party_office, leader, officer_a, police):
        client = client_of(user)
        for url in urls:
            response = client.get(url)
            body = response.content
            if response.get("Content-Type", "").startswith("application/vnd.openxml"):
                book = openpyxl.load_workbook(io.BytesIO(body))
                body = " ".join(
                    str(c) for r in book.active.iter_rows(values_only=True) for c in r
                ).encode()
            assert MARKER.encode() not in body, (user, url)
            assert b"0912555417" not in body and b"0912 555 417" not in body, (user, url)


def test_the_queue_escapes_names_and_marks_the_chosen_filters(police, hamlet_a) -> None:
    """The filter's options are written in Python and the rows' hamlet names come from the
    form's list: both escaped, the chosen option selected."""
    hamlet_a.name = "Ấp <b>A</b> & co"
    hamlet_a.save()
    IncidentReportFactory(hamlet=hamlet_a)
    content = client_of(police).get(LIST, {"hamlet": hamlet_a.pk}).content.decode()
    shown = "Ấp &lt;b&gt;A&lt;/b&gt; &amp; co"
    assert "<b>A</b>" not in content
    assert f'<option value="{hamlet_a.pk}" selected>{shown}</option>' in content
    assert content.count(shown) == 3  # the option, and the row's two cells


def test_the_queue_names_an_assignee_who_can_no_longer_be_assigned(
    police, officer_a, hamlet_a
) -> None:
    """The rows take the officers' names from the assignable list; one who left the role (no
    longer in that list) is still named on the reports assigned to them."""
    IncidentReportFactory(hamlet=hamlet_a, assigned_to=officer_a)
    officer_a.groups.clear()
    officer_a.full_name = "Cán bộ đã chuyển công tác"
    officer_a.save()
    response = client_of(police).get(LIST)
    assert [r.assignee_name for r in response.context["page"].object_list] == [
        "Cán bộ đã chuyển công tác"
    ]
    assert "Cán bộ đã chuyển công tác" not in dict(response.context["officers"]).values()


# --- the figures' list (what the leadership's counts open) --------------------------------------


def test_figures_list_counts_what_the_filters_say_and_shows_no_text(
    client, leader, police, hamlet_a, hamlet_b, hamlet_elsewhere
) -> None:
    secret = file_report(
        police, hamlet_a, title=f"{MARKER} title", description=f"{MARKER} text", informant=INFORMANT
    )
    IncidentReport.objects.filter(pk=secret.pk).update(valuable_tip=True)
    IncidentReportFactory(hamlet=hamlet_b)
    IncidentReportFactory(hamlet=hamlet_elsewhere)
    client.force_login(leader)
    page = client.get("/reports/figures/").content.decode()
    assert (
        'data-testid="count" data-count="2"' in page and page.count('data-testid="report-row"') == 2
    )
    assert MARKER not in page and INFORMANT["phone"] not in page
    assert secret.code in page
    page = client.get(f"/reports/figures/?valuable_tip=true&hamlet={hamlet_a.pk}").content.decode()
    assert 'data-count="1"' in page and hamlet_a.name in page and "Tin có giá trị" in page
    # Another commune's hamlet is not a way in: nothing matches.
    page = client.get(f"/reports/figures/?hamlet={hamlet_elsewhere.pk}").content.decode()
    assert 'data-count="0"' in page and 'data-testid="empty"' in page
    # A filter that cannot be read says so in Vietnamese, instead of counting everything.
    page = client.get("/reports/figures/?received_from=hôm-qua").content.decode()
    assert 'data-testid="filter-errors"' in page and 'data-testid="count"' not in page


def test_the_filer_is_told_who_handles_their_report(head_b, police, officer_a, hamlet_b) -> None:
    """An open report names who acts next: the roles that triage and the officers whose scope
    holds the hamlet, then its officer once assigned; a closed one waits on nobody."""
    report = file_report(head_b, hamlet_b)
    page = client_of(head_b).get(detail(report)).content.decode()
    shown = re.search(r'data-testid="who-can">(.*?)</p>', page, re.S)[1]
    assert "Công an xã" in shown and str(police) in shown
    assert str(officer_a) not in shown  # hamlet A's officer does not handle hamlet B
    report_assign(actor=police, reports=[report], assignee=police)
    page = client_of(head_b).get(detail(report)).content.decode()
    assert str(police) in re.search(r'data-testid="who-can">(.*?)</p>', page, re.S)[1]
    assert 'data-testid="who-can"' not in client_of(police).get(detail(report)).content.decode()
