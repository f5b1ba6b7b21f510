"""The framework floor of `make bench`: a signed-in page rendering the base template and
nothing else, so that a page's throughput can be compared with what Django itself costs on the
same machine (bench/province.py loads it around each page)."""

from __future__ import annotations

from functools import cache

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines

FLOOR = """{% extends "base.html" %}
{% load i18n %}
{% block title %}{% translate "Home" %}{% endblock %}
{% block content %}<h1 class="h3">{% translate "Home" %}</h1>{% endblock %}"""


@cache
def floor_template():  # compiled once, as the cached template loader keeps a page's template
    return engines["django"].from_string(FLOOR)


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(floor_template().render({}, request))
