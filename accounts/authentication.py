"""API authentication with the second factor taken into account."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .audit import audit_actor_set
from .models import User
from .services import api_token_touch, has_confirmed_device, requires_two_factor


class TwoFactorTokenAuthentication(TokenAuthentication):
    """A token is a long random secret held by a program, not a password typed by a person, so
    it stands in for a verified session. But the account must have enrolled a second factor
    first: a token made for a police account before its owner set up 2FA works only once they
    have (so that no one can keep using an account that never proved its second factor).
    Session calls to the API need a verified session (accounts.middleware.TwoFactorMiddleware)."""

    def authenticate_credentials(self, key: str) -> tuple[User, object]:
        user, token = super().authenticate_credentials(key)
        # A token stops working API_TOKEN_TTL_DAYS after it was made (a leaked one is not
        # good forever); the owner asks for a new one.
        if token.created < timezone.now() - timedelta(days=settings.API_TOKEN_TTL_DAYS):
            raise exceptions.AuthenticationFailed(_("This token has expired."))
        if requires_two_factor(user) and not has_confirmed_device(user):
            raise exceptions.AuthenticationFailed(
                _("This account must set up two-factor authentication before using a token.")
            )
        # AuditlogMiddleware read request.user before DRF authenticated the token: the changes
        # this request makes are the token owner's, not the system's.
        audit_actor_set(user)
        api_token_touch(user=user)  # shown to the owner on their token page
        return user, token
