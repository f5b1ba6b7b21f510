"""The figures of a yearly review, computed from the data by the database.

`compute_figures` returns plain JSON-ready data (ints, floats, strings, None; hamlet ids as
strings), so that a draft's figures and a finalised review's snapshot have the same shape and the
documents read either the same way. Each section is one function of `SECTIONS`, called for the
period and for the previous period; a section returns `{"total": {...}, "by_hamlet": {id: {...}}}`
and runs a fixed number of grouped queries, whatever the amount of data. A new kind of figure
is one more function in `SECTIONS` (the documents must tolerate a snapshot finalised before it
existed: they skip a section that is missing).

Nothing here reads an informant's identity or a member's phone: only counts leave the database.
"""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from binhyen.numbers import share
from bulletins.models import Bulletin, BulletinHamlet, Posting, Procedure, ProcedureQuestion, Theme
from groups.coverage import hamlet_coverage
from groups.models import Commune, Hamlet, Member, ZaloGroup
from reports import feedback
from reports.models import OPEN_STATUSES, Category, Channel, IncidentReport, ReportEvent, Status

from .models import SafetyAssessment, SafetyCheck, SafetyCriterion, period_bounds

Figures = dict[str, Any]


@dataclass(frozen=True)
class Scope:
    """What a section counts: the commune's hamlets over the days start…end (inclusive)."""

    commune: Commune
    hamlet_ids: list[int]
    year: int
    start: datetime.date
    end: datetime.date

    @property
    def start_at(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.start, datetime.time.min))

    @property
    def end_at(self) -> datetime.datetime:
        """The first moment after the period (exclusive bound)."""
        day = self.end + datetime.timedelta(days=1)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _section(scope: Scope, rows: dict[int, dict[str, Any]], zero: dict[str, Any]) -> Figures:
    """Every hamlet of the scope (zeros where nothing was counted) and their sums."""
    by_hamlet = {str(pk): {**zero, **rows.get(pk, {})} for pk in scope.hamlet_ids}
    total = {key: sum(row[key] for row in by_hamlet.values()) for key in zero}
    return {"total": total, "by_hamlet": by_hamlet}


def percent(part: int, whole: int) -> float | None:
    """A share in % as the coverage pages show it (binhyen.numbers.share)."""
    return share(part, whole)


# --- groups -------------------------------------------------------------------------------


def group_figures(scope: Scope) -> Figures:
    """Zalo groups created in the period, active at its end, and archived during it. When a
    group was archived is read from the audit log (the register keeps only the current status);
    a group archived without a logged change counts as archived from the start."""
    archive_logs = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ZaloGroup),
        object_id=OuterRef("pk"),
        action=LogEntry.Action.UPDATE,  # a group created archived was never active
        changes__status__1=ZaloGroup.Status.ARCHIVED,
    ).order_by("-timestamp")
    created_by_end = Q(created_on__lte=scope.end) | Q(created_on__isnull=True)
    archived_by_end = Q(status=ZaloGroup.Status.ARCHIVED) & (
        Q(archived_at__isnull=True) | Q(archived_at__lt=scope.end_at)
    )
    rows = (
        ZaloGroup.objects.filter(hamlet_id__in=scope.hamlet_ids)
        .annotate(archived_at=Subquery(archive_logs.values("timestamp")[:1]))
        .order_by()
        .values("hamlet_id")
        .annotate(
            new=Count("pk", filter=Q(created_on__gte=scope.start, created_on__lte=scope.end)),
            total=Count("pk", filter=created_by_end & ~archived_by_end),
            archived=Count(
                "pk",
                filter=Q(
                    status=ZaloGroup.Status.ARCHIVED,
                    archived_at__gte=scope.start_at,
                    archived_at__lt=scope.end_at,
                ),
            ),
        )
    )
    found = {row.pop("hamlet_id"): row for row in rows}
    return _section(scope, found, {"new": 0, "total": 0, "archived": 0})


# --- members and coverage -----------------------------------------------------------------


