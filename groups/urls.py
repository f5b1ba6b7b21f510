from django.urls import path

from . import views

app_name = "groups"

# HTML pages of the register (coverage, join posters, the member roster).
urlpatterns = [
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/<int:hamlet_id>/", views.coverage_hamlet, name="coverage-hamlet"),
    path("groups/<int:group_id>/poster.pdf", views.group_poster, name="group-poster"),
    path("members/", views.member_list, name="member-list"),
    path("members/export/", views.member_export, name="member-export"),
    path("members/<int:member_id>/", views.member_detail, name="member-detail"),
]
