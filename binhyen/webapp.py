"""The portal as an installable web app: its manifest, its service worker, its offline page and
its icons (drawn from our own SVG, static/img/favicon.svg). The worker also shows the portal's
Web Push notifications (accounts/push.py) and opens their page when one is tapped.

The service worker keeps only what is the same for everyone: the offline page and the static
files. It never stores a page: pages hold reports, rosters and names, and a phone can be lost.
It serves pages from the network, and the offline page when there is none. The anonymous tip
pages neither link the manifest nor register the worker: they leave nothing on a tipster's
phone (see reports/tips).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.roles import Role

THEME_COLOR = "#0d6efd"  # the shield's blue (Bootstrap's primary)
ICON_SIZES = (180, 192, 512)  # 180: iOS's home screen; 192 and 512: Android's
# What the worker keeps for offline use: the offline page's own files.
OFFLINE_ASSETS = (
    "vendor/bootstrap/css/bootstrap.min.css",
    "vendor/bootstrap-icons/bootstrap-icons.min.css",
    "css/binhyen.css",
    "img/favicon.svg",
)


def start_url(user: object) -> str:
    """Where the installed app opens: each role's daily page."""
    role = getattr(user, "primary_role", None) if getattr(user, "is_authenticated", False) else None
    if role == Role.HAMLET_HEAD:
        return reverse("reports:report-list")
    if role == Role.AREA_OFFICER:
        return reverse("bulletins:checklist")
    return reverse("home")


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest, in Vietnamese (the language of the portal's users)."""
    with translation.override(settings.LANGUAGE_CODE):
        data = {
            "id": "/",
            "name": _("Bình Yên — Zalo kết nối bình yên"),
            "short_name": _("Bình Yên"),
            "description": _("Administration of the “Zalo kết nối bình yên” model"),
            "lang": settings.LANGUAGE_CODE,
            "dir": "ltr",
            "start_url": start_url(request.user),
            "scope": "/",
            "display": "standalone",
            "orientation": "any",
            "background_color": "#ffffff",
            "theme_color": THEME_COLOR,
            "icons": [
                *(
                    {
                        "src": reverse("icon", args=[size]),
                        "sizes": f"{size}x{size}",
                        "type": "image/png",
                        "purpose": "any",
                    }
                    for size in ICON_SIZES[1:]
                ),
                {
                    "src": reverse("icon-maskable", args=[512]),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
            ],
        }
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type="application/manifest+json"
    )
    patch_cache_control(response, private=True, no_cache=True)  # its start URL is the user's
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, from the site's root so that its scope is the whole portal."""
    assets = [static(name) for name in OFFLINE_ASSETS]
    offline_url = reverse("offline")
    version = hashlib.sha256(json.dumps([offline_url, *assets]).encode()).hexdigest()[:12]
    context = {
        "version": version,
        "offline_url": offline_url,
        "assets": json.dumps([offline_url, *assets]),
        "static_prefix": settings.STATIC_URL
        if settings.STATIC_URL.startswith("/")
        else "/" + settings.STATIC_URL,
        # What a push shows (accounts/push.py), the title when a payload has none.
        "icon_url": reverse("icon", args=[192]),
        "draft_store_url": static("js/draft-store.js"),  # the drafts' store, shared with pages
    }
    with translation.override(settings.LANGUAGE_CODE):
        context["push_title"] = json.dumps(str(_("Bình Yên")), ensure_ascii=False)
    response = render(request, "webapp/sw.js", context, content_type="text/javascript")
    # Browsers check for a new worker at most once a day anyway; never keep it longer.
    patch_cache_control(response, no_cache=True)
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """What the installed app shows without a connection: the same for everyone (it is kept on
    the phone), so it names nobody and shows no data."""
    with translation.override(settings.LANGUAGE_CODE):
        return render(request, "webapp/offline.html")


@require_GET
def icon(request: HttpRequest, size: int, maskable: bool = False) -> HttpResponse:
    if size not in ICON_SIZES:
        raise Http404
    response = HttpResponse(_icon_png(size, maskable), content_type="image/png")
    patch_cache_control(response, public=True, max_age=7 * 24 * 3600)
    return response


@cache
def _icon_png(size: int, maskable: bool) -> bytes:
    """Our shield at `size` pixels. A maskable icon keeps it inside the central 80 % (the safe
    zone a launcher may crop to a circle) on a white square."""
    import cairosvg  # only the few requests for an icon need it, not every worker's memory

    svg = finders.find("img/favicon.svg")
    if not maskable:
        return cairosvg.svg2png(url=svg, output_width=size, output_height=size)
    inner = round(size * 0.6)
    shield = cairosvg.svg2png(url=svg, output_width=inner, output_height=inner)
    return _on_white(shield, size, inner)


def _on_white(png: bytes, size: int, inner: int) -> bytes:
    import io

    from PIL import Image

    canvas = Image.new("RGBA", (size, size), "white")
    shield = Image.open(io.BytesIO(png)).convert("RGBA")
    offset = (size - inner) // 2
    canvas.alpha_composite(shield, (offset, offset))
    output = io.BytesIO()
    canvas.convert("RGB").save(output, format="PNG", optimize=True)
    return output.getvalue()
