"""Who may see what: every scope question of the project is answered here.

- `hamlets_for(user)`: the hamlets a user works on; every register, report and bulletin
  queryset starts from it.
- `communes_for(user)`: the communes a user works in (their own; a superuser all of them).
- `users_for(user)`: the accounts a user may see and, with the right permission, manage (those
  of their own commune; a superuser all of them).
- `users_in_commune(commune_id)`: the active accounts of one commune, the people its
  notifications and assignments concern.

An anonymous or inactive user sees nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from .models import Commune, Hamlet

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def _sees_nothing(user: User | AnonymousUser) -> bool:
    return not user.is_authenticated or not user.is_active


def hamlets_for(user: User | AnonymousUser) -> QuerySet[Hamlet]:
    """Commune-wide roles (permission `groups.view_all_hamlets`) see every hamlet of their own
    commune; everyone else sees the hamlets they are responsible for (`user.hamlets`)."""
    if _sees_nothing(user):
        return Hamlet.objects.none()
    if user.is_superuser:
        return Hamlet.objects.all()
    if user.has_perm("groups.view_all_hamlets"):
        return Hamlet.objects.filter(commune_id=user.commune_id)
    return Hamlet.objects.filter(commune_id=user.commune_id, users=user)


def communes_for(user: User | AnonymousUser) -> QuerySet[Commune]:
    """The user's own commune; a superuser sees every commune."""
    if _sees_nothing(user):
        return Commune.objects.none()
    if user.is_superuser:
        return Commune.objects.all()
    return Commune.objects.filter(pk=user.commune_id)


def users_for(user: User | AnonymousUser) -> QuerySet[User]:
    """The accounts of the user's own commune, active or not (a superuser: every account).
    Which of them the user may also change is decided by accounts.services.may_manage_user."""
    users = get_user_model().objects
    if _sees_nothing(user):
        return users.none()
    if user.is_superuser:
        return users.all()
    if user.commune_id is None:
        return users.none()
    return users.filter(commune_id=user.commune_id)


def users_in_commune(commune_id: int | None) -> QuerySet[User]:
    """The active accounts of a commune: who its notifications and assignments may reach."""
    users = get_user_model().objects
    if commune_id is None:
        return users.none()
    return users.filter(is_active=True, commune_id=commune_id)
