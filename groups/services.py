"""Writes to the register: every door that writes a row of it calls these services, so that each
rule is written once, here (tried through every door in groups/tests/test_doors.py).

| model       | doors                                             | service                    |
|-------------|---------------------------------------------------|----------------------------|
| Member      | API POST/PUT/PATCH /api/v1/members/               | register_save              |
|             | admin form, inline of a Zalo group                | register_check (in the     |
|             |                                                   | form), register_save       |
|             | admin delete, "delete selected"                   | register_delete            |
|             | admin action "mark as left"                       | member_mark_left           |
|             | admin action "move to group"                      | member_move                |
|             | admin import, `manage.py import_members`          | member_import (importing), |
|             |                                                   | member_import_checked (the |
|             |                                                   | admin's confirmation),     |
|             |                                                   | member_check,              |
|             |                                                   | member_import_save         |
| ZaloGroup   | API /api/v1/groups/, admin form, admin delete     | register_save/_delete      |
| Hamlet      | API PATCH /api/v1/hamlets/, admin form, delete    | register_save/_delete      |
| PeopleGroup | admin form, inline of a hamlet, delete            | register_save/_delete      |
| Commune     | admin (superuser), `seed_demo`                    | none: reference data       |
| MemberCount | task `groups.tasks.record_member_counts`          | member_counts_record       |

The demo and the benchmark's province (`seed_demo`, `seed_scale`) write fixtures in bulk and
are no door for people.

Rules: an active member is never in an archived group (member_check); a people's group belongs
to the group's hamlet and one phone is active once per group (the models' clean() and
constraints, run by full_clean() in every service).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Final

from auditlog.cid import get_cid
from auditlog.context import auditlog_value
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from binhyen import page_cache
from binhyen.audit_diff import InstanceDiff
from binhyen.bulk import bulk_insert

from .access import hamlets_for
from .coverage import HOUSEHOLD
from .models import Hamlet, Member, MemberCount, MemberQuerySet, PeopleGroup, ZaloGroup

# The register's rows (hamlets, people's groups, Zalo groups, members): the topic
# (binhyen.page_cache) of the pages that show them, touched by their signals (groups/apps.py)
# and by the writes that send none.
REGISTER_TOPIC = "register"
REGISTER_MODELS = (Hamlet, PeopleGroup, ZaloGroup, Member)

BATCH_SIZE: Final = 1000  # rows per statement of an import's bulk writes


def _hamlet_id(instance: Hamlet | PeopleGroup | ZaloGroup | Member) -> int | None:
    if isinstance(instance, Hamlet):
        return instance.pk
    if isinstance(instance, Member):
        return instance.group.hamlet_id if instance.group_id else None
    return instance.hamlet_id


def member_check(member: Member, group: ZaloGroup | None = None) -> None:
    """The rules of a membership, whatever the door: an active member cannot be in an archived
    group (archiving is how a group is closed: it takes no members, by a new row, a move or a
    return). `group` is the member's group as it stands now when the caller holds it (the
    import, the admin's inline): no query. Raises ValidationError."""
    group = group or (member.group if member.group_id else None)
    if group is not None and member.is_active and group.status == ZaloGroup.Status.ARCHIVED:
        raise ValidationError(
            {"group": _("This group is archived: it takes no members.")}, code="archived"
        )


def register_check(instance: Hamlet | PeopleGroup | ZaloGroup | Member) -> None:
    """The business rules of one row of the register (the model's clean() holds the rest)."""
    if isinstance(instance, Member):
        member_check(instance)


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
    register_check(instance)
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def register_delete(*, actor: User, instance: Hamlet | PeopleGroup | ZaloGroup | Member) -> None:
    """Delete one row of the register for `actor`, who needs the model permission and the row's
    hamlet in scope. (A member who leaves is marked with member_mark_left: deleting is for a row
    entered by mistake; a row others depend on is protected by the database.)"""
    if not actor.has_perm(f"groups.delete_{instance._meta.model_name}"):
        raise PermissionDenied
    hamlet_id = _hamlet_id(instance)
    if hamlet_id is not None and not hamlets_for(actor).filter(pk=hamlet_id).exists():
        raise PermissionDenied
    instance.delete()


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
    is cleared. Refuses when a moved phone is already active in the target group, and an active
    member's move into an archived group (member_check)."""
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
        member_check(member, to_group)
        member.full_clean()
        member.save()
    return len(chosen)


# Fields whose every change (set, change or clear) on a stored member an import makes only with
# the importer's explicit confirmation: the date of consent is the legal ground for keeping a
# person's data, and a spreadsheet edited by hand is an easy way to alter it unnoticed.
CONFIRMED_FIELDS: Final = ("consent_on",)


def _is_empty(value: object) -> bool:
    return value is None or value == ""


