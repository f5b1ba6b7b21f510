"""What a review's documents print, built once and read by the three renderers (documents.py),
so the PDF, the DOCX and the XLSX hold the same content.

`review_data` is the frozen snapshot of a finalised review, or the same structure computed now
for a draft. It holds counts, the narrative, approved commendations (names of the nominees and
the reasons) and the commune's document settings: never an informant or a member's phone.
The documents are party documents: their text is Vietnamese whatever the reader's language.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from binhyen.numbers import number_text
from bulletins.models import Procedure, Theme
from reports.models import Category, Channel

from .figures import compute_figures
from .models import AnnualReview, Commendation, ReviewSettings

Data = dict[str, Any]
Value = int | float | str | None


# --- numbers as Vietnamese documents write them -----------------------------------------------


def vn_number(value: Value) -> str:
    """1234 → "1.234", 13.25 → "13,3", None → "—": binhyen.numbers in Vietnamese, whatever
    the reader's language (the documents are Vietnamese); text passes through."""
    if isinstance(value, str):
        return value
    with translation.override("vi"):
        return number_text(value)


def vn_date(day: datetime.date) -> str:
    return f"{day:%d/%m/%Y}"


# --- the data behind a review ------------------------------------------------------------------


def settings_data(settings: ReviewSettings) -> Data:
    return {
        "higher_body": settings.higher_body,
        "issuing_body": settings.issuing_body,
        "number_suffix": settings.number_suffix,
        "place_name": settings.place_name,
        "signer_on_behalf": settings.signer_on_behalf,
        "signer_title": settings.signer_title,
        "signer_name": settings.signer_name,
        "recipients": settings.recipient_lines,
    }


def commendations_data(review: AnnualReview) -> list[Data]:
    """The approved nominations, individuals first: what the report lists."""
    approved = review.commendations.filter(status=Commendation.Status.APPROVED)
    rows = [
        {
            "individual": commendation.is_individual,
            "kind": str(commendation.get_nominee_kind_display()),
            "name": commendation.name,
            "reason": commendation.reason,
        }
        for commendation in approved.order_by("nominee_kind", "name", "pk")
    ]
    return sorted(rows, key=lambda row: not row["individual"])


@dataclass
class ReviewState:
    """What a review's documents print (`data`) and, for a draft, the edited narrative sections
    whose figures have changed since (`stale`, narrative.Stale) and the writer of its sentences
    from the same figures."""

    data: Data
    stale: list[Any] = field(default_factory=list)
    writer: Any = None
    generated: dict[str, Any] = field(default_factory=dict)


def review_state(review: AnnualReview) -> ReviewState:
    """A finalised review: its frozen snapshot, nothing else. A draft: the figures computed
    once, now, and the narrative written from those same figures (narrative.py), so that the
    text and the tables cannot disagree."""
    if review.is_final and review.snapshot:
        return ReviewState(review.snapshot)
    from . import narrative  # narrative.py formats its numbers with this module's vn_number

    with translation.override("vi"):
        figures = compute_figures(review.commune, kind=review.period_kind, year=review.year)
        commendations = commendations_data(review)
        writer = narrative.Writer(figures, review.commune, commendations)
        generated = writer.sentences()
        data = {
            "final": False,
            "commune": review.commune.name,
            "year": review.year,
            "subject": review.subject,
            "number": None,
            "issued_on": None,
            "settings": settings_data(ReviewSettings.for_commune(review.commune)),
            "figures": figures,
            "narrative": narrative.texts(review, generated),
            "commendations": commendations,
        }
        return ReviewState(data, narrative.stale(review, writer), writer, generated)


def review_data(review: AnnualReview) -> Data:
    """The snapshot of a finalised review; for a draft, the same computed now."""
    return review_state(review).data


# --- header lines --------------------------------------------------------------------------


def number_line(data: Data) -> str:
    number = data["number"] if data.get("number") else "…"
    return f"Số {number}-{data['settings']['number_suffix']}"


def date_line(data: Data, today: datetime.date | None = None) -> str:
    """ "Thuận Lợi, ngày 05 tháng 02 năm 2027": a day below 10 and the months 1 and 2 take a
    leading zero. A draft leaves the day and month to be written when it is signed."""
    place = data["settings"]["place_name"]
    if not data.get("issued_on"):
        year = (today or timezone.localdate()).year
        return f"{place}, ngày … tháng … năm {year}"
    day = datetime.date.fromisoformat(data["issued_on"])
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


