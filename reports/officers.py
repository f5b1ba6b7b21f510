"""The officers a report can be assigned to, and a short cache of their names for the triage
queue's selects (read on every request of a hot page, changed only when users or roles are).

The cached lists are keyed on a version token that any change to what `triagers_for` reads
replaces (a user, their roles, permissions or hamlets, a role's permissions): the next request
reads the database again. A write that bypasses the ORM's signals (a bulk load, raw SQL) is
seen after CACHE_SECONDS at most; the lists only offer choices, and report_assign checks the
chosen officer's permission and scope again, so a stale name cannot be assigned wrongly.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.models import User
from groups.models import Hamlet

VERSION_KEY = "reports:officers:version"
CACHE_SECONDS = 300


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
        User.objects.filter(perm, is_active=True, commune_id=commune_id)
        .filter(Q(pk__in=User.objects.filter(in_scope).values("pk")))
        .distinct()
        .order_by("full_name", "username")
    )


def officer_choices(hamlet_ids: Iterable[int], commune_id: int | None) -> list[tuple[str, str]]:
    """(pk, name) of `triagers_for` the hamlets `hamlet_ids` of the commune, in its order, from
    the cache when the users and roles have not changed since it was filled."""
    ids = sorted(hamlet_ids)
    key = _key(ids, commune_id)
    if key is not None:
        found = cache.get(key)
        if found is not None:
            return found
    officers = triagers_for(ids, commune_id).only("pk", "full_name", "username")
    choices = [(str(user.pk), str(user)) for user in officers]
    if key is not None:
        cache.set(key, choices, CACHE_SECONDS)
    return choices


def _key(hamlet_ids: list[int], commune_id: int | None) -> str | None:
    """The cache key of these hamlets under the current version; None when the cache does
    not answer (Redis down: the caller reads the database, and stores nothing)."""
    version = cache.get(VERSION_KEY)
    if version is None:
        # A new random token, never a counter restarted at 1: entries stored under a version
        # that was evicted must not be found again.
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY)
        if version is None:
            return None
    scope = hashlib.blake2s(",".join(map(str, hamlet_ids)).encode(), digest_size=12).hexdigest()
    return f"reports:officers:{version}:{commune_id}:{scope}"


def forget_officers() -> None:
    """Make every cached list stale: now (the writing request, and tests, read fresh) and
    again on commit (a request that read the old rows before the commit may have stored them
    under the token replaced first)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(VERSION_KEY, uuid.uuid4().hex, None))


# --- what makes the lists stale ------------------------------------------------------------


def _user_saved(sender: type, instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    # A login saves last_login alone: not something the lists show or depend on.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    forget_officers()


def _changed(sender: type, **kwargs: Any) -> None:
    forget_officers()


def connect() -> None:
    """Called from ReportsConfig.ready()."""
    uid = "reports.officers"
    post_save.connect(_user_saved, sender=User, dispatch_uid=f"{uid}.user_saved")
    post_delete.connect(_changed, sender=User, dispatch_uid=f"{uid}.user_deleted")
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
