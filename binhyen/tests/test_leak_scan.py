"""The leak scan: members' phones and names never reach anyone without `groups.view_member` for
their hamlet, and informants' identities reach nobody at all, except on the reveal page after a
reason (ASVS V8.3, personal data; Law 91/2025/QH15).

Two members carry unique markers: one in hamlet A, one in hamlet B, each with a phone number used
nowhere else and a name that cannot occur by chance. Every GET URL of the project (urlmap, the same
enumeration as the authorization matrix, with the markers' objects in the URLs), plus the member
exports in both formats and searches by the markers, is requested as each persona, and the answer
is read as a person would get it: HTML and JSON as text, spreadsheets cell by cell (openpyxl),
PDFs through pdftotext, and the headers (file names, redirects). A phone is found in any format
(+84599123456, 0599 123 456, 0599123456, 84-599-123-456, …).
"""

from __future__ import annotations

import csv
import io
import platform
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator

import django
import openpyxl
import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from accounts.models import User
from binhyen.tests.urlmap import Unbuildable, World, build_world, routes, targets
from conftest import skip_or_fail
from groups.models import Commune, Hamlet, ZaloGroup
from reports import crypto
from reports.models import IncidentReport, Informant, InformantReveal

pytestmark = pytest.mark.django_db

PHONE_A, NAME_A = "+84599123456", "Lâm Thị Qorvexa"  # a member in hamlet A
PHONE_B, NAME_B = "+84599654321", "Lâm Văn Zyxquet"  # a member in hamlet B


def phone_pattern(e164: str) -> re.Pattern:
    """The nine digits after +84 / 0, with any one separator between them."""
    return re.compile(r"[\s.\-]?".join(e164.removeprefix("+84")))


MARKERS: dict[str, re.Pattern] = {
    "phone of the hamlet-A member": phone_pattern(PHONE_A),
    "phone of the hamlet-B member": phone_pattern(PHONE_B),
    "name of the hamlet-A member": re.compile("qorvexa", re.IGNORECASE),
    "name of the hamlet-B member": re.compile("zyxquet", re.IGNORECASE),
}
HAMLET_B_ONLY = {"phone of the hamlet-B member", "name of the hamlet-B member"}
MEMBER_MARKERS = set(MARKERS)

# The informants of the reports in hamlets A and B: sealed, so no crawl by anyone may show them
# (the reveal page needs a POST with a reason, which a crawl does not send).
INFORMANT_PHONE, INFORMANT_NAME = "+84599777111", "Trần Văn Informqvex"
INFORMANT_MARKERS = {
    "phone of an informant": phone_pattern(INFORMANT_PHONE),
    "name of an informant": re.compile("informqvex", re.IGNORECASE),
}
MARKERS |= INFORMANT_MARKERS

# Who may see which marker: nobody but the police sees hamlet B's member; officer_a (area officer
# of hamlet A) sees hamlet A's. Hamlet heads, the party office, leaders, the police of another
# commune and anonymous visitors see neither.
FORBIDDEN_MARKERS = {
    "anonymous": set(MARKERS),
    "head_b": set(MARKERS),
    "party_office": set(MARKERS),
    "leader": set(MARKERS),
    "outsider": set(MARKERS),
    "officer_a": HAMLET_B_ONLY | set(INFORMANT_MARKERS),
    "police": set(INFORMANT_MARKERS),
}

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(
    settings,
    tmp_path,
    commune: Commune,
    other_commune: Commune,
    hamlet_a: Hamlet,
    hamlet_b: Hamlet,
    hamlet_elsewhere: Hamlet,
) -> World:
    settings.DATA_DIR = tmp_path  # the world's attachments
    world = build_world(
        commune=commune,
        other_commune=other_commune,
        hamlet_a=hamlet_a,
        hamlet_b=hamlet_b,
        hamlet_elsewhere=hamlet_elsewhere,
        members={
            "A": {"phone": "0599 123 456", "full_name": NAME_A, "zalo_name": NAME_A},
            "B": {"phone": "0599.654.321", "full_name": NAME_B, "zalo_name": NAME_B},
        },
    )
    for place in ("A", "B"):
        report = world.get(IncidentReport, place)
        values = {
            "name": INFORMANT_NAME,
            "phone": "0599 777 111",
            "address": "",
            "relation_to_case": "",
        }
        Informant.objects.create(
            report=report,
            **{column: crypto.encrypt(values[key]) for key, column in Informant.FIELDS.items()},
        )
    return world


