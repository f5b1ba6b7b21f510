"""The public pages of anonymous tips (no login), included at /tip/ by binhyen/urls.py."""

from django.urls import path

from .tips import views

app_name = "tips"

urlpatterns = [
    path("track/", views.tip_track, name="track"),
    path("<str:commune_code>/", views.tip_new, name="new"),
    path("<str:commune_code>/qr.svg", views.tip_qr, name="qr"),
]
