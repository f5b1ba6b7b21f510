"""The officers a report can be assigned to, and a short cache of what the triage queue's
filters list (read on every request of a hot page, changed only when users, roles or hamlets
are): the hamlets of the user's scope and the officers assignable in them.

An entry holds the version token it was read under; any change to what `hamlets_for` and
`triagers_for` read (a user, their roles, permissions or hamlets, a role's permissions, a
hamlet) replaces the token, and the next request reads the database again. A write that
bypasses the ORM's signals (a bulk load, raw SQL) is seen after page_cache.MAX_AGE at most. The
lists only offer choices and names: the reports shown are read through visible_to, a hamlet
chosen is checked against the scope itself, and report_assign checks the chosen officer's
permission and scope again, so a stale entry can neither show nor assign anything wrongly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.models import User
from binhyen import page_cache
from groups.access import hamlets_for, users_in_commune
from groups.models import Hamlet

# Users, their roles, permissions and hamlets, the hamlets' names: the topic (binhyen.page_cache)
# of the pages that show people's names or a scope's hamlets.
TOPIC = "people"
VERSION_KEY = page_cache.topic_key(TOPIC)


def triagers_for(hamlets: QuerySet[Hamlet] | list[int], commune_id: int | None) -> QuerySet[User]:
    """Active users of the commune who may triage (through a role or directly): the officers a
    report can be assigned to. The service checks each one's scope again."""
    perm = Q(
        groups__permissions__codename="triage_report",
        groups__permissions__content_type__app_label="reports",
    ) | Q(
        user_permissions__codename="triage_report",
        user_permissions__content_type__app_label="reports",
    )
    commune_wide = Q(
        groups__permissions__codename="view_all_hamlets",
        groups__permissions__content_type__app_label="groups",
    )
    in_scope = commune_wide | Q(hamlets__in=hamlets)
    return (
        users_in_commune(commune_id)
        .filter(perm)
        .filter(Q(pk__in=User.objects.filter(in_scope).values("pk")))
        .distinct()
        .order_by("full_name", "username")
    )


@dataclass(frozen=True)
class QueueChoices:
    """What the queue's filters offer a user: the hamlets of their scope (hamlets_for, pk →
    name, by name) and the officers assignable in them ((pk, name) of triagers_for)."""

    hamlets: dict[int, str]
    officers: list[tuple[str, str]]


def queue_choices(user: User) -> QueueChoices:
    """The user's QueueChoices, from the cache while nothing they depend on has changed (the
    "people" topic; binhyen.page_cache.kept)."""

    def read() -> tuple[tuple, None]:
        choices = _read(user)
        # Plain values, not the class: an entry stays readable whatever the code becomes.
        return (choices.hamlets, choices.officers), None

    return QueueChoices(*page_cache.kept(f"reports:queue-choices:v2:{user.pk}", [TOPIC], read))


def _read(user: User) -> QueueChoices:
    hamlets = dict(hamlets_for(user).order_by("name").values_list("pk", "name"))
    officers = triagers_for(list(hamlets), user.commune_id).only("pk", "full_name", "username")
    return QueueChoices(hamlets, [(str(officer.pk), str(officer)) for officer in officers])


def forget_queue_choices() -> None:
    """Make every cached entry stale (and every page kept with the "people" topic)."""
    page_cache.touch(TOPIC)


# --- what makes the lists stale ------------------------------------------------------------


def _user_saved(sender: type, instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    # A login saves last_login alone: not something the lists show or depend on.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    forget_queue_choices()


def _changed(sender: type, **kwargs: Any) -> None:
    forget_queue_choices()


def connect() -> None:
    """Called from ReportsConfig.ready()."""
    uid = "reports.officers"
    post_save.connect(_user_saved, sender=User, dispatch_uid=f"{uid}.user_saved")
    post_delete.connect(_changed, sender=User, dispatch_uid=f"{uid}.user_deleted")
    # A hamlet added, renamed, moved or removed: the scope's list of names.
    post_save.connect(_changed, sender=Hamlet, dispatch_uid=f"{uid}.hamlet_saved")
    post_delete.connect(_changed, sender=Hamlet, dispatch_uid=f"{uid}.hamlet_deleted")
    # Deleting a role or a permission removes its links without an m2m_changed signal.
    for model in (Group, Permission):
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}.{model.__name__}")
    for through in (
        User.groups.through,
        User.user_permissions.through,
        User.hamlets.through,
        Group.permissions.through,
    ):
        m2m_changed.connect(_changed, sender=through, dispatch_uid=f"{uid}.{through.__name__}")