def member_figures(scope: Scope) -> Figures:
    """Members who joined and left during the period; members and covered households at its
    end (groups/coverage.py, as of the last day)."""
    joined_on = Coalesce("joined_on", TruncDate("created_at"))
    rows = (
        Member.objects.filter(group__hamlet_id__in=scope.hamlet_ids)
        .annotate(joined_day=joined_on)
        .order_by()
        .values("group__hamlet_id")
        .annotate(
            joined=Count("pk", filter=Q(joined_day__gte=scope.start, joined_day__lte=scope.end)),
            left=Count("pk", filter=Q(left_on__gte=scope.start, left_on__lte=scope.end)),
        )
    )
    found: dict[int, dict[str, Any]] = {row.pop("group__hamlet_id"): row for row in rows}
    hamlets = Hamlet.objects.filter(pk__in=scope.hamlet_ids).order_by()
    for cover in hamlet_coverage(hamlets, as_of=scope.end):
        found.setdefault(cover.hamlet.pk, {}).update(
            total=cover.active_members,
            covered=cover.covered_households,
            households=cover.households,
        )
    zero = {"joined": 0, "left": 0, "total": 0, "covered": 0, "households": 0}
    section = _section(scope, found, zero)
    for row in (section["total"], *section["by_hamlet"].values()):
        row["coverage"] = percent(row["covered"], row["households"])
    return section


# --- reports ------------------------------------------------------------------------------


def _median_hours(durations: list[datetime.timedelta]) -> float | None:
    if not durations:
        return None
    return round(statistics.median(d.total_seconds() for d in durations) / 3600, 1)


def report_figures(scope: Scope) -> Figures:
    """Reports received in the period, by category and channel; valuable tips and cases solved
    thanks to them; anonymous tips; reports resolved (now resolved or closed after a resolution:
    a reopened report is not), the median time from receipt to the last resolution, and reports
    overdue (still open past their deadline at the period's end, or resolved after it)."""
    reports = IncidentReport.objects.filter(
        hamlet_id__in=scope.hamlet_ids,
        created_at__gte=scope.start_at,
        created_at__lt=scope.end_at,
    ).order_by()
    resolutions = ReportEvent.objects.filter(report=OuterRef("pk"), to_status=Status.RESOLVED)
    resolved = Q(status__in=[Status.RESOLVED, Status.CLOSED]) & Q(Exists(resolutions))
    cutoff = min(timezone.now(), scope.end_at)
    overdue = Q(status__in=OPEN_STATUSES, due_at__lt=cutoff) | Q(
        Exists(resolutions.filter(created_at__gt=OuterRef("due_at")))
    )
    rows = reports.values("hamlet_id").annotate(
        received=Count("pk"),
        valuable_tips=Count("pk", filter=Q(valuable_tip=True)),
        solved_by_tip=Count("pk", filter=Q(solved_by_tip=True)),
        anonymous_tips=Count("pk", filter=Q(channel=Channel.ANONYMOUS_TIP)),
        resolved=Count("pk", filter=resolved),
        overdue=Count("pk", filter=overdue),
    )
    found: dict[int, dict[str, Any]] = {row.pop("hamlet_id"): row for row in rows}
    zero = {
        "received": 0,
        "valuable_tips": 0,
        "solved_by_tip": 0,
        "anonymous_tips": 0,
        "resolved": 0,
        "overdue": 0,
    }
    section = _section(scope, found, zero)
    for field, choices in (("category", Category), ("channel", Channel)):
        counts = reports.values("hamlet_id", field).annotate(n=Count("pk"))
        per_hamlet: dict[str, dict[str, int]] = defaultdict(dict)
        for row in counts:
            per_hamlet[str(row["hamlet_id"])][row[field]] = row["n"]
        for key, row in section["by_hamlet"].items():
            row[f"by_{field}"] = {c: per_hamlet[key].get(c, 0) for c in choices.values}
        section["total"][f"by_{field}"] = {
            c: sum(row[f"by_{field}"][c] for row in section["by_hamlet"].values())
            for c in choices.values
        }
    durations: dict[str, list[datetime.timedelta]] = defaultdict(list)
    times = (
        reports.filter(status__in=[Status.RESOLVED, Status.CLOSED])
        .annotate(
            resolved_at=Max("events__created_at", filter=Q(events__to_status=Status.RESOLVED))
        )
        .filter(resolved_at__isnull=False)
        .values_list("hamlet_id", "created_at", "resolved_at")
    )
    for hamlet_id, received_at, resolved_at in times:
        durations[str(hamlet_id)].append(resolved_at - received_at)
    for key, row in section["by_hamlet"].items():
        row["median_hours"] = _median_hours(durations[key])
    section["total"]["median_hours"] = _median_hours(
        [d for values in durations.values() for d in values]
    )
    return section