def member_removed_fields(before: Member, after: Member) -> list[str]:
    """The names of the fields whose stored value `after` removes (a value becomes empty)."""
    return [
        f.name
        for f in Member._meta.concrete_fields
        if f.editable
        and _is_empty(getattr(after, f.attname))
        and not _is_empty(getattr(before, f.attname))
    ]


def member_changes_to_confirm(before: Member | None, after: Member) -> list[str]:
    """The fields that an import changes on a stored member only with the importer's
    confirmation: every value it removes, and any change of CONFIRMED_FIELDS. A new member
    (`before` None) removes nothing."""
    if before is None:
        return []
    removed = member_removed_fields(before, after)
    changed = [
        name
        for name in CONFIRMED_FIELDS
        if name not in removed and getattr(before, name) != getattr(after, name)
    ]
    return removed + changed


@transaction.atomic
def member_import_save(
    *,
    actor: User | None,
    plan: list[tuple[Member | None, Member]],
    source: str,
    confirmed: bool = False,
) -> None:
    """Save an import's checked rows (groups.importing.member_import), all or nothing: each
    row's state before (None for a new member) and the state to save. The rules of every door
    are checked again here (member_check), against the groups as they stand now, locked until
    the end: a group archived since the rows were checked refuses the whole import. The rows are
    written in bulk (a file can hold thousands), with the audit entries auditlog's signals
    would have written, recording `actor` and `source`.

    A row that removes a stored value or changes a consent date (member_changes_to_confirm)
    is saved only when the importer `confirmed` it: otherwise nothing is saved."""
    if not confirmed and any(member_changes_to_confirm(before, after) for before, after in plan):
        raise ValidationError(
            _(
                "This import removes stored values or changes consent dates, and that was not "
                "confirmed. Nothing was saved."
            ),
            code="unconfirmed",
        )
    groups = ZaloGroup.objects.select_for_update().in_bulk({m.group_id for _b, m in plan})
    refused = []
    for _before, after in plan:
        if after.group_id not in groups:
            continue  # deleted meanwhile: the bulk write's integrity error says so below
        try:
            member_check(after, groups[after.group_id])
        except ValidationError:
            refused.append(after.full_name)
    if refused:
        raise ValidationError(
            _("A group was archived meanwhile: it takes no members (%(names)s). Check it again.")
            % {"names": ", ".join(refused[:10])}
        )
    now = timezone.now()
    created = [after for before, after in plan if before is None]
    updated = [after for before, after in plan if before is not None]
    fields = {"name_key", "household_key", "updated_at"}
    for before, after in plan:
        after.normalize()  # the bulk writes below skip save()
        after.updated_at = now
        if before is not None:
            fields |= {f.name for f in Member._meta.concrete_fields if _differs(before, after, f)}
    try:
        with transaction.atomic():
            bulk_insert(created, batch_size=BATCH_SIZE)  # COPY on PostgreSQL
            Member.objects.bulk_update(updated, sorted(fields), batch_size=BATCH_SIZE // 2)
            bulk_insert(
                list(_audit_entries(actor=actor, plan=plan, source=source, when=now)),
                batch_size=BATCH_SIZE,
            )
    except IntegrityError as exc:  # someone changed the same members meanwhile
        raise ValidationError(
            _("The register changed while the file was being imported. Check it again.")
        ) from exc
    page_cache.touch(REGISTER_TOPIC)  # the bulk writes above send no model signals


def _differs(before: Member, after: Member, model_field: models.Field) -> bool:
    return getattr(before, model_field.attname) != getattr(after, model_field.attname)


def _audit_entries(
    *,
    actor: User | None,
    plan: list[tuple[Member | None, Member]],
    source: str,
    when: datetime.datetime,
) -> Iterator[LogEntry]:
    """The entries auditlog's signals would have written, which bulk writes do not send."""
    changes = InstanceDiff(Member).diff  # model_instance_diff's result, faster for many rows
    context = auditlog_value.get({})  # set by AuditlogMiddleware during a request
    fields = LogEntry._meta.concrete_fields
    common = {f.attname: f.get_default() for f in fields} | {
        "content_type_id": ContentType.objects.get_for_model(Member).pk,
        "actor_id": actor.pk if actor else None,
        "actor_email": getattr(actor, "email", None) or None,
        "cid": get_cid(),
        "remote_addr": context.get("remote_addr"),
        "timestamp": when,
        # with the task or command that ran the import (accounts.audit.audit_origin), if one did
        "additional_data": {**(context.get("additional_data") or {}), "import": source}
        if source
        else context.get("additional_data"),
    }
    for before, after in plan:
        values = common | {
            "object_pk": str(after.pk),
            "object_id": after.pk,
            "object_repr": str(after),
            "action": LogEntry.Action.CREATE if before is None else LogEntry.Action.UPDATE,
            "changes": changes(before, after),
        }
        # every field's value in order: a third of the time of keyword arguments
        yield LogEntry(*(values[f.attname] for f in fields))


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
