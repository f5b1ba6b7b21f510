"""Household coverage: how many households of a hamlet or people's group have joined a group.

Read-side selectors only. A household is covered when at least one of its members is an active
member (not left) of an active Zalo group with the role "household representative". Households
are told apart by `Member.household_key`; a member whose household was left empty counts as a
household of its own, so a roster without addresses is not under-counted to zero.

Every selector runs a fixed number of queries (two per kind of row), whatever the number of
hamlets, groups or members: the counting is done by the database.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import CharField, Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat, NullIf

from binhyen.numbers import share

from .access import hamlets_for
from .models import Hamlet, Member, PeopleGroup, ZaloGroup

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

# One value per household: the household key, or " <member id>" for a member without one. The
# leading space keeps the two apart: search_key() strips surrounding whitespace, so no key has it.
HOUSEHOLD = Coalesce(
    NullIf("household_key", Value("")),
    Concat(Value(" "), Cast("pk", CharField()), output_field=CharField()),
    output_field=CharField(),
)


@dataclass(frozen=True)
class Coverage:
    """Counts behind a coverage figure. `households` is the base recorded in the register."""

    households: int
    covered_households: int
    active_members: int
    active_groups: int

    @property
    def percent(self) -> float | None:
        """Raw share in %, which may exceed 100 when the register's household count is stale;
        None when no households are recorded (there is nothing to divide by)."""
        if self.households == 0:
            return None
        return self.covered_households * 100 / self.households

    @property
    def percent_shown(self) -> float | None:
        """The share as displayed: rounded half up to 0.1 and capped at 100. Whether it is
        below a target is judged on the exact figure (`is_below`), not on this one."""
        return share(self.covered_households, self.households)

    def is_below(self, target: int) -> bool:
        """Below a target in % (exact integer arithmetic). Unknown coverage is not "below"."""
        return self.households > 0 and self.covered_households * 100 < target * self.households


@dataclass(frozen=True)
class HamletCoverage(Coverage):
    hamlet: Hamlet

    @property
    def target(self) -> int:
        return self.hamlet.commune.coverage_target

    @property
    def is_below_target(self) -> bool:
        return self.is_below(self.target)


@dataclass(frozen=True)
class PeopleGroupCoverage(Coverage):
    people_group: PeopleGroup

    @property
    def target(self) -> int:
        return self.people_group.hamlet.commune.coverage_target

    @property
    def is_below_target(self) -> bool:
        return self.is_below(self.target)


@dataclass(frozen=True)
class Totals(Coverage):
    hamlets: int


def active_on(day: datetime.date) -> Q:
    """Members in a group on `day`: joined by then (a member without a joining date counts from
    when it was recorded) and not yet left."""
    joined = Q(joined_on__lte=day) | Q(joined_on__isnull=True, created_at__date__lte=day)
    return joined & (Q(left_on__isnull=True) | Q(left_on__gt=day))


def _member_counts(
    members: QuerySet[Member], unit: str, as_of: datetime.date | None = None
) -> dict[int, dict[str, int]]:
    """Active members and covered households per `unit` (a field path to the hamlet's or people's
    group's id), in one query; today's, or those of the day `as_of`."""
    active = Q(left_on__isnull=True) if as_of is None else active_on(as_of)
    rows = (
        members.filter(active, group__status=ZaloGroup.Status.ACTIVE)
        .order_by()
        .values(unit)
        .annotate(
            members=Count("pk"),
            covered=Count(HOUSEHOLD, distinct=True, filter=Q(role=Member.Role.HOUSEHOLD)),
        )
    )
    return {row[unit]: row for row in rows}


def hamlet_coverage(
    hamlets: QuerySet[Hamlet], as_of: datetime.date | None = None
) -> list[HamletCoverage]:
    """Coverage of each hamlet of `hamlets` (two queries), in the queryset's order: today's, or
    on the day `as_of` by the members' joining and leaving dates. The households recorded and
    the groups' status are today's (the register keeps no history of them)."""
    # A subquery, not a join with Count: a query with GROUP BY ignores the model's ordering
    # (Django since 3.1), and the hamlets must come in the queryset's order.
    active_groups = (
        ZaloGroup.objects.filter(hamlet=OuterRef("pk"), status=ZaloGroup.Status.ACTIVE)
        .order_by()
        .values("hamlet")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = list(
        hamlets.select_related("commune").annotate(n_groups=Coalesce(Subquery(active_groups), 0))
    )
    counts = _member_counts(
        Member.objects.filter(group__hamlet__in=hamlets.values("pk")), "group__hamlet", as_of
    )
    return [
        HamletCoverage(
            hamlet=hamlet,
            households=hamlet.households,
            covered_households=counts.get(hamlet.pk, {}).get("covered", 0),
            active_members=counts.get(hamlet.pk, {}).get("members", 0),
            active_groups=hamlet.n_groups,
        )
        for hamlet in rows
    ]


def _people_group_rows(people_groups: QuerySet[PeopleGroup]) -> list[PeopleGroupCoverage]:
    rows = list(
        people_groups.select_related("hamlet__commune").annotate(
            n_groups=Count("zalo_groups", filter=Q(zalo_groups__status=ZaloGroup.Status.ACTIVE))
        )
    )
    counts = _member_counts(
        Member.objects.filter(people_group__in=people_groups.values("pk")), "people_group"
    )
    return [
        PeopleGroupCoverage(
            people_group=group,
            households=group.households,
            covered_households=counts.get(group.pk, {}).get("covered", 0),
            active_members=counts.get(group.pk, {}).get("members", 0),
            active_groups=group.n_groups,
        )
        for group in rows
    ]


def people_groups_coverage(people_groups: QuerySet[PeopleGroup]) -> list[PeopleGroupCoverage]:
    """Coverage of each of `people_groups` (two queries)."""
    return _people_group_rows(people_groups)


def people_group_coverage(hamlet: Hamlet) -> list[PeopleGroupCoverage]:
    """Coverage of each people's group of a hamlet (two queries)."""
    return _people_group_rows(PeopleGroup.objects.filter(hamlet=hamlet))


def below_target(user: User | AnonymousUser) -> list[PeopleGroupCoverage]:
    """People's groups in the user's scope still below their commune's coverage target, lowest
    coverage first (two queries). Groups with no households recorded are left out: their
    coverage is unknown, and the hamlet page shows them as such."""
    rows = _people_group_rows(PeopleGroup.objects.filter(hamlet__in=hamlets_for(user)))
    below = [row for row in rows if row.is_below_target]
    return sorted(
        below,
        key=lambda row: (
            row.covered_households / row.households,
            row.people_group.hamlet.name,
            row.people_group.name,
        ),
    )


def commune_totals(rows: Iterable[Coverage]) -> Totals:
    """Sum of the rows (hamlets of one commune never share a household)."""
    rows = list(rows)
    return Totals(
        hamlets=len(rows),
        households=sum(row.households for row in rows),
        covered_households=sum(row.covered_households for row in rows),
        active_members=sum(row.active_members for row in rows),
        active_groups=sum(row.active_groups for row in rows),
    )
