"""Writes to the register that touch several rows or check the acting user."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from .access import hamlets_for
from .coverage import HOUSEHOLD
from .models import Hamlet, Member, MemberCount, MemberQuerySet, PeopleGroup, ZaloGroup


def _hamlet_id(instance: Hamlet | PeopleGroup | ZaloGroup | Member) -> int | None:
    if isinstance(instance, Hamlet):
        return instance.pk
    if isinstance(instance, Member):
        return instance.group.hamlet_id if instance.group_id else None
    return instance.hamlet_id


def _joins_archived_group(instance: object) -> bool:
    return (
        isinstance(instance, Member)
        and bool(instance.group_id)
        and instance.is_active
        and instance.group.status == ZaloGroup.Status.ARCHIVED
    )


@transaction.atomic
def register_save(
    *, actor: User, instance: Hamlet | PeopleGroup | ZaloGroup | Member
) -> Hamlet | PeopleGroup | ZaloGroup | Member:
    """Create or change one row of the register for `actor`, who needs the model permission and
    the row's hamlet in scope. Validates the whole row (phone, keys, constraints) first.

    A member cannot join an archived group: archiving is how a group is closed."""
    action = "change" if instance.pk else "add"
    if not actor.has_perm(f"groups.{action}_{instance._meta.model_name}"):
        raise PermissionDenied
    hamlet_id = _hamlet_id(instance)
    if hamlet_id is not None and not hamlets_for(actor).filter(pk=hamlet_id).exists():
        raise PermissionDenied
    if _joins_archived_group(instance):
        raise ValidationError({"group": _("This group is archived: it takes no members.")})
    instance.full_clean()
    instance.save()
    return instance


def _in_scope(*, actor: User, members: MemberQuerySet, perm: str) -> list[Member]:
    if not actor.has_perm(perm):
        raise PermissionDenied
    chosen = list(members.select_related("group"))
    visible = set(
        Member.objects.visible_to(actor)
        .filter(pk__in=[m.pk for m in chosen])
        .values_list("pk", flat=True)
    )
    if len(visible) != len(chosen):
        raise PermissionDenied
    return chosen


@transaction.atomic
def member_mark_left(*, actor: User, members: MemberQuerySet, left_on: datetime.date) -> int:
    """End the active memberships among `members` on `left_on`; the records stay (history
    matters). Members who already left are left alone. Returns how many were marked."""
    marked = 0
    for member in _in_scope(actor=actor, members=members, perm="groups.change_member"):
        if member.left_on is not None:
            continue
        if member.joined_on and left_on < member.joined_on:
            raise ValidationError(
                _("%(name)s joined on %(date)s, after the leaving date.")
                % {"name": member.full_name, "date": member.joined_on.strftime("%d/%m/%Y")}
            )
        member.left_on = left_on
        member.save(update_fields=["left_on", "updated_at"])  # one save each: audited
        marked += 1
    return marked


@transaction.atomic
def member_move(*, actor: User, members: MemberQuerySet, to_group: ZaloGroup) -> int:
    """Move members to another group in the actor's scope. A people's group of another hamlet
    is cleared. Refuses when a moved phone is already active in the target group."""
    if not ZaloGroup.objects.visible_to(actor).filter(pk=to_group.pk).exists():
        raise PermissionDenied
    chosen = _in_scope(actor=actor, members=members, perm="groups.change_member")
    taken = set(to_group.members.active().values_list("phone", flat=True))
    clashes = [
        m.full_name
        for m in chosen
        if m.is_active and m.phone in taken and m.group_id != to_group.pk
    ]
    if clashes:
        raise ValidationError(
            _("Already active in %(group)s: %(names)s.")
            % {"group": to_group.name, "names": ", ".join(clashes)}
        )
    for member in chosen:
        member.group = to_group
        if member.people_group_id and member.people_group.hamlet_id != to_group.hamlet_id:
            member.people_group = None
        member.full_clean()
        member.save()
    return len(chosen)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


@transaction.atomic
def member_counts_record(*, on: datetime.date | None = None) -> int:
    """Write (or refresh) this month's member count of every group: the growth history.

    Idempotent: run daily, it keeps the current month's row up to date, and the row of a month
    that has ended keeps the figures of its last day. Returns the number of groups counted."""
    on = on or timezone.localdate()
    members = Member.objects.filter(
        Q(left_on__isnull=True) | Q(left_on__gt=on),
        Q(joined_on__isnull=True) | Q(joined_on__lte=on),
    )
    counts = {
        row["group"]: row
        for row in members.order_by()
        .values("group")
        .annotate(
            members=Count("pk"),
            households=Count(HOUSEHOLD, distinct=True, filter=Q(role=Member.Role.HOUSEHOLD)),
        )
    }
    empty = {"members": 0, "households": 0}
    groups = [
        (pk, counts.get(pk, empty)["members"], counts.get(pk, empty)["households"])
        for pk in ZaloGroup.objects.values_list("pk", flat=True)
    ]
    month = month_start(on)
    rows = [MemberCount(group_id=pk, month=month, members=m, households=h) for pk, m, h in groups]
    MemberCount.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["group", "month"],
        update_fields=["members", "households"],
    )
    return len(rows)