# --- the reporters' word on the outcome ------------------------------------------------------


def feedback_figures(scope: Scope) -> Figures:
    """The reporters' word on the reports received in the period (reports/feedback.py: each
    report's last answer): resolved reports (as report_figures counts them), those of them the
    reporter confirmed, the reports answered, those the reporter says are not resolved, and the
    average satisfaction; by hamlet and, for the commune, by category. `confirmed_share` is
    confirmed / resolved in %. Two queries."""
    reports = feedback.with_last_answer(
        IncidentReport.objects.filter(
            hamlet_id__in=scope.hamlet_ids,
            created_at__gte=scope.start_at,
            created_at__lt=scope.end_at,
        ).order_by()
    )
    rows = reports.values("hamlet_id").annotate(**feedback.counts())
    found: dict[int, dict[str, Any]] = {row.pop("hamlet_id"): row for row in rows}
    section = _section(scope, found, feedback.zero())
    for row in (section["total"], *section["by_hamlet"].values()):
        feedback.with_rates(row)
    by_category = {
        row.pop("category"): row for row in reports.values("category").annotate(**feedback.counts())
    }
    section["total"]["by_category"] = {
        value: feedback.with_rates({**feedback.zero(), **by_category.get(value, {})})
        for value in Category.values
    }
    return section


# --- bulletins, postings and procedure questions ---------------------------------------------


def posting_outcomes(scope: Scope) -> dict[str, Q]:
    """How a posting due in the period ended, as filters: on time (posted at or before its due
    time), late (posted after it), missed (skipped, or still pending past its due time — as of
    the period's end or now, whichever is first), and pending (not yet due). A posting belongs
    to the period of its due time."""
    cutoff = min(timezone.now(), scope.end_at)
    pending = Q(status=Posting.Status.PENDING)
    return {
        "on_time": Q(status=Posting.Status.POSTED, posted_at__lte=F("due_at")),
        "late": Q(status=Posting.Status.POSTED, posted_at__gt=F("due_at")),
        "missed": Q(status=Posting.Status.SKIPPED) | (pending & Q(due_at__lt=cutoff)),
        "pending": pending & Q(due_at__gte=cutoff),
    }


def postings_due(scope: Scope):
    return Posting.objects.filter(
        group__hamlet_id__in=scope.hamlet_ids,
        due_at__gte=scope.start_at,
        due_at__lt=scope.end_at,
    ).order_by()


def on_time_rate(row: dict[str, Any]) -> float | None:
    """On time among the postings whose outcome is known (on time, late, missed), in %."""
    return percent(row["on_time"], row["on_time"] + row["late"] + row["missed"])


