"""The permission check of our views: in scope but without the permission is a 403 (out of
scope is a 404, decided by the queryset before this is asked)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def require_perm(request: HttpRequest, perm: str) -> None:
    """Raises PermissionDenied (403) unless the request's user holds `perm`."""
    if not request.user.has_perm(perm):
        raise PermissionDenied
