from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import api as accounts_api
from groups.api import router as groups_router
from reports.api import router as reports_router

from .health import healthz

admin.site.site_header = _("Bình Yên administration")
admin.site.site_title = _("Bình Yên administration")
admin.site.index_title = _("Zalo kết nối bình yên")

api_v1 = [
    path("me/", accounts_api.me, name="me"),
    *groups_router.urls,
    *reports_router.urls,
]

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("groups.urls")),
    path("", include("reviews.urls")),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