def bulletin_figures(scope: Scope) -> Figures:
    """Bulletins published in the period by theme (the commune's total counts a bulletin once;
    a hamlet counts those that reached it), the postings due in the period by outcome
    (posting_outcomes) and the procedure questions answered, by procedure. Five queries."""
    published = Bulletin.objects.filter(
        commune=scope.commune, published_at__gte=scope.start_at, published_at__lt=scope.end_at
    ).order_by()
    themes = dict(published.values("theme").annotate(n=Count("pk")).values_list("theme", "n"))
    reached: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        BulletinHamlet.objects.filter(
            hamlet_id__in=scope.hamlet_ids, bulletin__in=published.values("pk")
        )
        .order_by()
        .values("hamlet_id", "bulletin__theme")
        .annotate(n=Count("bulletin_id", distinct=True))
    )
    for row in rows:
        reached[row["hamlet_id"]][row["bulletin__theme"]] = row["n"]
    outcomes = posting_outcomes(scope)
    postings = (
        postings_due(scope)
        .values("group__hamlet_id")
        .annotate(due=Count("pk"), **{key: Count("pk", filter=q) for key, q in outcomes.items()})
    )
    found: dict[int, dict[str, Any]] = {row.pop("group__hamlet_id"): row for row in postings}
    asked: dict[int, dict[str, int]] = defaultdict(dict)
    questions = (
        ProcedureQuestion.objects.filter(
            group__hamlet_id__in=scope.hamlet_ids, date__gte=scope.start, date__lte=scope.end
        )
        .order_by()
        .values("group__hamlet_id", "procedure")
        .annotate(n=Sum("count"))
    )
    for row in questions:
        asked[row["group__hamlet_id"]][row["procedure"]] = row["n"]
    zero = {"due": 0, **{key: 0 for key in outcomes}}
    section = _section(scope, found, zero)
    for pk in scope.hamlet_ids:
        row = section["by_hamlet"][str(pk)]
        row["by_theme"] = {t: reached[pk].get(t, 0) for t in Theme.values}
        row["published"] = sum(row["by_theme"].values())
        row["by_procedure"] = {p: asked[pk].get(p, 0) for p in Procedure.values}
        row["questions"] = sum(row["by_procedure"].values())
    total = section["total"]
    total["by_theme"] = {t: themes.get(t, 0) for t in Theme.values}
    total["published"] = sum(total["by_theme"].values())
    total["by_procedure"] = {
        p: sum(row["by_procedure"][p] for row in section["by_hamlet"].values())
        for p in Procedure.values
    }
    total["questions"] = sum(total["by_procedure"].values())
    for row in (total, *section["by_hamlet"].values()):
        row["on_time_rate"] = on_time_rate(row)
    return section


# --- safety assessment (Circular 124) -----------------------------------------------------


def safety_figures(scope: Scope) -> Figures:
    """Each hamlet's result of the year's safety assessment and the commune's tally; for every
    assessed hamlet (đạt or chưa đạt), the criteria in use it met and those it missed, by their
    number in `criteria` (the criteria in use, in order). Three queries."""
    results = dict(
        SafetyAssessment.objects.filter(hamlet_id__in=scope.hamlet_ids, year=scope.year)
        .order_by()
        .values_list("hamlet_id", "result")
    )
    criteria = list(SafetyCriterion.objects.filter(active=True).values_list("pk", "text"))
    number = {pk: index for index, (pk, _text) in enumerate(criteria, start=1)}
    met: dict[int, set[int]] = defaultdict(set)
    checks = SafetyCheck.objects.filter(
        assessment__hamlet_id__in=scope.hamlet_ids,
        assessment__year=scope.year,
        criterion_id__in=number,
        met=True,
    ).order_by()
    for hamlet_id, criterion_id in checks.values_list("assessment__hamlet_id", "criterion_id"):
        met[hamlet_id].add(number[criterion_id])
    by_hamlet = {}
    for pk in scope.hamlet_ids:
        result = str(results.get(pk, SafetyAssessment.Result.PENDING))
        row: dict[str, Any] = {"result": result, "met": [], "missed": []}
        if result == SafetyAssessment.Result.PASSED:
            # "Đạt" is every criterion met (Circular 124, art. 4; safety_assess enforces it).
            row["met"] = list(number.values())
        elif result == SafetyAssessment.Result.FAILED:
            row["met"] = sorted(met[pk])
            row["missed"] = [n for n in number.values() if n not in met[pk]]
        by_hamlet[str(pk)] = row
    tally = {result: 0 for result in SafetyAssessment.Result.values}
    for row in by_hamlet.values():
        tally[row["result"]] += 1
    return {
        "total": {**tally, "hamlets": len(by_hamlet)},
        "by_hamlet": by_hamlet,
        "criteria": [text for _pk, text in criteria],
    }