@pytest.fixture
def client_for(personas: dict[str, User]) -> Callable[[str], Client]:
    def make(name: str) -> Client:
        client = Client(raise_request_exception=False)
        if name != "anonymous":
            client.force_login(personas[name])
        return client

    return make


def urls_to_scan(world: World) -> list[str]:
    """Every GET URL of the project, the exports in both formats, and searches for the markers."""
    urls = []
    for route in routes():
        try:
            urls += [target.url for target in targets(route, world)]
        except Unbuildable as exc:
            pytest.fail(f"cannot build a URL for {route.route}: {exc}")
    export = reverse("groups:member-export")
    changelist, roster = reverse("admin:groups_member_changelist"), reverse("groups:member-list")
    urls += [f"{export}?format=xlsx", f"{export}?format=csv"]
    # Searches use a part of each marker: a page that repeats the search term is no leak.
    queue, queue_export = reverse("reports:report-list"), reverse("reports:queue-export")
    urls += [f"{queue_export}?format={fmt}&status=all" for fmt in ("xlsx", "csv")]
    for term in ("123456", "654321", "qorvex", "zyxque", "777111", "informqv"):
        urls += [
            f"{changelist}?q={term}",
            f"{roster}?q={term}",
            f"{export}?format=csv&q={term}",
            f"{reverse('api:member-list')}?search={term}",
            f"{reverse('admin:auditlog_logentry_changelist')}?q={term}",
            f"{queue}?status=all&q={term}",
            f"{reverse('api:report-list')}?search={term}",
            f"{reverse('admin:reports_incidentreport_changelist')}?q={term}",
        ]
    return urls


class Unread(Exception):
    """A response the scan cannot read here (a PDF without pdftotext)."""


def pdf_text(content: bytes) -> str:
    if shutil.which("pdftotext") is None:
        raise Unread("pdftotext is not installed (Debian package poppler-utils)")
    done = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True)
    return done.stdout.decode()


