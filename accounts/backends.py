from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .models import User


class PortalBackend(ModelBackend):
    """The standard backend, except that the published demo password works only with DEBUG on:
    a production server that was seeded by mistake still lets nobody in with it."""

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
