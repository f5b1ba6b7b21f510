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


def djangos_sidebar(response) -> str:
    """The app list as Django's own admin/app_list.html draws it for this response's page."""
    from django.template.loader import render_to_string

    context = response.context
    return render_to_string(
        "admin/app_list.html",
        {
            "app_list": context["available_apps"],
            "show_changelinks": False,
            "request": context["request"],
        },
    )


@pytest.mark.parametrize(
    ("path", "in_a_sidebar"),
    [
        ("/admin/", False),  # the index pages show the list in their body instead
        ("/admin/groups/", False),
        ("/admin/groups/member/", True),
        ("/admin/groups/hamlet/", True),
    ],
)
def test_the_sidebar_is_djangos_own_drawing(client, police, path, in_a_sidebar) -> None:
    client.force_login(police)
    client.get("/admin/groups/zalogroup/")  # another page first: nothing of it may carry over
    response = client.get(path)
    assert response.status_code == 200
    sidebar = response.context["nav_sidebar_apps"]
    assert sidebar == djangos_sidebar(response)
    assert (sidebar in response.content.decode()) is in_a_sidebar


def test_the_sidebar_marks_the_current_model(client, police) -> None:
    client.force_login(police)
    members = client.get("/admin/groups/member/").context["nav_sidebar_apps"]
    hamlets = client.get("/admin/groups/hamlet/").context["nav_sidebar_apps"]
    assert 'class="model-member current-model"' in members
    assert 'class="model-member current-model"' not in hamlets
    assert 'class="model-hamlet current-model"' in hamlets