def xlsx_text(content: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    cells = (cell for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
             for cell in row if cell is not None)  # fmt: skip
    return "\n".join(str(cell) for cell in cells)


def readable(response: HttpResponse) -> str:
    """What a person gets from the response: its headers and its content as text."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "").split(";")[0]
    if kind == "application/pdf":
        body = pdf_text(content)
    elif kind == XLSX:
        body = xlsx_text(content)
    else:
        body = content.decode("utf-8", errors="replace")
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    return f"{headers}\n{body}"


def scan(client: Client, urls: list[str]) -> Iterator[tuple[str, str, str]]:
    """(url, marker, status) for each marker found, and ("…", "unread", reason) for a response
    that could not be read."""
    for url in urls:
        response = client.get(url)
        if response.status_code >= 500:
            yield url, "server error", str(response.status_code)  # it would hide what it shows
            continue
        try:
            text = readable(response)
        except Unread as exc:
            yield url, "unread", str(exc)
            continue
        for marker, pattern in ALL_MARKERS.items():
            if pattern.search(text):
                yield url, marker, str(response.status_code)


@pytest.mark.parametrize("persona", list(FORBIDDEN_MARKERS))
def test_no_marker_reaches_a_persona_who_may_not_see_it(
    persona: str, planted: World, client_for: Callable[[str], Client]
) -> None:
    """One crawl per persona reads every marker: the members', the informants' and the reports'
    text. The police and officer_a must find exactly what they may see, so the scan can fail."""
    forbidden = FORBIDDEN_MARKERS[persona]
    if persona not in READS_REPORT_MARKERS:
        forbidden = forbidden | set(REPORT_MARKERS)
    found = list(scan(client_for(persona), report_urls(planted)))
    leaks = [
        f"{persona} GET {url} ({status}): {marker}"
        for url, marker, status in found
        if marker in forbidden
    ]
    assert not leaks, "\n".join(leaks)
    errors = [url for url, marker, _status in found if marker == "server error"]
    assert not errors, errors
    if persona in SEEN_BY:
        assert {marker for _url, marker, _status in found} - {"unread"} == SEEN_BY[persona]
    unread = {reason for _url, marker, reason in found if marker == "unread"}
    if unread:
        skip_or_fail(f"PDFs were not scanned: {', '.join(sorted(unread))}")


def test_the_scan_reads_each_format_the_markers_are_in(
    world: World, client_for: Callable[[str], Client]
) -> None:
    """The police see both members in the exports and the API, in each format the scan reads."""
    police = client_for("police")
    export = reverse("groups:member-export")
    for fmt in ("xlsx", "csv"):
        text = readable(police.get(export, {"format": fmt}))
        assert all(MARKERS[marker].search(text) for marker in MEMBER_MARKERS), fmt
    rows = list(csv.reader(io.StringIO(police.get(export, {"format": "csv"}).content.decode())))
    assert any("0599 654 321" in row for row in rows)  # the csv holds the number as people write it
    members = police.get(reverse("api:member-list")).json()["results"]
    assert {PHONE_A, PHONE_B} <= {member["phone"] for member in members}
    poster = reverse("groups:group-poster", args=[world.get(ZaloGroup, "A").pk])
    assert "zalo.me/g/" in readable(police.get(poster))  # PDFs are read as text


def test_the_scan_covers_the_public_tip_pages(world: World) -> None:
    commune = world.get(Commune, "ours")
    scanned = set(urls_to_scan(world))
    tip_pages = {
        reverse("tips:new", args=[commune.code]),
        reverse("tips:qr", args=[commune.code]),
        reverse("tips:track"),
    }
    assert tip_pages <= scanned


def test_the_scan_finds_an_informant_on_the_reveal_page_after_a_reason(
    world: World, client_for: Callable[[str], Client]
) -> None:
    """The informant markers can be found: on the police's reveal page, once a reason is given
    (and logged), in the page a person reads."""
    url = reverse("reports:informant-reveal", args=[world.get(IncidentReport, "B").pk])
    police = client_for("police")
    reason = {"reason": "Xác minh theo yêu cầu của trưởng công an"}
    response = police.post(url, reason, follow=True)  # the identity is on the page it leads to
    text = readable(response)
    assert all(pattern.search(text) for pattern in INFORMANT_MARKERS.values())
    assert InformantReveal.objects.filter(user__username="police").count() == 1
    for name in ("officer_a", "head_b", "party_office", "outsider"):
        refused = readable(client_for(name).post(url, {"reason": "tò mò"}, follow=True))
        assert not any(pattern.search(refused) for pattern in INFORMANT_MARKERS.values()), name


@pytest.mark.parametrize(
    "url", ["/healthz", "/login/", "/admin/login/", "/tip/track/", "/tip/25387/"]
)
def test_public_pages_reveal_no_marker_and_no_software_version(
    url: str, world: World, client: Client
) -> None:
    response = client.get(url)
    assert response.status_code == 200
    text = readable(response)
    assert not [marker for marker, pattern in MARKERS.items() if pattern.search(text)]
    for header in ("Server", "X-Powered-By", "X-AspNet-Version", "X-Runtime"):
        assert header not in response, header
    assert f"Django/{django.get_version()}" not in text
    assert django.get_version() not in text
    assert f"Python/{platform.python_version()}" not in text


# --- A report's text and handling: only for who triages (reports/visibility.py) -----------------

# Planted in hamlet B: an anonymous tip's text (with the tipster's phone, as the tip form
# invites), the tipster's later addition, and the outcome of the report the police handled.
REPORT_MARKERS = {
    "text of an anonymous tip": re.compile("tipqvexil", re.IGNORECASE),
    "addition of the tipster": re.compile("addqvexil", re.IGNORECASE),
    "outcome of a report": re.compile("outqvexil", re.IGNORECASE),
    "feedback of the tipster": re.compile("fbqvexil", re.IGNORECASE),
}
# Only those who triage hamlet B read them: the police (officer_a triages hamlet A only).
READS_REPORT_MARKERS = {"police"}
ALL_MARKERS = MARKERS | REPORT_MARKERS  # what one crawl looks for
# What the crawl must find for those who may see something (the scan must be able to fail).
SEEN_BY = {
    "police": MEMBER_MARKERS | set(REPORT_MARKERS),
    "officer_a": MEMBER_MARKERS - HAMLET_B_ONLY,
}


@pytest.fixture
def planted(world: World) -> World:
    from reports.models import ReportEvent, ReportFeedback, TipAccess

    tip = world.get(TipAccess, "B").report
    tip.description = "Có người bán ma túy. Gọi tôi: Tipqvexil 0912 000 111"
    tip.save()
    ReportEvent.objects.create(
        report=tip, kind=ReportEvent.Kind.COMMENT, text="Thêm: xe đỏ, Addqvexil", shared=True
    )
    IncidentReport.objects.filter(pk=world.get(IncidentReport, "B").pk).update(
        outcome="Bắt được nghi phạm nhờ hàng xóm Outqvexil", valuable_tip=True
    )
    # The tipster's word on the outcome: their own words, read like the tip's description.
    comment = "Chưa xong, gọi tôi Fbqvexil"
    event = ReportEvent.objects.create(report=tip, kind="feedback", text=comment, shared=True)
    ReportFeedback.objects.create(
        report=tip, resolved="no", satisfaction=1, comment=comment, event=event
    )
    return world


def report_urls(world: World) -> list[str]:
    """Every GET URL, the tip's own pages, the queue's exports, searches for the planted words."""
    from reports.models import TipAccess

    urls = urls_to_scan(world)
    tip = world.get(TipAccess, "B").report_id
    api_tip = reverse("api:report-detail", args=[tip])
    urls += [
        reverse("reports:report-detail", args=[tip]),
        api_tip,
        f"{api_tip}comments/",
        f"{api_tip}feedback/",
    ]
    queue, queue_export = reverse("reports:report-list"), reverse("reports:queue-export")
    for term in ("tipqvex", "addqvex", "outqvex", "fbqvex"):
        urls += [
            f"{reverse('api:report-list')}?search={term}",
            f"{queue}?status=all&q={term}",
            f"{queue_export}?format=csv&status=all&q={term}",
        ]
    return urls


# --- The map: no informant, no text, and never a tip's precise point (reports/maps.py) -----------

# Planted on hamlet B's anonymous tip as an old row might hold it (the service stores a tip's
# point rounded to 3 decimals): the map must round it for every role, the police included.
TIP_POINT = {"latitude": "11.523456", "longitude": "106.798765"}
PRECISE_TIP_POINT = re.compile(r"11[.,]52345|106[.,]79876")


def map_urls(world: World) -> list[str]:
    """The map page and its API, unfiltered and filtered as the page filters them."""
    hamlet_b = world.get(Hamlet, "B").pk
    urls = []
    for base in (reverse("reports:report-map"), reverse("api:report-map")):
        urls += [
            base,
            f"{base}?status=received",
            f"{base}?hamlet={hamlet_b}",
            f"{base}?category=crime&urgency=normal",
            f"{base}?received_from=2020-01-01&received_to=2099-12-31",
        ]
    return [*urls, "/"]  # the dashboards' small maps


@pytest.fixture
def tip_with_point(planted: World) -> World:
    from reports.models import TipAccess

    IncidentReport.objects.filter(pk=world_tip(planted)).update(**TIP_POINT)
    assert TipAccess.objects.filter(report_id=world_tip(planted)).exists()
    return planted


def world_tip(world: World) -> int:
    from reports.models import TipAccess

    return world.get(TipAccess, "B").report_id


@pytest.mark.parametrize("persona", list(FORBIDDEN_MARKERS))
def test_no_map_response_shows_an_informant_a_reports_text_or_a_tips_precise_point(
    persona: str, tip_with_point: World, client_for: Callable[[str], Client]
) -> None:
    client = client_for(persona)
    leaks = []
    for url in map_urls(tip_with_point):
        text = readable(client.get(url))
        leaks += [f"{url}: {name}" for name, pattern in MARKERS.items() if pattern.search(text)
                  and name in INFORMANT_MARKERS]  # fmt: skip
        leaks += [f"{url}: {name}" for name, pattern in REPORT_MARKERS.items()
                  if pattern.search(text)]  # fmt: skip
        if PRECISE_TIP_POINT.search(text):
            leaks.append(f"{url}: the tip's precise point")
    assert not leaks, f"{persona}:\n" + "\n".join(leaks)


def test_the_map_scan_can_find_the_tips_point(
    tip_with_point: World, client_for: Callable[[str], Client]
) -> None:
    """The marker is there to be found: the police read the tip's coordinates as stored on the
    report itself (its text), and the map shows the tip, rounded."""
    police = client_for("police")
    tip = world_tip(tip_with_point)
    detail = readable(police.get(reverse("api:report-detail", args=[tip])))
    assert PRECISE_TIP_POINT.search(detail)
    shown = police.get(reverse("api:report-map")).json()["reports"]
    [marker] = [row for row in shown if row["id"] == tip]
    assert (marker["latitude"], marker["longitude"]) == ("11.523000", "106.799000")
