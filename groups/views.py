"""HTML pages of the register: household coverage, the printable join posters and the member
roster (Sổ thành viên) with its export."""

from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from accounts.audit import audit_entries_visible_to, audit_rows
from binhyen.files import download_response
from binhyen.page_cache import Drawn, cached_part
from binhyen.pagination import CappedCountPaginator
from binhyen.permissions import require_perm

from .access import hamlets_for
from .coverage import below_target, commune_totals, hamlet_coverage, people_group_coverage
from .filters import RosterFilter
from .importing import export_members
from .models import Hamlet, Member, MemberQuerySet, ZaloGroup
from .poster import poster_filename, poster_pdf
from .services import REGISTER_TOPIC


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
    return download_response(
        poster_pdf(group), content_type="application/pdf", filename=poster_filename(group)
    )


# --- Sổ thành viên: the member roster ---------------------------------------------------------

ROSTER_PAGE_SIZE = 50
EXPORT_FORMATS = ("xlsx", "csv")


def _roster(request: HttpRequest) -> tuple[RosterFilter, MemberQuerySet]:
    """The roster's filters and the members they select, in scope and in order: the page and
    its export read the same. Filters that do not validate select nothing (never everything)."""
    require_perm(request, "groups.view_member")
    members = Member.objects.visible_to(request.user)
    roster = RosterFilter(request.GET, queryset=members, request=request)
    if not roster.is_valid():
        return roster, members.none()
    return roster, roster.qs


@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    """Sổ thành viên: the members in the user's scope, searched, filtered, sorted and paged."""
    require_perm(request, "groups.view_member")
    content = cached_part(request, "groups:roster", [REGISTER_TOPIC], lambda: _draw_roster(request))
    return render(request, "groups/member_list.html", {"content": content})


def _draw_roster(request: HttpRequest) -> Drawn:
    roster, members = _roster(request)
    rows = members.select_related("group__hamlet", "people_group")
    page = CappedCountPaginator(rows, ROSTER_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": roster,
        "page": page,
        "capped": page.paginator.capped,
        "cap": CappedCountPaginator.CAP,
        "filtered": any(value for key, value in request.GET.items() if key not in ("page", "sort")),
    }
    return render_to_string("groups/_member_list.html", context, request=request), None


@login_required
def member_export(request: HttpRequest) -> HttpResponse:
    """What the roster shows (every page of it), as an Excel or CSV file."""
    fmt = request.GET.get("format", "xlsx")
    if fmt not in EXPORT_FORMATS:
        require_perm(request, "groups.view_member")
        return HttpResponseBadRequest(_("Unknown export format."))
    _roster_filter, members = _roster(request)
    content, content_type, filename = export_members(members, fmt)
    return download_response(content, content_type=content_type, filename=filename)


@login_required
def member_detail(request: HttpRequest, member_id: int) -> HttpResponse:
    """One member and the history of their record; out of scope is missing (404)."""
    members = Member.objects.visible_to(request.user).select_related(
        "group__hamlet", "people_group"
    )
    member = get_object_or_404(members, pk=member_id)
    require_perm(request, "groups.view_member")
    entries = (
        audit_entries_visible_to(request.user)
        .filter(content_type=ContentType.objects.get_for_model(Member), object_id=member.pk)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")
    )
    context = {"member": member, "history": audit_rows(entries)}
    return render(request, "groups/member_detail.html", context)
