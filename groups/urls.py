from django.urls import path

from . import views

app_name = "groups"

# HTML pages of the register (coverage, join posters).
urlpatterns = [
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/<int:hamlet_id>/", views.coverage_hamlet, name="coverage-hamlet"),
    path("groups/<int:group_id>/poster.pdf", views.group_poster, name="group-poster"),
]
