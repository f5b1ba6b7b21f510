"""The least a signed-in Django page costs on this machine, for `make bench`: the product's
database, apps, user model, sessions and secret, but Django's own middleware (as `startproject`
writes it) and one small template with the signed-in user's name and a logout form. No CSP,
second factor, inactivity check, audit, lockout, language or navigation.

Between bare Django (bench/bare.py: no session, no database) and the portal's floor, it says
how much of the distance is Django's own signed-in machinery (a database session and the user,
two queries) and how much is ours.

Served with DJANGO_SETTINGS_MODULE=bench.stock (this module is both the settings and the URLs),
with the floor persona's session cookie."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from binhyen.settings import *  # noqa: F403  the product's database, apps, user model, sessions

ROOT_URLCONF = "bench.stock"
LOGIN_URL = "/login/"  # the product's login page, which this server does not serve
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>stock</title></head>
<body><p>{{ user.get_username }}</p>
<form method="post" action="/logout/">{% csrf_token %}<button>Log out</button></form>
</body></html>"""
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {
            # startproject's context processors
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "loaders": [("django.template.loaders.locmem.Loader", {"stock.html": PAGE})],
        },
    }
]


@login_required
def stock(request: HttpRequest) -> HttpResponse:
    return render(request, "stock.html")


urlpatterns = [path("bench/stock/", stock)]
