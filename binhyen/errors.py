"""Error pages: the API answers its errors in JSON, like DRF does inside its views.

A URL under /api/ that no route matches (an id the router's pattern refuses, such as "1.5")
never reaches DRF, so Django's HTML page would answer an API client; found by the schema
fuzzing (binhyen/tests/test_api_fuzz.py).

A database that cannot be reached (PostgreSQL restarting, a failover) is not a bug of ours:
the answer is a 503 with "try again shortly", never a 500, and the connection is opened anew
on the next request (CONN_HEALTH_CHECKS); see binhyen/tests/test_faults.py."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults


def _api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return JsonResponse({"detail": _("Bad request.")}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return JsonResponse({"detail": _("You do not have permission to do this.")}, status=403)
    return defaults.permission_denied(request, exception)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 while the database is out of reach. Rendered without a request context: its context
    processors (the user, the session) would query the database that just failed."""
    message = _("The service is briefly unavailable. Please try again in a minute.")
    if _api(request):
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    else:
        page = loader.get_template("503.html").render({"message": message})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = "30"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except` block, so the exception is the one being handled.
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return database_unavailable(request)
    if _api(request):
        return JsonResponse({"detail": _("Server error.")}, status=500)
    return defaults.server_error(request)