# --- tables and charts -----------------------------------------------------------------------


@dataclass
class Table:
    key: str  # the XLSX sheet's name (at most 31 characters)
    title: str
    headers: list[str]
    rows: list[list[Value]] = field(default_factory=list)
    percent_columns: frozenset[int] = frozenset()


@dataclass
class Chart:
    title: str
    labels: list[str]
    values: list[float]
    unit: str = ""
    maximum: float | None = None  # the scale's end; the largest value when None


def _sections(data: Data, when: str) -> Data:
    return {key: value[when] for key, value in data["figures"]["sections"].items()}


def _change(now: Value, before: Value) -> Value:
    if isinstance(now, int | float) and isinstance(before, int | float):
        change = now - before
        return round(change, 1) if isinstance(change, float) else change
    return None


def summary_table(data: Data) -> Table:
    now, before = _sections(data, "current"), _sections(data, "previous")
    metrics = [
        (_("Zalo groups active at the end of the period"), "groups", "total"),
        (_("New Zalo groups"), "groups", "new"),
        (_("Zalo groups archived"), "groups", "archived"),
        (_("Members at the end of the period"), "members", "total"),
        (_("Members who joined"), "members", "joined"),
        (_("Members who left"), "members", "left"),
        (_("Households covered"), "members", "covered"),
        (_("Household coverage (%)"), "members", "coverage"),
        (_("Reports received"), "reports", "received"),
        (_("Valuable tips"), "reports", "valuable_tips"),
        (_("Cases solved thanks to tips"), "reports", "solved_by_tip"),
        (_("Anonymous tips"), "reports", "anonymous_tips"),
        (_("Reports resolved"), "reports", "resolved"),
        (_("Median time to resolve (hours)"), "reports", "median_hours"),
        (_("Reports overdue"), "reports", "overdue"),
        (_("Resolved reports confirmed by the reporter"), "feedback", "confirmed"),
        (_("Resolved reports confirmed by the reporter (%)"), "feedback", "confirmed_share"),
        (_("Reporters' average satisfaction (1–5)"), "feedback", "satisfaction"),
        (_("Bulletins published"), "bulletins", "published"),
        (_("Postings due"), "bulletins", "due"),
        (_("Postings on time"), "bulletins", "on_time"),
        (_("Postings late"), "bulletins", "late"),
        (_("Postings missed"), "bulletins", "missed"),
        (_("Postings on time (%)"), "bulletins", "on_time_rate"),
        (_("Procedure questions answered"), "bulletins", "questions"),
        (_("Hamlets meeting the safety standard"), "safety", "passed"),
    ]
    table = Table(
        "Tổng hợp",
        _("Summary of the figures"),
        [
            _("Figure"),
            _("Previous period"),
            _("This period"),
            pgettext("between periods", "Change"),
        ],
    )
    for label, section, key in metrics:
        if section not in now:  # a snapshot finalised before the section existed
            continue
        current, previous = now[section]["total"][key], before[section]["total"][key]
        table.rows.append([label, previous, current, _change(current, previous)])
    return table


def _hamlet_rows(data: Data, build: Any) -> list[list[Value]]:
    """One row per hamlet, then the commune's total row."""
    now, before = _sections(data, "current"), _sections(data, "previous")
    rows = [
        [hamlet["name"], *build(now, before, "by_hamlet", hamlet["id"])]
        for hamlet in data["figures"]["hamlets"]
    ]
    rows.append([_("Whole commune"), *build(now, before, "total", None)])
    return rows


def _pick(sections: Data, section: str, scope: str, hamlet_id: str | None) -> Data:
    part = sections[section][scope]
    return part if hamlet_id is None else part[hamlet_id]


def groups_table(data: Data) -> Table:
    def build(now: Data, before: Data, scope: str, hamlet_id: str | None) -> list[Value]:
        groups = _pick(now, "groups", scope, hamlet_id)
        members = _pick(now, "members", scope, hamlet_id)
        previous = _pick(before, "members", scope, hamlet_id)
        return [
            groups["new"],
            groups["total"],
            groups["archived"],
            members["joined"],
            members["left"],
            members["total"],
            members["covered"],
            members["households"],
            members["coverage"],
            previous["coverage"],
        ]

    return Table(
        "Nhóm và thành viên",
        _("Zalo groups, members and household coverage by hamlet"),
        [
            _("Hamlet"),
            _("New groups"),
            _("Active groups"),
            _("Archived groups"),
            _("Members joined"),
            _("Members left"),
            _("Members"),
            _("Households covered"),
            _("Households"),
            _("Coverage (%)"),
            _("Coverage, previous period (%)"),
        ],
        _hamlet_rows(data, build),
        percent_columns=frozenset({9, 10}),
    )


