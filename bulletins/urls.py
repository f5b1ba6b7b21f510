from django.urls import path

from . import views

app_name = "bulletins"

# HTML pages of bulletins, the posting checklist, the guide library and the question log.
urlpatterns = [
    path("bulletins/", views.bulletin_list, name="bulletin-list"),
    path("bulletins/new/", views.bulletin_create_view, name="bulletin-create"),
    path("bulletins/<int:bulletin_id>/", views.bulletin_detail, name="bulletin-detail"),
    path("bulletins/<int:bulletin_id>/edit/", views.bulletin_edit, name="bulletin-edit"),
    path(
        "bulletins/<int:bulletin_id>/transition/",
        views.bulletin_transition_view,
        name="bulletin-transition",
    ),
    path("bulletins/<int:bulletin_id>/images/", views.bulletin_image_upload, name="image-upload"),
    path("bulletins/images/<int:image_id>/", views.bulletin_image, name="image"),
    path("checklist/", views.checklist, name="checklist"),
    path("postings/<int:posting_id>/posted/", views.posting_posted, name="posting-posted"),
    path("postings/<int:posting_id>/skip/", views.posting_skipped, name="posting-skip"),
    path("postings/<int:posting_id>/proof/", views.posting_proof, name="posting-proof"),
    path("postings/progress/", views.progress, name="progress"),
    path("guides/", views.guide_list, name="guide-list"),
    path("guides/<int:guide_id>/", views.guide_detail, name="guide-detail"),
    path("questions/", views.question_log, name="questions"),
]
