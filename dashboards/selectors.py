"""The figures of each role's home page (dashboard), read from the same scoped querysets as the
lists they link to.

Read-side selectors only. Each dashboard runs a fixed number of grouped queries whatever the
amount of data: counting is done by the database, and lists are cut to a few rows. Every figure
comes with the query string of the list that shows the same rows (`links`), so the number a
dashboard shows is the number that list counts; tests follow each link and compare.

Periods are days of the portal's time zone (Asia/Ho_Chi_Minh), both ends included: a report at
23:30 local time on the last day of a month belongs to that month.

The result of a dashboard is cached for `CACHE_SECONDS` under a key made of the user, their
scope (the hamlets in it), the period, the hamlet filter and the user's last write: what others
change shows within a minute, what the user changed on their next request.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Count, F, Max, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.middleware import wrote_mark
from binhyen.dates import local_midnight, parse_day
from bulletins.models import RELEASED_STATUSES, Bulletin, Posting, published_in
from groups.access import hamlets_for
from groups.coverage import commune_totals, hamlet_coverage, people_groups_coverage
from groups.models import Hamlet, PeopleGroup, ZaloGroup
from reports import feedback
from reports.models import (
    OPEN_STATUSES,
    Category,
    IncidentReport,
    ReportEvent,
    Urgency,
)
from reviews.models import AnnualReview, Commendation, ReviewBuild

if TYPE_CHECKING:
    from accounts.models import User

CACHE_SECONDS = 30
PERIODS = ("month", "quarter", "year", "custom")
LONGEST_PERIOD_DAYS = (
    366 * 5
)  # a custom period longer than this is cut (the chart has a bar a month)

TREND_MONTHS = 12  # a trend shows at least the last year, month by month

POLICE, HAMLET_HEAD, LEADERSHIP = "police", "hamlet_head", "leadership"


def kind_for(user: User) -> str | None:
    """Which dashboard a user gets, by what they may do (never by a group's name)."""
    if user.has_perm("reports.triage_report"):
        return POLICE
    if user.has_perm("reports.add_incidentreport"):
        return HAMLET_HEAD
    if user.has_perm("reviews.view_annualreview"):
        return LEADERSHIP
    return None


# --- period and scope -----------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    kind: str
    first: datetime.date
    last: datetime.date

    @property
    def start(self) -> datetime.datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> datetime.datetime:
        """The first moment after the period (exclusive)."""
        return local_midnight(self.last + datetime.timedelta(days=1))

    def year_before(self) -> Period:
        return Period(self.kind, _years_back(self.first), _years_back(self.last))

    def elapsed(self, today: datetime.date) -> Period:
        """The days of the period up to today: all of it once it has ended (or before it
        starts, when there is nothing yet to cut)."""
        if self.first <= today < self.last:
            return Period(self.kind, self.first, today)
        return self

    def compared(self, today: datetime.date) -> Period:
        """What the period is compared with: its elapsed days, a year before. On 4 December,
        "this month" is 1–4 December against 1–4 December of the year before, never against
        the whole December, which had 27 more days to gather reports."""
        return self.elapsed(today).year_before()

    def trend(self, today: datetime.date) -> Period:
        """The months a trend draws: the period's, and at least the 12 months up to its
        elapsed end, so that "this month" still shows where the year is going."""
        last = self.elapsed(today).last
        first = last.replace(day=1)
        for _month in range(TREND_MONTHS - 1):
            first = (first - datetime.timedelta(days=1)).replace(day=1)
        return Period("trend", min(first, self.first), last)

    def months(self) -> list[datetime.date]:
        """The first day of each month the period touches."""
        found, day = [], self.first.replace(day=1)
        while day <= self.last:
            found.append(day)
            day = (day + datetime.timedelta(days=32)).replace(day=1)
        return found


def _years_back(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _month_end(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(
        days=1
    )


def period_from(params: Any, today: datetime.date | None = None) -> Period:
    """The period a query string asks for (`period`, and `from`/`to` for a custom one), this
    month by default. `today` is the local date (Asia/Ho_Chi_Minh)."""
    today = today or timezone.localdate()
    kind = params.get("period") or "month"
    if kind == "custom":
        first, last = parse_day(params.get("from")), parse_day(params.get("to"))
        if first and last and first <= last:
            last = min(last, first + datetime.timedelta(days=LONGEST_PERIOD_DAYS))
            return Period("custom", first, last)
        kind = "month"
    if kind == "quarter":
        first = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        return Period(kind, first, _month_end(first.replace(month=first.month + 2)))
    if kind == "year":
        return Period(kind, today.replace(month=1, day=1), today.replace(month=12, day=31))
    first = today.replace(day=1)
    return Period("month", first, _month_end(first))


@dataclass(frozen=True)
class Scope:
    """The hamlets a dashboard counts: the user's, or the one of them the filter chose."""

    hamlets: list[tuple[int, str]]  # every hamlet of the user's scope (for the filter)
    hamlet_id: int | None  # the chosen one, if any

    @property
    def ids(self) -> list[int]:
        return [self.hamlet_id] if self.hamlet_id else [pk for pk, _name in self.hamlets]

    def key(self) -> str:
        return hashlib.sha256(",".join(str(pk) for pk in self.ids).encode()).hexdigest()[:16]


def scope_for(user: User, params: Any) -> Scope:
    """One query: the user's hamlets; a `hamlet` outside them counts as not given."""
    hamlets = list(hamlets_for(user).order_by("name").values_list("pk", "name"))
    wanted = params.get("hamlet", "")
    chosen = int(wanted) if wanted.isdecimal() and int(wanted) in dict(hamlets) else None
    return Scope(hamlets, chosen)


def _query(**values: Any) -> str:
    return urlencode({key: value for key, value in values.items() if value not in (None, "")})


# --- the police and area officers -----------------------------------------------------------


def police_dashboard(user: User, scope: Scope, period: Period) -> dict[str, Any]:
    """Open reports by status and urgency (overdue and unassigned among them), the most
    overdue ones, postings of the officer's groups due today and overdue, coverage per hamlet,
    and reports received per month by category over the period. Six queries."""
    now = timezone.now()
    hamlet = scope.hamlet_id
    reports = IncidentReport.objects.filter(hamlet_id__in=scope.ids)
    rows = (
        reports.filter(status__in=OPEN_STATUSES)
        .order_by()
        .values("status", "urgency")
        .annotate(
            n=Count("pk"),
            overdue=Count("pk", filter=Q(due_at__lt=now)),
            unassigned=Count("pk", filter=Q(assigned_to__isnull=True)),
        )
    )
    by_status = {value: 0 for value in OPEN_STATUSES}
    by_urgency = {value: 0 for value in Urgency.values}
    overdue = unassigned = 0
    for row in rows:
        by_status[row["status"]] += row["n"]
        by_urgency[row["urgency"]] += row["n"]
        overdue += row["overdue"]
        unassigned += row["unassigned"]
    most_overdue = list(
        reports.overdue(now)
        .select_related("hamlet")
        .only("pk", "code", "title", "due_at", "urgency", "status", "hamlet__name")
        .order_by("due_at", "pk")[:5]
    )
    received = reports.received_between(period.first, period.last)
    postings = Posting.objects.checklist_of(user).pending()
    if hamlet:
        postings = postings.filter(group__hamlet_id=hamlet)
    today_start = local_midnight(timezone.localdate())
    today_end = local_midnight(timezone.localdate() + datetime.timedelta(days=1))
    posting_counts = postings.order_by().aggregate(
        due_today=Count("pk", filter=Q(due_at__gte=today_start, due_at__lt=today_end)),
        overdue=Count("pk", filter=Q(due_at__lt=now)),
    )
    coverage = hamlet_coverage(Hamlet.objects.filter(pk__in=scope.ids).order_by("name"))
    month_rows = _per_month(received, "category")
    before = period.compared(timezone.localdate())
    return {
        "residents": residents_word(scope, period, before),
        "residents_before": before,
        "open_total": sum(by_status.values()),
        "by_status": by_status,
        "by_urgency": by_urgency,
        "overdue": overdue,
        "unassigned": unassigned,
        "most_overdue": most_overdue,
        "received": sum(sum(row.values()) for row in month_rows.values()),
        "postings": posting_counts,
        "coverage": coverage,
        "coverage_totals": commune_totals(coverage),
        "per_month": month_rows,
        "links": {
            "open": _query(hamlet=hamlet),
            "status": {s: _query(status=s, hamlet=hamlet) for s in by_status},
            "urgency": {u: _query(urgency=u, hamlet=hamlet) for u in by_urgency},
            "overdue": _query(overdue="yes", hamlet=hamlet),
            "unassigned": _query(assignee="none", hamlet=hamlet),
            "received": _received_query(period, hamlet),
            "residents_unresolved": _received_query(period, hamlet, residents="unresolved"),
            "postings_today": _query(due="today", hamlet=hamlet),
            "postings_overdue": _query(due="overdue", hamlet=hamlet),
        },
    }


def _received_query(period: Period, hamlet: int | None, **extra: Any) -> str:
    return _query(
        status="all",
        received_from=period.first.isoformat(),
        received_to=period.last.isoformat(),
        hamlet=hamlet,
        **extra,
    )


def _per_month(reports: Any, field: str) -> dict[datetime.date, dict[str, int]]:
    """Counts per local month and value of `field`, in one grouped query."""
    rows = (
        reports.order_by()
        .annotate(month=TruncMonth("created_at"))
        .values("month", field)
        .annotate(n=Count("pk"))
    )
    found: dict[datetime.date, dict[str, int]] = defaultdict(dict)
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = timezone.localtime(month).date() if timezone.is_aware(month) else month.date()
        found[month][row[field]] = row["n"]
    return dict(found)


def month_table(period: Period, per_month: dict, values: list[str]) -> list[dict[str, Any]]:
    """One row per month of the period: its bounds (clipped to the period) and counts."""
    rows = []
    for month in period.months():
        first, last = max(month, period.first), min(_month_end(month), period.last)
        counts = per_month.get(month, {})
        rows.append(
            {
                "month": month,
                "first": first,
                "last": last,
                "counts": [counts.get(value, 0) for value in values],
                "total": sum(counts.get(value, 0) for value in values),
            }
        )
    return rows


# --- the residents' word on the outcome (police and leadership) ----------------------------------


def residents_word(scope: Scope, period: Period, before: Period) -> dict[str, Any]:
    """The reporters' word on the reports received in the period, beside the `before` period
    (reports/feedback.py: the share of resolved reports the reporter confirmed, the average
    satisfaction), per hamlet, per category and in all. One grouped query."""
    in_now = Q(created_at__gte=period.start, created_at__lt=period.end)
    in_before = Q(created_at__gte=before.start, created_at__lt=before.end)
    reports = feedback.with_last_answer(
        IncidentReport.objects.filter(hamlet_id__in=scope.ids).filter(in_now | in_before)
    ).order_by()
    aggregates = {
        **{f"now_{key}": value for key, value in feedback.counts(in_now).items()},
        **{f"before_{key}": value for key, value in feedback.counts(in_before).items()},
    }
    rows = reports.values("hamlet_id", "category").annotate(**aggregates)
    empty = lambda: {"now": feedback.zero(), "before": feedback.zero()}  # noqa: E731
    hamlets: dict[int, dict] = defaultdict(empty)
    categories: dict[str, dict] = defaultdict(empty)
    total = empty()
    for row in rows:
        for when in ("now", "before"):
            part = {key: row[f"{when}_{key}"] for key in feedback.COUNTS}
            for target in (hamlets[row["hamlet_id"]], categories[row["category"]], total):
                feedback.add(target[when], part)

    def rated(pair: dict) -> dict:
        return {when: feedback.with_rates(pair[when]) for when in ("now", "before")}

    names = dict(scope.hamlets)
    labels = dict(Category.choices)
    return {
        "by_hamlet": [(names[pk], rated(hamlets[pk])) for pk in scope.ids],
        "by_category": [
            (str(labels[value]), rated(categories[value]))
            for value in Category.values
            if value in categories
        ],
        "total": rated(total),
    }


# --- hamlet heads -----------------------------------------------------------------------------


def hamlet_head_dashboard(user: User, scope: Scope, period: Period) -> dict[str, Any]:
    """The reports the user filed (latest five, with unread replies), their hamlets' coverage
    and the people's groups below target, and the latest bulletins for them. Nine queries."""
    mine = IncidentReport.objects.filter(hamlet_id__in=scope.ids, filed_by=user)
    recent = list(
        mine.select_related("hamlet")
        .only("pk", "code", "title", "status", "created_at", "hamlet__name")
        .order_by("-created_at", "-id")[:5]
    )
    # A reply is unread when it is newer than the user's own last event on the report.
    ids = [report.pk for report in recent]
    replies = ReportEvent.objects.filter(
        report__in=ids, shared=True, kind=ReportEvent.Kind.COMMENT
    ).exclude(actor=user)
    reply_at = _latest(replies)
    own_at = _latest(ReportEvent.objects.filter(report__in=ids, actor=user))
    for report in recent:
        replied, wrote = reply_at.get(report.pk), own_at.get(report.pk)
        report.new_reply = bool(replied and (wrote is None or replied > wrote))
    status_counts = dict(
        mine.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    coverage = hamlet_coverage(Hamlet.objects.filter(pk__in=scope.ids).order_by("name"))
    people_groups = people_groups_coverage(PeopleGroup.objects.filter(hamlet_id__in=scope.ids))
    below = sorted(
        (row for row in people_groups if row.is_below_target),
        key=lambda row: (row.covered_households / row.households, row.people_group.name),
    )
    bulletins = Bulletin.objects.visible_to(user).filter(status__in=RELEASED_STATUSES)
    if scope.hamlet_id:
        bulletins = bulletins.filter(hamlets=scope.hamlet_id)
    latest_bulletins = list(
        bulletins.only("pk", "title", "theme", "published_at", "created_at").order_by(
            F("published_at").desc(nulls_last=True), "-pk"
        )[:5]
    )
    return {
        "recent": recent,
        "mine_total": sum(status_counts.values()),
        "mine_open": sum(n for status, n in status_counts.items() if status in OPEN_STATUSES),
        "coverage": coverage,
        "below_target": below,
        "bulletins": latest_bulletins,
    }


def _latest(events: Any) -> dict[int, datetime.datetime]:
    rows = events.order_by().values("report_id").annotate(at=Max("created_at"))
    return {row["report_id"]: row["at"] for row in rows}


# --- the party office and the commune leader -------------------------------------------------


def leadership_dashboard(user: User, scope: Scope, period: Period) -> dict[str, Any]:
    """The period's elapsed days against the same days a year before (members and coverage at
    the end, reports received, valuable tips, cases solved thanks to a tip, postings on time),
    reports per month over at least the last 12 months against a year before, the latest
    reviews with their documents, and the commendations awaiting approval. Eleven queries."""
    today = timezone.localdate()
    before = period.compared(today)
    trend = period.trend(today)
    trend_before = trend.compared(today)
    hamlets = Hamlet.objects.filter(pk__in=scope.ids).order_by("name")
    # Today's coverage is the coverage page's (no date); a period that ended is read as of then.
    as_of = None if period.last >= today else period.last
    now_cover = commune_totals(hamlet_coverage(hamlets, as_of))
    before_cover = commune_totals(hamlet_coverage(hamlets, min(before.last, today)))
    reports = IncidentReport.objects.filter(hamlet_id__in=scope.ids).order_by()
    in_now = Q(created_at__gte=period.start, created_at__lt=period.end)
    in_before = Q(created_at__gte=before.start, created_at__lt=before.end)
    counts = reports.filter(in_now | in_before).aggregate(
        received=Count("pk", filter=in_now),
        received_before=Count("pk", filter=in_before),
        valuable=Count("pk", filter=in_now & Q(valuable_tip=True)),
        valuable_before=Count("pk", filter=in_before & Q(valuable_tip=True)),
        solved=Count("pk", filter=in_now & Q(solved_by_tip=True)),
        solved_before=Count("pk", filter=in_before & Q(solved_by_tip=True)),
    )
    # Two queries, not one over both ranges: over a period longer than a year the ranges
    # overlap, and a month's "year before" must stop at the same day as its own.
    per_month = _per_month(reports.received_between(trend.first, trend.last), "valuable_tip")
    per_month_before = _per_month(
        reports.received_between(trend_before.first, trend_before.last), "valuable_tip"
    )
    postings = Posting.objects.filter(
        group__hamlet_id__in=scope.ids, group__status=ZaloGroup.Status.ACTIVE
    ).order_by()
    on_time = Q(status=Posting.Status.POSTED, posted_at__lte=F("due_at"))
    posting_counts = postings.aggregate(
        total=Count("pk", filter=published_in(period.first, period.last)),
        on_time=Count("pk", filter=published_in(period.first, period.last) & on_time),
        total_before=Count("pk", filter=published_in(before.first, before.last)),
        on_time_before=Count("pk", filter=published_in(before.first, before.last) & on_time),
    )
    reviews = list(
        AnnualReview.objects.visible_to(user).select_related("commune").order_by("-year")[:5]
    )
    latest: dict[int, ReviewBuild] = {}
    for build in ReviewBuild.objects.filter(
        review__in=[r.pk for r in reviews], status=ReviewBuild.Status.DONE
    ).order_by("created_at"):
        latest[build.review_id] = build
    awaiting = list(
        Commendation.objects.visible_to(user)
        .filter(status=Commendation.Status.PROPOSED)
        .select_related("review")
        .order_by("review__year", "pk")[:50]
    )
    hamlet = scope.hamlet_id
    return {
        "residents": residents_word(scope, period, before),
        "residents_before": before,
        "elapsed": period.elapsed(today),
        "before": before,
        "members": (now_cover.active_members, before_cover.active_members),
        "coverage": (now_cover, before_cover),
        "coverage_as_of": as_of,
        "received": (counts["received"], counts["received_before"]),
        "valuable": (counts["valuable"], counts["valuable_before"]),
        "solved": (counts["solved"], counts["solved_before"]),
        "postings": (
            (posting_counts["on_time"], posting_counts["total"]),
            (posting_counts["on_time_before"], posting_counts["total_before"]),
        ),
        "trend": (trend, per_month),
        "trend_before": (trend_before, per_month_before),
        "reviews": [(review, latest.get(review.pk)) for review in reviews],
        "awaiting": awaiting,
        "links": {
            "received": _figures_query(period, hamlet),
            "valuable": _figures_query(period, hamlet, valuable_tip="true"),
            "solved": _figures_query(period, hamlet, solved_by_tip="true"),
            "postings": _query(
                **{"from": period.first.isoformat(), "to": period.last.isoformat()},
                hamlet=hamlet,
            ),
        },
    }


def _figures_query(period: Period, hamlet: int | None, **extra: Any) -> str:
    return _query(
        received_from=period.first.isoformat(),
        received_to=period.last.isoformat(),
        hamlet=hamlet,
        **extra,
    )


# --- the entry point ---------------------------------------------------------------------------

BUILDERS = {
    POLICE: police_dashboard,
    HAMLET_HEAD: hamlet_head_dashboard,
    LEADERSHIP: leadership_dashboard,
}


def freshness(user: User) -> str:
    """What ends a cached dashboard besides CACHE_SECONDS: a new day ("today" moves the
    due-today and overdue counts) and the user's own last write (counted at once)."""
    return f"{timezone.localdate().isoformat()}:{wrote_mark(user)}"


def cache_key(user: User, kind: str, scope: Scope, period: Period) -> str:
    return ":".join(
        [
            "dashboard",
            "v2",  # v2: the residents' word
            kind,
            str(user.pk),
            scope.key(),
            str(scope.hamlet_id or ""),
            period.kind,
            period.first.isoformat(),
            period.last.isoformat(),
            freshness(user),
        ]
    )


def dashboard(user: User, kind: str, scope: Scope, period: Period) -> dict[str, Any]:
    """The figures of `kind` for the user's scope and period, cached for CACHE_SECONDS."""
    key = cache_key(user, kind, scope, period)
    data = cache.get(key)
    if data is None:
        data = BUILDERS[kind](user, scope, period)
        cache.set(key, data, CACHE_SECONDS)
    return data


# --- what the charts draw (the tables under them carry the same figures) ----------------------


def _month_label(day: datetime.date) -> str:
    return f"{day.month:02d}/{day.year}"


def police_charts(data: dict[str, Any], period: Period) -> dict[str, Any]:
    categories = list(Category.values)
    rows = month_table(period, data["per_month"], categories)
    labels = dict(Category.choices)
    return {
        "coverage": {
            "type": "coverage",
            "label": str(_("Households covered (%)")),
            "labels": [row.hamlet.name for row in data["coverage"]],
            "values": [row.percent_shown for row in data["coverage"]],
            "below": [row.is_below_target for row in data["coverage"]],
        },
        "months": {
            "type": "stacked",
            "label": str(_("Reports received per month, by category")),
            "labels": [_month_label(row["month"]) for row in rows],
            "datasets": [
                {"label": str(labels[value]), "data": [row["counts"][i] for row in rows]}
                for i, value in enumerate(categories)
            ],
        },
    }


def leadership_trend(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Per month of the trend: reports and valuable tips, and the same days a year before."""
    now_rows = month_table(*data["trend"], [True, False])
    before_rows = month_table(*data["trend_before"], [True, False])
    return [
        {
            **row,
            "valuable": row["counts"][0],
            "before_total": old["total"],
            "before_valuable": old["counts"][0],
        }
        for row, old in zip(now_rows, before_rows, strict=False)
    ]


def leadership_charts(trend: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "trend": {
            "type": "line",
            "label": str(_("Reports received per month, against a year before")),
            "labels": [_month_label(row["month"]) for row in trend],
            "datasets": [
                {"label": str(_("Reports received")), "data": [r["total"] for r in trend]},
                {"label": str(_("A year before")), "data": [r["before_total"] for r in trend]},
                {"label": str(_("Valuable tips")), "data": [r["valuable"] for r in trend]},
            ],
        }
    }