def _breakdown_table(
    data: Data,
    key: str,
    field_name: str,
    choices: Any,
    title: str,
    header: str,
    *,
    section: str = "reports",
    total: bool = False,
) -> Table:
    """A commune-wide breakdown of one section's figure by its choices (reports by category
    or channel, bulletins by theme, questions by procedure), this period beside the previous."""
    now, before = _sections(data, "current"), _sections(data, "previous")
    table = Table(key, title, [header, _("Previous period"), _("This period")])
    for value, label in choices.choices:
        table.rows.append(
            [
                str(label),
                before[section]["total"][field_name].get(value, 0),
                now[section]["total"][field_name].get(value, 0),
            ]
        )
    if total:
        table.rows.append([_("Total"), *(sum(row[i] for row in table.rows) for i in (1, 2))])
    return table


def reports_tables(data: Data) -> list[Table]:
    def build(now: Data, before: Data, scope: str, hamlet_id: str | None) -> list[Value]:
        reports = _pick(now, "reports", scope, hamlet_id)
        previous = _pick(before, "reports", scope, hamlet_id)
        return [
            reports["received"],
            reports["valuable_tips"],
            reports["solved_by_tip"],
            reports["anonymous_tips"],
            reports["resolved"],
            reports["median_hours"],
            reports["overdue"],
            previous["received"],
        ]

    return [
        _breakdown_table(
            data,
            "Tin báo theo lĩnh vực",
            "by_category",
            Category,
            _("Reports by category"),
            _("Category"),
        ),
        _breakdown_table(
            data, "Tin báo theo kênh", "by_channel", Channel, _("Reports by channel"), _("Channel")
        ),
        Table(
            "Tin báo theo ấp",
            _("Reports by hamlet"),
            [
                _("Hamlet"),
                _("Reports received"),
                _("Valuable tips"),
                _("Cases solved thanks to tips"),
                _("Anonymous tips"),
                _("Reports resolved"),
                _("Median time to resolve (hours)"),
                _("Reports overdue"),
                _("Reports, previous period"),
            ],
            _hamlet_rows(data, build),
        ),
    ]


def feedback_tables(data: Data) -> list[Table]:
    """The reporters' word on the outcome by hamlet and by category, this period beside the
    previous; none for a snapshot finalised before the feedback section existed."""
    if "feedback" not in data["figures"]["sections"]:
        return []

    def build(now: Data, before: Data, scope: str, hamlet_id: str | None) -> list[Value]:
        return _feedback_row(
            _pick(now, "feedback", scope, hamlet_id), _pick(before, "feedback", scope, hamlet_id)
        )

    headers = [
        _("Reports resolved"),
        _("Confirmed by the reporter"),
        _("Confirmed (%)"),
        _("Confirmed, previous period (%)"),
        _("Answered"),
        _("Reporter says not resolved"),
        _("Average satisfaction (1–5)"),
        _("Average satisfaction, previous period"),
    ]
    by_category = Table(
        "Ý kiến theo lĩnh vực",
        _("The reporters' word on the outcome by category"),
        [_("Category"), *headers],
        percent_columns=frozenset({3, 4, 7, 8}),
    )
    now, before = _sections(data, "current"), _sections(data, "previous")
    for value, label in Category.choices:
        by_category.rows.append(
            [
                str(label),
                *_feedback_row(
                    now["feedback"]["total"]["by_category"][value],
                    before["feedback"]["total"]["by_category"][value],
                ),
            ]
        )
    by_category.rows.append(
        [_("Whole commune"), *_feedback_row(now["feedback"]["total"], before["feedback"]["total"])]
    )
    return [
        Table(
            "Ý kiến theo ấp",
            _("The reporters' word on the outcome by hamlet"),
            [_("Hamlet"), *headers],
            _hamlet_rows(data, build),
            percent_columns=frozenset({3, 4, 7, 8}),
        ),
        by_category,
    ]


def _feedback_row(row: Data, previous: Data) -> list[Value]:
    return [
        row["resolved"],
        row["confirmed"],
        row["confirmed_share"],
        previous["confirmed_share"],
        row["answered"],
        row["said_unresolved"],
        row["satisfaction"],
        previous["satisfaction"],
    ]


