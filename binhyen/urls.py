from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts_api
from bulletins.api import router as bulletins_router
from groups.api import router as groups_router
from reports.api import router as reports_router

from . import webapp
from .health import healthz

admin.site.site_header = _("Bình Yên administration")
admin.site.site_title = _("Bình Yên administration")
admin.site.index_title = _("Zalo kết nối bình yên")


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico on pages that link no icon (the admin's audit history, a
    file they display): our icon, not a 404. Not permanent: the icon's hashed name changes."""
    return HttpResponseRedirect(static("img/favicon.svg"))


api_v1 = [
    path("me/", accounts_api.me, name="me"),
    *groups_router.urls,
    *reports_router.urls,
    *bulletins_router.urls,
]

urlpatterns = [
    path("", include("dashboards.urls")),
    path("", include("accounts.urls")),
    path("", include("groups.urls")),
    path("tip/", include("reports.tip_urls")),  # anonymous tips: public, no login
    path("", include("reports.urls")),
    path("", include("bulletins.urls")),
    path("", include("reviews.urls")),
    path("healthz", healthz, name="healthz"),
    # The installable web app: from the root, where a service worker's scope is the whole site.
    path("manifest.webmanifest", webapp.manifest, name="manifest"),
    path("sw.js", webapp.service_worker, name="service-worker"),
    path("offline/", webapp.offline, name="offline"),
    path("icons/<int:size>.png", webapp.icon, name="icon"),
    path("icons/maskable-<int:size>.png", webapp.icon, {"maskable": True}, name="icon-maskable"),
    path("favicon.ico", favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file of its own, so the page needs
    # no inline script under the Content-Security-Policy (its inline style moved to our CSS).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
]

handler400 = "binhyen.errors.bad_request"
handler403 = "binhyen.errors.permission_denied"
handler404 = "binhyen.errors.page_not_found"
handler500 = "binhyen.errors.server_error"