# The sections of the review, in the order the documents print them.
SECTIONS: list[tuple[str, Callable[[Scope], Figures]]] = [
    ("groups", group_figures),
    ("members", member_figures),
    ("reports", report_figures),
    ("bulletins", bulletin_figures),
    ("safety", safety_figures),
    ("feedback", feedback_figures),
]


# --- the hamlets' places, for the map ------------------------------------------------------

PLACE_DECIMALS = 5  # about 1 m: far finer than the printed map, and a compact snapshot


def _compact_ring(ring: list[list[float]]) -> list[list[float]]:
    """The ring's [longitude, latitude] rounded, without an altitude or a repeated point; an
    empty list when rounding leaves no area to draw."""
    points: list[list[float]] = []
    for position in ring:
        point = [round(position[0], PLACE_DECIMALS), round(position[1], PLACE_DECIMALS)]
        if not points or point != points[-1]:
            points.append(point)
    if points[0] != points[-1]:
        points.append(points[0])
    return points if len(points) >= 4 else []


def _compact_boundary(boundary: dict[str, Any] | None) -> list[list[list[list[float]]]] | None:
    """A Polygon or MultiPolygon as a list of polygons (each: its outer ring, then its holes),
    rounded; None when nothing is left to draw."""
    if not boundary:
        return None
    coordinates = boundary["coordinates"]
    polygons = [coordinates] if boundary["type"] == "Polygon" else coordinates
    compact = []
    for polygon in polygons:
        rings = [_compact_ring(ring) for ring in polygon]
        if rings[0]:  # an outer ring rounded away takes its holes with it
            compact.append([ring for ring in rings if ring])
    return compact or None


def hamlet_place(hamlet: dict[str, Any]) -> dict[str, Any] | None:
    """Where the review's map draws a hamlet: its outline (polygons of [longitude, latitude]
    rings) and its centre ([latitude, longitude]), either of them None; None when it has
    neither. Kept in the figures, so a finalised review's map stays where the hamlets were."""
    polygons = _compact_boundary(hamlet["boundary"])
    centre = None
    if hamlet["latitude"] is not None and hamlet["longitude"] is not None:
        centre = [
            round(float(hamlet["latitude"]), PLACE_DECIMALS),
            round(float(hamlet["longitude"]), PLACE_DECIMALS),
        ]
    if centre is None and polygons is None:
        return None
    return {"centre": centre, "polygons": polygons}


def compute_figures(commune: Commune, *, kind: str, year: int) -> Figures:
    """Every section for the period of `kind` named after `year` and for the one before it."""
    hamlets = list(
        commune.hamlets.order_by("code").values(
            "id", "name", "households", "latitude", "longitude", "boundary"
        )
    )
    ids = [hamlet["id"] for hamlet in hamlets]
    start, end = period_bounds(kind, year)
    before_start, before_end = period_bounds(kind, year - 1)
    current = Scope(commune, ids, year, start, end)
    previous = Scope(commune, ids, year - 1, before_start, before_end)
    return {
        "period": {
            "kind": str(kind),
            "year": year,
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
        "previous_period": {
            "year": year - 1,
            "start": before_start.isoformat(),
            "end": before_end.isoformat(),
        },
        "hamlets": [
            {
                "id": str(hamlet["id"]),
                "name": hamlet["name"],
                "households": hamlet["households"],
                "place": hamlet_place(hamlet),
            }
            for hamlet in hamlets
        ],
        "sections": {
            key: {"current": compute(current), "previous": compute(previous)}
            for key, compute in SECTIONS
        },
    }
