"""Query-string filters of the register's API (django-filter; they also appear in the schema).

The querysets they narrow are already scoped to the caller (`visible_to`), so an id from another
hamlet or commune simply matches nothing: the filters never need to check scope themselves.
"""

from __future__ import annotations

import django_filters
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from .models import Member, MemberQuerySet, ZaloGroup, name_order, within_one_commune

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
    hamlet = django_filters.NumberFilter(field_name="group__hamlet", label=_("Hamlet (id)"))
    group = django_filters.NumberFilter(field_name="group", label=_("Zalo group (id)"))
    people_group = django_filters.NumberFilter(
        field_name="people_group", label=_("People's group (id)")
    )
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
    hamlet = django_filters.NumberFilter(field_name="hamlet", label=_("Hamlet (id)"))
    people_group = django_filters.NumberFilter(
        field_name="people_group", label=_("People's group (id)")
    )
    status = django_filters.ChoiceFilter(choices=ZaloGroup.Status.choices, label=_("Status"))

    class Meta:
        model = ZaloGroup
        fields = ["hamlet", "people_group", "status"]
