"""The framework floor of `make bench`: a signed-in page rendering the base template and
nothing else, so that a page's throughput can be compared with what Django itself costs on the
same machine (bench/province.py loads it around each page)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    return render(request, "bench/floor.html")
