"""Query-string filters of the register's API (django-filter; they also appear in the schema)
and of the roster page (RosterFilter).

The querysets they narrow are already scoped to the caller (`visible_to`), so an id from another
hamlet or commune simply matches nothing: the filters never need to check scope themselves.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from binhyen.filters import MAX_ID, IdFilter

from .access import hamlets_for
from .models import (
    Hamlet,
    Member,
    MemberQuerySet,
    PeopleGroup,
    ZaloGroup,
    name_order,
    within_one_commune,
)

# Public ordering values and the order behind each, given whether the scope is read first
# (groups.models.name_order). `id` always comes last, so that pages do not overlap when many
# rows share a value.
MEMBER_ORDERINGS = {
    "full_name": lambda scope_first: name_order(scope_first=scope_first),
    "-full_name": lambda scope_first: name_order(descending=True, scope_first=scope_first),
    "joined_on": lambda _: (F("joined_on").asc(nulls_last=True), "id"),
    "-joined_on": lambda _: (F("joined_on").desc(nulls_last=True), "-id"),
}


class MemberFilter(django_filters.FilterSet):
    hamlet = IdFilter(field_name="group__hamlet", label=_("Hamlet (id)"))
    group = IdFilter(field_name="group", label=_("Zalo group (id)"))
    people_group = IdFilter(field_name="people_group", label=_("People's group (id)"))
    role = django_filters.ChoiceFilter(choices=Member.Role.choices, label=_("Role in the group"))
    active = django_filters.BooleanFilter(
        method="filter_active",
        label=_("true: members still in the group; false: members who have left"),
    )
    search = django_filters.CharFilter(
        method="filter_search",
        label=_(
            "Name without or with diacritics (“nguyen van duc”), or a phone number or part "
            "of one in any format (“0912 345”, “+84912345678”)"
        ),
    )
    ordering = django_filters.ChoiceFilter(
        choices=[(value, value) for value in MEMBER_ORDERINGS],
        method="filter_ordering",
        empty_label=None,
        label=_("Order by full name or joining date; a leading “-” reverses the order"),
    )

    class Meta:
        model = Member
        fields = ["hamlet", "group", "people_group", "role", "active", "search", "ordering"]

    def filter_active(self, queryset: MemberQuerySet, name: str, value: bool) -> MemberQuerySet:
        return queryset.filter(left_on__isnull=value)

    def filter_search(self, queryset: MemberQuerySet, name: str, value: str) -> MemberQuerySet:
        return queryset.search(value, scope_first=self._scope_first)

    def filter_ordering(self, queryset: MemberQuerySet, name: str, value: str) -> MemberQuerySet:
        return queryset.order_by(*MEMBER_ORDERINGS[value](self._scope_first))

    @property
    def _scope_first(self) -> bool:
        return self.request is not None and within_one_commune(self.request.user)


class ZaloGroupFilter(django_filters.FilterSet):
    hamlet = IdFilter(field_name="hamlet", label=_("Hamlet (id)"))
    people_group = IdFilter(field_name="people_group", label=_("People's group (id)"))
    status = django_filters.ChoiceFilter(choices=ZaloGroup.Status.choices, label=_("Status"))

    class Meta:
        model = ZaloGroup
        fields = ["hamlet", "people_group", "status"]


def options_hamlet(chosen: str, hamlets: QuerySet[Hamlet]) -> int | None:
    """The hamlet whose people's groups and Zalo groups a filter lists: the one `chosen` (a
    hamlet id from the query string), else the only one of `hamlets` (the user's scope); None
    otherwise. Listing every group of a wide scope (a province has ~10,000) would make each page
    heavy. The roster page's filters and the admin's member filters both ask this."""
    if chosen.isdigit():
        return int(chosen) if int(chosen) <= MAX_ID else None
    first_two = list(hamlets.values_list("pk", flat=True)[:2])
    return first_two[0] if len(first_two) == 1 else None


# The roster page's orders (`sort`): each ends with the id, so that pages never overlap when many
# members share a value. Name orders as the API's (groups.models.name_order).
ROSTER_ORDERS = {
    "name": MEMBER_ORDERINGS["full_name"],
    "-name": MEMBER_ORDERINGS["-full_name"],
    "phone": lambda _: ("phone", "pk"),
    "-phone": lambda _: ("-phone", "-pk"),
    "group": lambda _: ("group__name", "name_key", "pk"),
    "-group": lambda _: ("-group__name", "-name_key", "-pk"),
    "joined": MEMBER_ORDERINGS["joined_on"],
    "-joined": MEMBER_ORDERINGS["-joined_on"],
}


class RosterFilter(django_filters.FilterSet):
    """The filters, search and order of the roster page (Sổ thành viên) and of its export.

    Every option comes from the user's scope. People's groups and Zalo groups are listed for one
    hamlet only (the one chosen, or the user's only hamlet): a wide scope has hundreds. A group
    chosen without a hamlet still applies (a link may carry one); it is then a hidden field."""

    q = django_filters.CharFilter(method="filter_search", label=_("Name or phone"))
    hamlet = django_filters.ModelChoiceFilter(
        field_name="group__hamlet",
        queryset=Hamlet.objects.none(),
        label=_("Hamlet"),
        empty_label=_("All"),
    )
    people_group = django_filters.ModelChoiceFilter(
        queryset=PeopleGroup.objects.none(), label=_("People's group"), empty_label=_("All")
    )
    group = django_filters.ModelChoiceFilter(
        queryset=ZaloGroup.objects.none(), label=_("Zalo group"), empty_label=_("All")
    )
    role = django_filters.ChoiceFilter(
        choices=Member.Role.choices, label=_("Role in the group"), empty_label=_("All")
    )
    active = django_filters.ChoiceFilter(
        choices=[("yes", _("Active")), ("no", _("Left"))],
        method="filter_active",
        label=_("Membership"),
        empty_label=_("All"),
    )
    sort = django_filters.ChoiceFilter(
        choices=[
            ("name", _("Name (A–Z)")),
            ("-name", _("Name (Z–A)")),
            ("phone", _("Phone (ascending)")),
            ("-phone", _("Phone (descending)")),
            ("group", _("Zalo group (A–Z)")),
            ("-group", _("Zalo group (Z–A)")),
            ("joined", _("Joined (oldest first)")),
            ("-joined", _("Joined (newest first)")),
        ],
        method="filter_sort",
        empty_label=None,
        label=_("Sort by"),
    )

    class Meta:
        model = Member
        fields: list[str] = []

    def __init__(self, data=None, *args, request: HttpRequest, **kwargs) -> None:
        super().__init__(data, *args, request=request, **kwargs)
        user = request.user
        self.scope_first = within_one_commune(user)
        hamlets = hamlets_for(user)
        self.filters["hamlet"].queryset = hamlets.order_by("name", "pk")
        self.filters["people_group"].queryset = PeopleGroup.objects.visible_to(user)
        self.filters["group"].queryset = ZaloGroup.objects.visible_to(user)
        self.options_hamlet = options_hamlet(self.data.get("hamlet", ""), hamlets)

    @cached_property
    def form(self) -> forms.Form:
        form = super().form
        for field in form.fields.values():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select"
        for name in ("people_group", "group"):
            field = form.fields[name]
            if self.options_hamlet is None:
                field.widget = forms.HiddenInput()
                continue
            options = field.queryset.filter(hamlet_id=self.options_hamlet)
            if name == "people_group":
                options = options.select_related("hamlet")
            field.widget.choices = [("", field.empty_label)] + [
                (option.pk, str(option)) for option in options
            ]
        return form

    def filter_search(self, queryset: MemberQuerySet, name: str, value: str) -> MemberQuerySet:
        return queryset.search(value, scope_first=self.scope_first) if value.strip() else queryset

    def filter_active(self, queryset: MemberQuerySet, name: str, value: str) -> MemberQuerySet:
        return queryset.filter(left_on__isnull=value == "yes")

    def filter_sort(self, queryset: MemberQuerySet, name: str, value: str) -> MemberQuerySet:
        return queryset.order_by(*ROSTER_ORDERS[value](self.scope_first))

    def filter_queryset(self, queryset: MemberQuerySet) -> MemberQuerySet:
        """The members the filters select, in the chosen order (by name when none is chosen)."""
        queryset = queryset.order_by(*ROSTER_ORDERS["name"](self.scope_first))
        return super().filter_queryset(queryset)
