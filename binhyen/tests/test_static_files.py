"""Static files as a deployed worker serves them: WhiteNoise's index built once at start-up (the
tests otherwise run with WHITENOISE_AUTOREFRESH, which looks each file up when asked)."""

from __future__ import annotations

from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from whitenoise.middleware import WhiteNoiseMiddleware


def _not_static(request) -> HttpResponse:
    return HttpResponse("the portal", status=404)


def served(path: str, **headers) -> HttpResponse:
    with override_settings(WHITENOISE_AUTOREFRESH=False):
        middleware = WhiteNoiseMiddleware(_not_static)
    return middleware(RequestFactory().get(path, **headers))


def test_a_hashed_file_is_served_compressed_and_cached_for_a_year() -> None:
    url = staticfiles_storage.url("css/binhyen.css")
    assert url != "/static/css/binhyen.css"  # the manifest names it by its content
    response = served(url, HTTP_ACCEPT_ENCODING="gzip, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] in ("gzip", "br")
    assert (
        "immutable" in response["Cache-Control"]
        and "max-age=315360000" in response["Cache-Control"]
    )


def test_an_unhashed_name_is_served_briefly_cached_and_a_missing_file_is_the_portals() -> None:
    response = served("/static/css/binhyen.css")
    assert response.status_code == 200 and "immutable" not in response.get("Cache-Control", "")
    assert served("/static/css/no-such-file.css").content == b"the portal"
