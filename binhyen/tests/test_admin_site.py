"""The admin site's app list, kept per permission set (binhyen/admin_site.py)."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.utils import translation

from binhyen.admin_site import BinhYenAdminSite

pytestmark = pytest.mark.django_db


def model_names(client) -> set[str]:
    response = client.get("/admin/")
    assert response.status_code == 200
    return {model["object_name"] for app in response.context["app_list"] for model in app["models"]}


def test_the_project_uses_the_caching_site() -> None:
    assert isinstance(admin.site, BinhYenAdminSite)


def test_a_granted_permission_shows_at_once(client, officer_a) -> None:
    """The list is cached by permission set: a new permission is a new list, not a stale one."""
    client.force_login(officer_a)
    assert "SafetyCriterion" not in model_names(client)
    officer_a.user_permissions.add(Permission.objects.get(codename="view_safetycriterion"))
    assert "SafetyCriterion" in model_names(client)
    officer_a.user_permissions.clear()
    officer_a.groups.clear()
    officer_a.user_permissions.add(Permission.objects.get(codename="view_member"))
    assert model_names(client) == {"Member"}


def test_two_users_with_the_same_permissions_share_one_list(police, outsider) -> None:
    site = BinhYenAdminSite(name="probe")
    site.register(Permission)

    def app_list(user):
        request = RequestFactory().get("/admin/")
        request.user = user
        return site.get_app_list(request)

    with translation.override("vi"):
        vietnamese = app_list(police)
        assert app_list(outsider) is vietnamese  # another commune, the same role
    with translation.override("en"):
        assert app_list(police) is not vietnamese
