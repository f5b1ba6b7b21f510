"""Session rules applied to every request: inactivity expiry and the second factor."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import is_verified
from django_otp.models import Device

from .access import access_of
from .models import User
from .services import has_confirmed_device, requires_two_factor

LAST_SEEN_KEY = "_last_seen"
WRITE_MARK_SECONDS = 3600  # longer than anything keyed by it is cached
STARTED_KEY = "_started"
# Set at login for a user who enrolled a second factor without having to: they verify it too.
ENROLLED_KEY = "_two_factor_enrolled"
# Pages a signed-in user who still owes the second factor may open.
TWO_FACTOR_OPEN = {
    "logout",
    "healthz",
    "set_language",
    "two-factor-setup",
    "two-factor-verify",
    "two-factor-recovery",
    "admin:logout",
    "admin:jsi18n",
}


def second_factor_owed(request: HttpRequest) -> bool:
    """Whether the signed-in user must still pass the second factor in this session (who needs
    it, or enrolled one): until then the middleware opens them only TWO_FACTOR_OPEN, and the
    pages show them no navigation (accounts.context_processors.second_factor)."""
    user = request.user
    return bool(
        user.is_authenticated
        and not user.is_verified()
        and (request.session.get(ENROLLED_KEY) or requires_two_factor(user))
    )


def session_started(sender: object, request: HttpRequest, user: object, **kwargs: object) -> None:
    """At login, the session's start and last request are now (saved with the login itself)."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[STARTED_KEY] = now
        request.session[LAST_SEEN_KEY] = now
        if has_confirmed_device(user):
            request.session[ENROLLED_KEY] = True


class InactivityTimeoutMiddleware:
    """Ends a session after SESSION_INACTIVITY_SECONDS without a request (sliding), and in any
    case SESSION_COOKIE_AGE after it began (absolute: Django's own expiry restarts whenever the
    session is saved). The last request's time is saved at most once a minute, so a busy page
    does not write the session row each time. After the logout the request goes on as anonymous:
    pages send it to the login, the API answers 401."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            last_seen = session.get(LAST_SEEN_KEY)
            started = session.get(STARTED_KEY)
            if (
                last_seen is not None and now - last_seen > settings.SESSION_INACTIVITY_SECONDS
            ) or (started is not None and now - started > settings.SESSION_COOKIE_AGE):
                logout(request)
            else:
                if started is None:
                    session[STARTED_KEY] = now
                if last_seen is None or now - last_seen >= 60:
                    session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class VerifiedDeviceMiddleware:
    """django-otp's OTPMiddleware (`user.otp_device`, `user.is_verified()`), except that whether
    the session's device is still one of the user's confirmed devices is read from their cached
    access (accounts/access.py) instead of the database on every request. Resetting or deleting
    a device moves the user's access version: the next request finds the device gone, drops it
    from the session and is no longer verified. The device itself is loaded only if someone
    reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None:
            request.user = SimpleLazyObject(functools.partial(self._verified, request, user))
        return self.get_response(request)

    @staticmethod
    def _verified(request: HttpRequest, user: User) -> User:
        user.otp_device = None
        user.is_verified = functools.partial(is_verified, user)
        if user.is_authenticated:
            persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
            if persistent_id in access_of(user).devices:
                user.otp_device = SimpleLazyObject(
                    functools.partial(Device.from_persistent_id, persistent_id)
                )
            elif persistent_id is not None:
                del request.session[DEVICE_ID_SESSION_KEY]
        return user


class TwoFactorMiddleware:
    """A signed-in user whose permissions require two-factor authentication and whose session
    is not verified reaches nothing but enrolment, verification and logout: pages are sent there,
    the API answers 403 (the admin included). API tokens are checked in accounts.authentication."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            not request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/"))
            and second_factor_owed(request)
            and self._url_name(request) not in TWO_FACTOR_OPEN
        ):
            if request.path_info.startswith("/api/"):
                detail = _("Two-factor authentication is required: verify this session first.")
                return JsonResponse({"detail": detail}, status=403)
            target = "two-factor-verify" if has_confirmed_device(user) else "two-factor-setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _url_name(request: HttpRequest) -> str | None:
        try:
            return resolve(request.path_info).view_name
        except Resolver404:
            return None


def wrote_mark(user: User) -> int:
    """When the user last wrote something over HTTP (0: not lately): part of the key of what
    is cached of their reads, so that a page never shows them figures older than their own
    last change (they file a report, the dashboard counts it on the next request)."""
    return cache.get(f"wrote:{user.pk}", 0)


class WriteMarkMiddleware:
    """After a write by a signed-in user (a method other than GET/HEAD/OPTIONS answered below
    400, from a page, the API or the admin), moves their write mark (wrote_mark)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD", "OPTIONS") and response.status_code < 400:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                cache.set(f"wrote:{user.pk}", time.time_ns(), WRITE_MARK_SECONDS)
        return response
