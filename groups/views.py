"""HTML pages of the register: household coverage and the printable join posters."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from binhyen.permissions import require_perm

from .access import hamlets_for
from .coverage import below_target, commune_totals, hamlet_coverage, people_group_coverage
from .models import Hamlet, ZaloGroup
from .poster import poster_filename, poster_pdf


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    """Coverage of every hamlet in the user's scope, their total and the lagging people's groups."""
    require_perm(request, "groups.view_hamlet")
    rows = hamlet_coverage(hamlets_for(request.user))
    chart = {
        "label": _("Households covered (%)"),
        "labels": [row.hamlet.name for row in rows],
        "values": [row.percent_shown for row in rows],
        "covered": [row.covered_households for row in rows],
        "households": [row.households for row in rows],
        "below": [row.is_below_target for row in rows],
    }
    context = {
        "rows": rows,
        "totals": commune_totals(rows),
        "commune_wide": request.user.has_perm("groups.view_all_hamlets"),
        "below_target": below_target(request.user),
        "chart": chart,
        # A fixed height that fits the bars (Chart.js fills its container: no growth loop).
        "chart_height": 80 + 32 * len(rows),
    }
    return render(request, "groups/coverage_list.html", context)


@login_required
def coverage_hamlet(request: HttpRequest, hamlet_id: int) -> HttpResponse:
    """One hamlet's coverage and its people's groups'; a hamlet out of scope is missing (404)."""
    hamlet = get_object_or_404(Hamlet.objects.visible_to(request.user), pk=hamlet_id)
    require_perm(request, "groups.view_hamlet")
    [summary] = hamlet_coverage(Hamlet.objects.filter(pk=hamlet.pk))
    context = {
        "hamlet": summary.hamlet,
        "summary": summary,
        "rows": people_group_coverage(hamlet),
        "zalo_groups": hamlet.zalo_groups.active().select_related("people_group"),
    }
    return render(request, "groups/coverage_hamlet.html", context)


@login_required
def group_poster(request: HttpRequest, group_id: int) -> HttpResponse:
    """The A4 join poster of a Zalo group, as a PDF download."""
    queryset = ZaloGroup.objects.visible_to(request.user).select_related(
        "hamlet__commune", "admin_officer"
    )
    group = get_object_or_404(queryset, pk=group_id)
    require_perm(request, "groups.view_zalogroup")
    response = HttpResponse(poster_pdf(group), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=poster_filename(group)
    )
    return response
