"""Django's own limit on this machine, for `make bench`: the same gunicorn, Python and Django
as the portal, serving one view that returns a small constant response, with no middleware, no
session, no database and no template. The floor page's throughput divided by this one's says
what the portal's signed-in floor costs beyond Django itself.

Served with DJANGO_SETTINGS_MODULE=bench.bare (this module is both the settings and the URLs)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from binhyen.settings import ALLOWED_HOSTS, SECRET_KEY  # noqa: F401  the product's host check

DEBUG = False
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict = {}
ROOT_URLCONF = "bench.bare"
USE_I18N = False
LOGGING_CONFIG = None

BODY = b"<!doctype html><title>bare</title><p>ok</p>"


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BODY)


urlpatterns = [path("bench/bare/", bare)]
