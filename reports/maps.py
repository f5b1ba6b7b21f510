"""The map of reports (/map/, its API /api/v1/reports/map/, the dashboards' small maps): the
reports of a selection as markers, and their count per hamlet.

The selection is the API's FilterSet (reports/filters.py) on the user's scope, the same as the
leadership's list of reports and, for the filters they share, the triage queue: a count on the
map is the count of the list its link opens. A marker says only the report's code, category,
status and day: never a word of its text and never its informant. Its point follows
reports/points.py: as filed for whoever reads the report's text, rounded to about 110 m for
the others, and always rounded for an anonymous tip; a report filed without a point is drawn
at its hamlet's centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Count, QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from binhyen.dates import DayField
from groups.access import hamlets_for
from groups.models import Hamlet

from . import visibility
from .filters import IncidentReportFilter
from .models import Category, Channel, IncidentReport, Status, Urgency
from .points import coarsen

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

# More markers than this are not drawn (the counts per hamlet still count every report): a
# phone's browser stays usable, and a year of a commune's reports fits far below it.
MAX_MARKERS = 3000
# The filters of the map page: those of the triage queue that the leadership's list has too.
MAP_FILTERS = ("status", "category", "urgency", "hamlet", "received_from", "received_to")
TRIAGE = visibility.TRIAGE
MARKER_COLUMNS = ("id", "code", "category", "status", "channel", "created_at", "hamlet_id",
                  "filed_by_id", "latitude", "longitude")  # fmt: skip


def may_see_map(user: User | AnonymousUser) -> bool:
    """The police and area officers (who triage) and the party office and leaders (who see
    every hamlet's figures); not a hamlet head, whose map would be their own hamlet's street."""
    if not user.is_active or not user.has_perm(visibility.VIEW):
        return False
    return user.has_perm(TRIAGE) or user.has_perm("groups.view_all_hamlets")


@dataclass(frozen=True)
class Point:
    latitude: Decimal
    longitude: Decimal
    # No point was given: the hamlet's centre stands for it.
    hamlet_centre: bool = False


def point_of(report: IncidentReport, hamlet: Hamlet | None, *, exact: bool) -> Point | None:
    """Where the report is drawn (see the module's docstring); None when neither the report
    nor its hamlet has a point. `exact`: the user may read the report's coordinates."""
    if report.latitude is not None and report.longitude is not None:
        if exact and report.channel != Channel.ANONYMOUS_TIP:
            return Point(report.latitude, report.longitude)
        return Point(coarsen(report.latitude), coarsen(report.longitude))
    if hamlet is None or hamlet.latitude is None or hamlet.longitude is None:
        return None
    return Point(hamlet.latitude, hamlet.longitude, hamlet_centre=True)


def exact_points(user: User | AnonymousUser, report: IncidentReport) -> bool:
    return "latitude" in visibility.readable_fields(user, report)


def list_url(user: User | AnonymousUser, query: dict[str, Any]) -> str:
    """The list of the same reports: the triage queue for who triages (its status "all" for the
    map's none: the queue shows the open ones by default), the leadership's list otherwise."""
    query = {key: value for key, value in query.items() if value not in (None, "")}
    if user.has_perm(TRIAGE):
        query.setdefault("status", "all")
        return f"{reverse('reports:report-list')}?{urlencode(query)}"
    return f"{reverse('reports:report-figures')}?{urlencode(query)}"


def _query_value(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Hamlet):
        return str(value.pk)
    return str(value)


def query_strings(query: dict[str, Any]) -> dict[str, str]:
    """The filters' values as a query string writes them."""
    return {key: _query_value(value) for key, value in query.items() if value not in (None, "")}


def map_data(
    user: User | AnonymousUser,
    reports: QuerySet[IncidentReport],
    query: dict[str, Any],
    *,
    with_markers: bool = True,
) -> dict[str, Any]:
    """The map of `reports` (the user's scope, filtered by `query`, the filters' cleaned
    values): every hamlet of the scope with its count, and up to MAX_MARKERS markers, the
    newest first (none without `with_markers`: the page's table, whose script reads them
    from the API)."""
    query = query_strings(query)
    counts = dict(
        reports.order_by()
        .values_list("hamlet_id")
        .annotate(count=Count("id"))
        .values_list("hamlet_id", "count")
    )
    hamlets = {
        hamlet.pk: hamlet
        for hamlet in hamlets_for(user).only(
            "id", "name", "code", "latitude", "longitude", "boundary"
        )
    }
    rows = reports.only(*MARKER_COLUMNS).order_by("-created_at", "-id")[:MAX_MARKERS]
    if not with_markers:
        rows = reports.none()
    categories = {value: str(label) for value, label in Category.choices}
    statuses = {value: str(label) for value, label in Status.choices}
    markers = []
    for report in rows:
        point = point_of(report, hamlets.get(report.hamlet_id), exact=exact_points(user, report))
        if point is None:
            continue
        markers.append(
            {
                "id": report.pk,
                "code": report.code,
                "hamlet": report.hamlet_id,
                "category": report.category,
                "category_label": categories.get(report.category, report.category),
                "status": report.status,
                "status_label": statuses.get(report.status, report.status),
                "created_at": report.created_at,
                "day": f"{timezone.localtime(report.created_at):%d/%m/%Y}",
                "latitude": point.latitude,
                "longitude": point.longitude,
                "hamlet_centre": point.hamlet_centre,
                "url": reverse("reports:report-detail", args=[report.pk]),
            }
        )
    total = sum(counts.values())
    return {
        "count": total,
        "markers_capped": total > MAX_MARKERS,
        "list_url": list_url(user, query),
        "hamlets": [
            {
                "id": hamlet.pk,
                "code": hamlet.code,
                "name": hamlet.name,
                "count": counts.get(hamlet.pk, 0),
                "latitude": hamlet.latitude,
                "longitude": hamlet.longitude,
                "boundary": hamlet.boundary,
                "list_url": list_url(user, {**query, "hamlet": str(hamlet.pk)}),
            }
            for hamlet in sorted(hamlets.values(), key=lambda hamlet: hamlet.name)
        ],
        "reports": markers,
    }


class MapFilterForm(forms.Form):
    """The map page's filters as drawn (the values are read by the API's FilterSet, the same
    as the list: see map_selection). Named as the list's parameters, so a link carries them."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), required=False)
    hamlet = forms.ChoiceField(label=_("Hamlet"), required=False)
    received_from = DayField(label=_("Received from"), required=False)
    received_to = DayField(label=_("Received until"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        every = ("", gettext("All"))
        self.fields["status"].choices = [every, *Status.choices]
        self.fields["category"].choices = [every, *Category.choices]
        self.fields["urgency"].choices = [every, *Urgency.choices]
        hamlets = hamlets_for(user).order_by("name").values_list("pk", "name")
        self.fields["hamlet"].choices = [every, *((str(pk), name) for pk, name in hamlets)]


def map_selection(user: User, params: QueryDict) -> IncidentReportFilter:
    """The FilterSet of the map's filters on the user's scope (only MAP_FILTERS are read)."""
    values = QueryDict(mutable=True)
    for name in MAP_FILTERS:
        if params.get(name):
            values[name] = params[name]
    return IncidentReportFilter(values, queryset=IncidentReport.objects.visible_to(user))


def map_query(found: IncidentReportFilter) -> dict[str, Any]:
    """The map's filters in force (for its links), from a valid FilterSet."""
    data = found.form.cleaned_data
    return {name: data[name] for name in MAP_FILTERS if data.get(name) not in (None, "")}
