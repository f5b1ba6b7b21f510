from django.urls import path

app_name = "groups"

# HTML pages of the register (coverage, join posters).
urlpatterns: list = []
