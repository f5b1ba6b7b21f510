from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .access import access_of
from .models import User


class PortalBackend(ModelBackend):
    """The standard backend, except that the published demo password works only with DEBUG on
    (a production server that was seeded by mistake still lets nobody in with it), and that a
    user's permissions are read once per version of them (accounts/access.py), not twice per
    request."""

    def get_user_permissions(self, user_obj: User, obj: object = None) -> set[str]:
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return super().get_user_permissions(user_obj, obj)
        return set(access_of(user_obj).user_permissions)

    def get_group_permissions(self, user_obj: User, obj: object = None) -> set[str]:
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return super().get_group_permissions(user_obj, obj)
        return set(access_of(user_obj).group_permissions)

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: object,
    ) -> User | None:
        if not settings.DEBUG and password == settings.DEMO_PASSWORD:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login made over HTTP (the portal's and the admin's
    login forms). A call without a request (`Client.login`, a shell) has no address to count
    failures against, so it is left to the next backend instead of failing."""

    def authenticate(self, request: HttpRequest | None, *args: object, **kwargs: object) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


def lockout_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """Usernames are counted case-insensitively and trimmed, so that "CongAn " and "congan" are
    one account's failures (the login form is case-sensitive, a guesser need not be)."""
    username = (credentials or {}).get("username")
    if username is None:
        username = request.POST.get("username")
    return username.strip().lower() if isinstance(username, str) else username


def client_ip(request: HttpRequest) -> str:
    """The address failures are counted against. Behind the HTTPS proxy (BEHIND_HTTPS_PROXY) it
    is the one the proxy appended last to X-Forwarded-For; anything before it is the client's own
    claim and could be forged to escape the lockout."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "")
