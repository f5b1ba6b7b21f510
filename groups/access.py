"""Who may see which hamlet. Every scoped queryset in the project starts here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from .models import Hamlet

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def hamlets_for(user: User | AnonymousUser) -> QuerySet[Hamlet]:
    """Commune-wide roles (permission `groups.view_all_hamlets`) see every hamlet of their own
    commune; everyone else sees the hamlets they are responsible for (`user.hamlets`)."""
    if not user.is_authenticated or not user.is_active:
        return Hamlet.objects.none()
    if user.is_superuser:
        return Hamlet.objects.all()
    if user.has_perm("groups.view_all_hamlets"):
        return Hamlet.objects.filter(commune_id=user.commune_id)
    return Hamlet.objects.filter(commune_id=user.commune_id, users=user)


def within_one_commune(user: User | AnonymousUser) -> bool:
    """Whether all that `user` may see lies in one commune (everyone but a superuser): small
    enough to read whole, so lists and searches go through the scope first
    (`groups.models.read_in_scope`)."""
    return not user.is_superuser
