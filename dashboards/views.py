"""The home page: each role's dashboard (selectors.py), or a welcome for a role without one."""

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from binhyen.page_cache import Drawn, cached_part
from groups.access import hamlets_for
from reports import maps
from reports.models import OPEN_STATUSES, Category, Status, Urgency

from . import selectors

CATEGORY_VALUES = list(Category.values)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's dashboard (dashboards/selectors.py): what needs them today and how the model
    is doing, for their scope, the period chosen and, with several hamlets, one of them."""
    user = request.user
    kind = selectors.kind_for(user)
    if kind is None:
        context = {"role": user.primary_role, "kind": kind, "hamlets": hamlets_for(user)}
        content = render_to_string("dashboards/_home.html", context, request=request)
    else:
        # Kept as long as its figures are (selectors.cache_key): what others change shows
        # within a minute, what the user changed on their next request.
        name = f"dashboards:{kind}:{selectors.freshness(user)}"
        content = cached_part(request, name, (), lambda: _draw(request, kind))
    context = {"content": content, "kind": kind, "with_map": kind and maps.may_see_map(user)}
    return render(request, "dashboards/home.html", context)


def _draw(request: HttpRequest, kind: str) -> Drawn:
    user = request.user
    scope = selectors.scope_for(user, request.GET)
    period = selectors.period_from(request.GET)
    data = selectors.dashboard(user, kind, scope, period)
    context = {"role": user.primary_role, "kind": kind, "scope": scope, "period": period}
    context.update(data=data, periods=_period_choices())
    if "residents" in data:  # the police's and the leadership's
        context["residents_groups"] = [
            (_("By hamlet"), data["residents"]["by_hamlet"]),
            (_("By category"), data["residents"]["by_category"]),
        ]
    if kind == selectors.POLICE:
        context["charts"] = selectors.police_charts(data, period)
        context["months"] = selectors.month_table(period, data["per_month"], CATEGORY_VALUES)
        context["categories"] = Category.choices
        context["breakdown"] = _breakdown(data)
    elif kind == selectors.LEADERSHIP:
        trend = selectors.leadership_trend(data)
        context["trend"] = trend
        context["charts"] = selectors.leadership_charts(trend)
    context["report_map"] = _report_map(user, scope, period)
    html = render_to_string("dashboards/_home.html", context, request=request)
    return html, timezone.now() + datetime.timedelta(seconds=selectors.CACHE_SECONDS)


def _report_map(user, scope: selectors.Scope, period: selectors.Period) -> dict | None:
    """The small map of the reports received in the period (in the chosen hamlet): the map
    page's API with the same filters, and the link to that page."""
    if not maps.may_see_map(user):
        return None
    query = urlencode(
        {
            "received_from": period.first.isoformat(),
            "received_to": period.last.isoformat(),
            **({"hamlet": scope.hamlet_id} if scope.hamlet_id else {}),
        }
    )
    return {
        "source": f"{reverse('api:report-map')}?{query}",
        "page": f"{reverse('reports:report-map')}?{query}",
        "tiles": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
    }


def _breakdown(data: dict) -> list[tuple[str, str, int, str]]:
    """The rows of "open reports by status and urgency": (figure, label, count, query)."""
    links = data["links"]
    rows = [
        (f"status-{s}", Status(s).label, data["by_status"][s], links["status"][s])
        for s in OPEN_STATUSES
    ]
    rows += [
        (f"urgency-{u}", _("Urgency: %(level)s") % {"level": label}, data["by_urgency"][u],
         links["urgency"][u])
        for u, label in Urgency.choices
    ]  # fmt: skip
    return rows


def _period_choices() -> list[tuple[str, str]]:
    return [
        ("month", _("This month")),
        ("quarter", _("This quarter")),
        ("year", _("This year")),
        ("custom", _("From … to …")),
    ]
