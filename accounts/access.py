"""What every signed-in request reads of its user beyond the user row, cached per version.

A page needs the user's permissions (two queries in Django's ModelBackend), their roles (the
groups), the second-factor device their session was verified with, and their unread
notifications. None of these changes between most requests, so each is kept in a cache of the
worker's own memory under a key holding a version read from the user's row, which every
request loads anyway (`User.access_version`, `User.inbox_version`). Whatever changes one of
them moves the version in the same transaction, so the very next request, in any worker,
misses the cache and reads the database again:

- roles and permissions: adding or removing a user's groups or permissions, or a group's
  permissions, in the admin, a service or a shell (the m2m signals below);
- devices: enrolling, confirming, resetting or deleting a second factor (device save/delete);
- notifications: inserting them and marking them read (accounts.services).

The navigation's menu, which depends on nothing but the permissions, the staff flag and the
language, is drawn once per worker under `menu_key` (a digest of the permissions) and reused
by every user who holds the same (templates/includes/nav.html, the "fragments" cache).

Deactivating a user or logging out needs none of it: the user row and the session are read
on every request. The cache is local memory on purpose: the versions make it right in every
worker, and a network cache would cost the round trip it saves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.core.cache import caches
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

if TYPE_CHECKING:
    from .models import User

CACHE = "access"
SECONDS = 3600  # an idle user's entry goes; a changed one is never read again anyway


@dataclass(frozen=True)
class Access:
    user_permissions: frozenset[str]
    group_permissions: frozenset[str]
    group_names: frozenset[str]
    devices: frozenset[str]  # persistent ids of the user's confirmed second-factor devices
    # Names every set of permissions: users holding the same see the same navigation.
    permissions_digest: str = field(init=False)

    def __post_init__(self) -> None:
        every = sorted(self.user_permissions | self.group_permissions)
        digest = hashlib.blake2b("\n".join(every).encode(), digest_size=12).hexdigest()
        object.__setattr__(self, "permissions_digest", digest)


def _key(kind: str, user: User, version: int) -> str:
    """A user's entry: their pk can come back after a deletion (SQLite reuses the highest),
    and their version with it, but not the moment they were created."""
    return f"{kind}:{user.pk}:{user.date_joined.timestamp()}:{version}"


def access_of(user: User) -> Access:
    """The user's permissions, roles and devices, read once per version."""
    key = _key("access", user, user.access_version)
    cache = caches[CACHE]
    found = cache.get(key)
    if found is None:
        found = _read(user)
        cache.set(key, found, SECONDS)
    return found


def _read(user: User) -> Access:
    from django_otp import devices_for_user

    backend = ModelBackend()
    return Access(
        user_permissions=frozenset(backend.get_user_permissions(user)),
        group_permissions=frozenset(backend.get_group_permissions(user)),
        group_names=frozenset(user.groups.values_list("name", flat=True)),
        devices=frozenset(device.persistent_id for device in devices_for_user(user)),
    )


def menu_key(user: User) -> str:
    """What the navigation's menu depends on besides the language: the user's permissions and
    staff status (templates/includes/nav.html caches the menu under it)."""
    return f"{access_of(user).permissions_digest}:{user.is_staff:d}{user.is_superuser:d}"


def unread_count(user: User) -> int:
    """The user's unread notifications, counted once per inbox version."""
    key = _key("unread", user, user.inbox_version)
    cache = caches[CACHE]
    found = cache.get(key)
    if found is None:
        found = user.notifications.unread().count()
        cache.set(key, found, SECONDS)
    return found


# --- what moves the versions -------------------------------------------------------------------


def access_changed(user_ids: Iterable[int]) -> None:
    from .models import User

    User.objects.filter(pk__in=list(user_ids)).update(access_version=F("access_version") + 1)


def inbox_changed(user_ids: Iterable[int]) -> None:
    from .models import User

    User.objects.filter(pk__in=list(user_ids)).update(inbox_version=F("inbox_version") + 1)


def _members_of(groups: Iterable[int]) -> list[int]:
    from .models import User

    return list(User.objects.filter(groups__in=list(groups)).values_list("pk", flat=True))


def _user_relation_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """user.groups or user.user_permissions changed, from either side (group.user_set…)."""
    if not reverse and action in ("post_add", "post_remove", "post_clear"):
        access_changed([instance.pk])
    elif reverse and action in ("post_add", "post_remove"):
        access_changed(pk_set or [])
    elif reverse and action == "pre_clear":  # who holds it, before it empties
        access_changed(instance.user_set.values_list("pk", flat=True))


def _group_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """group.permissions changed, from either side (permission.group_set…)."""
    if not reverse and action in ("post_add", "post_remove", "post_clear"):
        access_changed(_members_of([instance.pk]))
    elif reverse and action in ("post_add", "post_remove"):
        access_changed(_members_of(pk_set or []))
    elif reverse and action == "pre_clear":
        access_changed(_members_of(instance.group_set.values_list("pk", flat=True)))


def _group_deleted(sender, instance: Group, **kwargs) -> None:
    access_changed(_members_of([instance.pk]))


def _permission_deleted(sender, instance: Permission, **kwargs) -> None:
    from .models import User

    User.objects.update(access_version=F("access_version") + 1)


def _device_changed(sender, instance, **kwargs) -> None:
    if instance.user_id:
        access_changed([instance.user_id])


def connect() -> None:
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .models import User

    for relation in (User.groups.through, User.user_permissions.through):
        m2m_changed.connect(_user_relation_changed, sender=relation, dispatch_uid=str(relation))
    m2m_changed.connect(
        _group_permissions_changed, sender=Group.permissions.through, dispatch_uid="group-perms"
    )
    pre_delete.connect(_group_deleted, sender=Group, dispatch_uid="group-deleted")
    post_delete.connect(_permission_deleted, sender=Permission, dispatch_uid="perm-deleted")
    for model in (TOTPDevice, StaticDevice):
        post_save.connect(_device_changed, sender=model, dispatch_uid=f"{model.__name__}-saved")
        post_delete.connect(_device_changed, sender=model, dispatch_uid=f"{model.__name__}-gone")
