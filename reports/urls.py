from django.urls import path

from . import views

app_name = "reports"

# HTML pages of incident reports (the API is in reports/api.py).
urlpatterns = [
    path("reports/", views.report_list, name="report-list"),
    path("reports/new/", views.report_create_page, name="report-create"),
    path("reports/figures/", views.report_figures, name="report-figures"),
    path("map/", views.report_map, name="report-map"),
    path("reports/assign/", views.queue_assign, name="queue-assign"),
    path("reports/export/", views.queue_export, name="queue-export"),
    path("reports/reveals/", views.reveal_log, name="reveal-log"),
    path("reports/<int:report_id>/", views.report_detail, name="report-detail"),
    path("reports/<int:report_id>/comment/", views.report_comment_page, name="report-comment"),
    path("reports/<int:report_id>/feedback/", views.report_feedback_page, name="report-feedback"),
    path("reports/<int:report_id>/attach/", views.report_attach_page, name="report-attach"),
    path(
        "reports/<int:report_id>/transition/",
        views.report_transition_page,
        name="report-transition",
    ),
    path("reports/<int:report_id>/assign/", views.report_assign_page, name="report-assign"),
    path("reports/<int:report_id>/outcome/", views.report_outcome_page, name="report-outcome"),
    path(
        "reports/<int:report_id>/informant/",
        views.informant_reveal_page,
        name="informant-reveal",
    ),
    path(
        "reports/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment-download",
    ),
]
