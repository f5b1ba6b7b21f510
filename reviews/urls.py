from django.urls import path, re_path

from . import views

app_name = "reviews"

# The yearly review: list, a review's page, its documents, commendations, safety assessment.
urlpatterns = [
    path("reviews/", views.review_list, name="list"),
    path("reviews/new/", views.review_create, name="create"),
    path("reviews/<int:review_id>/", views.review_detail, name="detail"),
    path("reviews/<int:review_id>/edit/", views.review_edit, name="edit"),
    path("reviews/<int:review_id>/build/", views.review_build, name="build"),
    path("reviews/<int:review_id>/refresh/", views.review_refresh, name="refresh"),
    path("reviews/<int:review_id>/finalise/", views.review_finalise, name="finalise"),
    path(
        "reviews/<int:review_id>/commendations/new/",
        views.commendation_create,
        name="commendation-create",
    ),
    path(
        "reviews/commendations/<int:commendation_id>/decide/",
        views.commendation_decide,
        name="commendation-decide",
    ),
    path("reviews/safety/<int:assessment_id>/", views.safety_assessment, name="safety"),
    path("reviews/builds/<int:build_id>/status/", views.build_status, name="build-status"),
    re_path(
        r"^reviews/builds/(?P<build_id>[0-9]+)/download\.(?P<fmt>pdf|docx|xlsx)$",
        views.build_download,
        name="download",
    ),
]
