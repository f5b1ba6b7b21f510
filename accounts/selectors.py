"""Who can take the next step: the roles and the people of a commune that hold a permission.

A page that waits on someone else names them ("approval: Công an xã — Trần Minh Khang,
Hoàng Thị Lan"), so that nobody is left looking at a status with no way forward. Roles are
read from the database (the groups holding the permission), not from code, so a commune that
gives a permission to another role is shown as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import Group

from groups.access import users_in_commune

from .models import User
from .roles import Role

BACKEND = "accounts.backends.PortalBackend"


@dataclass(frozen=True)
class WhoCan:
    """The role names and the people (names) who hold a permission in one commune."""

    roles: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.roles or self.people)


def roles_with(permission: str) -> list[str]:
    """The names of the roles holding `permission`, as people read them ("Công an xã")."""
    app_label, codename = permission.split(".", 1)
    groups = Group.objects.filter(
        permissions__codename=codename, permissions__content_type__app_label=app_label
    ).values_list("name", flat=True)
    labels = {value: str(label) for value, label in Role.choices}
    return sorted(labels.get(name, name) for name in set(groups))


def who_can(permission: str, commune_id: int | None, *, besides: Iterable[int] = ()) -> WhoCan:
    """The roles holding `permission`, and the active accounts of the commune that hold it
    (through a role or directly), but for the users in `besides` (an author may not approve
    their own bulletin: they are not who the page waits on). Two queries."""
    holders = User.objects.with_perm(permission, include_superusers=False, backend=BACKEND)
    people = (
        users_in_commune(commune_id)
        .filter(pk__in=holders.values("pk"))
        .exclude(pk__in=list(besides))
        .order_by("full_name", "username")
    )
    return WhoCan(
        roles=roles_with(permission),
        people=[str(person) for person in people[:10]],
    )
