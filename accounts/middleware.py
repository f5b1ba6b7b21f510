"""Session rules applied to every request: inactivity expiry and the second factor."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from .services import has_confirmed_device, requires_two_factor

LAST_SEEN_KEY = "_last_seen"
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