def bulletins_tables(data: Data) -> list[Table]:
    """Bulletins by theme, postings by hamlet (on time / late / missed), procedure questions
    by procedure; none for a snapshot finalised before the bulletins section existed."""
    if "bulletins" not in data["figures"]["sections"]:
        return []

    def build(now: Data, before: Data, scope: str, hamlet_id: str | None) -> list[Value]:
        row = _pick(now, "bulletins", scope, hamlet_id)
        previous = _pick(before, "bulletins", scope, hamlet_id)
        return [
            row["published"],
            row["due"],
            row["on_time"],
            row["late"],
            row["missed"],
            row["pending"],
            row["on_time_rate"],
            previous["on_time_rate"],
            row["questions"],
        ]

    return [
        _breakdown_table(
            data,
            "Bản tin theo chủ đề",
            "by_theme",
            Theme,
            _("Bulletins published by theme"),
            _("Theme"),
            section="bulletins",
            total=True,
        ),
        Table(
            "Đăng tin theo ấp",
            _("Postings in the Zalo groups by hamlet"),
            [
                _("Hamlet"),
                _("Bulletins received"),
                _("Postings due"),
                _("On time"),
                _("Late"),
                _("Missed"),
                _("Not yet due"),
                _("On time (%)"),
                _("On time, previous period (%)"),
                _("Procedure questions answered"),
            ],
            _hamlet_rows(data, build),
            percent_columns=frozenset({7, 8}),
        ),
        _breakdown_table(
            data,
            "Câu hỏi thủ tục",
            "by_procedure",
            Procedure,
            _("Procedure questions answered by procedure"),
            _("Procedure"),
            section="bulletins",
            total=True,
        ),
    ]


SAFETY_LABELS = {"passed": "Đạt", "failed": "Chưa đạt", "pending": "Chưa đánh giá"}


def safety_table(data: Data) -> Table:
    now, before = _sections(data, "current"), _sections(data, "previous")
    table = Table(
        "An toàn ANTT",
        _("Assessment “An toàn về an ninh, trật tự” by hamlet"),
        [_("Hamlet"), _("Previous year"), _("This year")],
    )
    for hamlet in data["figures"]["hamlets"]:
        table.rows.append(
            [
                hamlet["name"],
                SAFETY_LABELS[before["safety"]["by_hamlet"][hamlet["id"]]["result"]],
                SAFETY_LABELS[now["safety"]["by_hamlet"][hamlet["id"]]["result"]],
            ]
        )
    return table


def safety_checks_table(data: Data) -> Table | None:
    """Which criteria each assessed hamlet met, and which it missed (the reason it is not
    "đạt"), by the criteria's numbers in safety_criteria_table. None for a snapshot finalised
    before the criteria were recorded."""
    now = _sections(data, "current")["safety"]
    if "criteria" not in now:
        return None
    table = Table(
        "Tiêu chí theo ấp",
        _("Criteria of “An toàn về an ninh, trật tự” met by hamlet"),
        [_("Hamlet"), _("Result"), _("Criteria met"), _("Criteria not met")],
    )
    for hamlet in data["figures"]["hamlets"]:
        row = now["by_hamlet"][hamlet["id"]]
        assessed = row["result"] != "pending"
        table.rows.append(
            [
                hamlet["name"],
                SAFETY_LABELS[row["result"]],
                _numbers(row["met"]) if assessed else "",
                _numbers(row["missed"]) if assessed else "",
            ]
        )
    return table


def _numbers(numbers: list[int]) -> str:
    return ", ".join(str(number) for number in numbers) or "—"


def safety_criteria_table(data: Data) -> Table | None:
    """The criteria in use, numbered as safety_checks_table cites them, with how many assessed
    hamlets met each."""
    now = _sections(data, "current")["safety"]
    if "criteria" not in now:
        return None
    table = Table(
        "Tiêu chí ANTT",
        _(
            "Criteria of a residential area “An toàn về an ninh, trật tự” "
            "(Circular 124/2021/TT-BCA)"
        ),
        [_("No."), _("Criterion"), _("Hamlets meeting it")],
    )
    rows = now["by_hamlet"].values()
    for number, text in enumerate(now["criteria"], start=1):
        table.rows.append([number, text, sum(1 for row in rows if number in row["met"])])
    return table


def commendations_table(data: Data) -> Table:
    table = Table(
        "Khen thưởng",
        _("Commendations proposed"),
        [_("No."), _("Name"), _("Nominee"), _("Achievement")],
    )
    for index, row in enumerate(data["commendations"], start=1):
        table.rows.append([index, row["name"], row["kind"], row["reason"]])
    return table


def safety_tally(data: Data) -> str:
    """ "9/12 ấp đạt"."""
    total = data["figures"]["sections"]["safety"]["current"]["total"]
    return f"{total['passed']}/{total['hamlets']} ấp đạt"


def charts(data: Data) -> list[Chart]:
    now = _sections(data, "current")
    hamlets = data["figures"]["hamlets"]
    coverage = Chart(
        _("Household coverage by hamlet (%)"),
        [hamlet["name"] for hamlet in hamlets],
        [now["members"]["by_hamlet"][h["id"]]["coverage"] or 0.0 for h in hamlets],
        unit="%",
        maximum=100.0,
    )
    by_category = now["reports"]["total"]["by_category"]
    categories = Chart(
        _("Reports by category"),
        [str(label) for _value, label in Category.choices],
        [float(by_category[value]) for value in Category.values],
    )
    return [coverage, categories]


@dataclass
class MapPlace:
    """A hamlet on the review's map: its name, the period's reports received there, and its
    place from the figures (figures.hamlet_place)."""

    name: str
    count: int
    centre: list[float] | None  # [latitude, longitude]
    polygons: list[Any] | None  # polygons of [longitude, latitude] rings, outer ring first


@dataclass
class HamletMap:
    title: str
    places: list[MapPlace]
    unplaced: list[str]  # "Ấp Thuận Hòa (3)": hamlets the map cannot draw, listed under it
    unplaced_line: str
    legend: str
    north: str


def hamlet_map(data: Data) -> HamletMap | None:
    """The reports received by hamlet (the figure of the table of reports by hamlet) on a map
    of the hamlets' places from the figures; None when no hamlet has a place, or for a snapshot
    finalised before the places were kept (its table stands alone)."""
    received = _sections(data, "current")["reports"]["by_hamlet"]
    hamlets = data["figures"]["hamlets"]
    if not any(hamlet.get("place") for hamlet in hamlets):
        return None
    places, unplaced = [], []
    for hamlet in hamlets:
        count = received[hamlet["id"]]["received"]
        place = hamlet.get("place")
        if place:
            places.append(MapPlace(hamlet["name"], count, place["centre"], place["polygons"]))
        else:
            unplaced.append(f"{hamlet['name']} ({vn_number(count)})")
    names = ", ".join(unplaced)
    return HamletMap(
        title=_("Reports received in the period by hamlet"),
        places=places,
        unplaced=unplaced,
        unplaced_line=_("No place on the map: %(hamlets)s.") % {"hamlets": names},
        legend=_("Circle area: reports received"),
        # The letter of a north arrow: "B" (bắc) in Vietnamese.
        north=pgettext("north arrow", "N"),
    )


@dataclass
class Document:
    """Everything a renderer prints, in order."""

    data: Data
    final: bool
    number_line: str
    date_line: str
    title: str
    subject: str
    summary: Table
    groups: Table
    reports: list[Table]
    feedback: list[Table]
    bulletins: list[Table]
    safety: Table
    safety_checks: Table | None
    safety_criteria: Table | None
    commendations: Table
    charts: list[Chart]
    map: HamletMap | None
    tally: str
    narrative: dict[str, str]
    recipients: list[str]
    settings: Data


def build_document(data: Data) -> Document:
    """The content in Vietnamese, from review_data()."""
    with translation.override("vi"):
        return Document(
            data=data,
            final=bool(data.get("final")),
            number_line=number_line(data),
            date_line=date_line(data),
            title="BÁO CÁO",
            subject=data["subject"],
            summary=summary_table(data),
            groups=groups_table(data),
            reports=reports_tables(data),
            feedback=feedback_tables(data),
            bulletins=bulletins_tables(data),
            safety=safety_table(data),
            safety_checks=safety_checks_table(data),
            safety_criteria=safety_criteria_table(data),
            commendations=commendations_table(data),
            charts=charts(data),
            map=hamlet_map(data),
            tally=safety_tally(data),
            narrative=data["narrative"],
            recipients=data["settings"]["recipients"],
            settings=data["settings"],
        )


def all_tables(document: Document) -> list[Table]:
    return [
        document.summary,
        document.groups,
        *document.reports,
        *document.feedback,
        *document.bulletins,
        document.safety,
        *[t for t in (document.safety_checks, document.safety_criteria) if t is not None],
        document.commendations,
    ]
