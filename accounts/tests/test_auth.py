"""Logging in, each role's navigation and home, the language switch, the API's caller."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.roles import ROLE_PERMISSIONS, Role
from accounts.services import requires_two_factor
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_login_page_is_vietnamese_by_default(client) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert response["Content-Language"] == "vi"
    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html
    assert "Mật khẩu" in html


def test_vietnamese_even_when_the_browser_asks_for_english(client) -> None:
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="vi">' in html and "Đăng nhập" in html


def test_wrong_password_is_refused_in_vietnamese(client, police) -> None:
    response = client.post(reverse("login"), {"username": "police", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "mật khẩu chính xác" in response.content.decode()


ROLE_HOME = {
    "police": ("home-police", Role.COMMUNE_POLICE, True),
    "officer_a": ("home-police", Role.AREA_OFFICER, True),
    "head_b": ("home-hamlet-head", Role.HAMLET_HEAD, False),
    "party_office": ("home-leadership", Role.PARTY_OFFICE, False),
    "leader": ("home-leadership", Role.COMMUNE_LEADER, False),
}


@pytest.mark.parametrize("persona", ROLE_HOME)
def test_every_role_logs_in_and_sees_its_own_home_and_navigation(client, personas, persona):
    section, role, staff = ROLE_HOME[persona]
    username = personas[persona].username
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    if requires_two_factor(personas[persona]):  # the police: the second factor first
        device = TOTPDevice.objects.create(user=personas[persona], name="phone", confirmed=True)
        assert client.get(reverse("home"))["Location"].startswith(reverse("two-factor-verify"))
        code = f"{totp(device.bin_key):06d}"
        client.post(reverse("two-factor-verify"), {"otp_token": code, "next": "/"})
    html = client.get(reverse("home")).content.decode()
    assert f'data-testid="{section}"' in html
    assert f'data-role="{role.value}"' in html
    assert str(role.label) in html
    assert ('data-nav="admin"' in html) is staff
    for other, (other_section, _role, _staff) in ROLE_HOME.items():
        if other_section != section:
            assert f'data-testid="{other_section}"' not in html, other


def test_home_lists_only_the_hamlets_in_scope(client, personas) -> None:
    client.force_login(personas["officer_a"])
    html = client.get(reverse("home")).content.decode()
    assert "Ấp Thuận Hòa" in html and "Ấp Thuận Phú 1" not in html

    client.force_login(personas["police"])
    html = client.get(reverse("home")).content.decode()
    assert "Ấp Thuận Hòa" in html and "Ấp Thuận Phú 1" in html and "Ấp Khác" not in html


def test_logout_needs_post_and_ends_the_session(client, police) -> None:
    client.force_login(police)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_change_in_vietnamese(client, police) -> None:
    client.force_login(police)
    assert "Đổi mật khẩu" in client.get(reverse("password_change")).content.decode()
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase-2026",
            "new_password2": "a-new-long-passphrase-2026",
        },
    )
    assert response.status_code == 302
    police.refresh_from_db()
    assert police.check_password("a-new-long-passphrase-2026")


def test_password_change_requires_login(client) -> None:
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_language_switch_to_english_and_back(client, police) -> None:
    client.force_login(police)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html and "Log out" in html and "Đăng xuất" not in html
    client.post(reverse("set_language"), {"language": "vi", "next": "/"})
    html = client.get("/").content.decode()
    assert '<html lang="vi">' in html and "Đăng xuất" in html


def test_demo_password_works_only_with_debug_on(client, police, settings) -> None:
    police.set_password(settings.DEMO_PASSWORD)
    police.save()
    credentials = {"username": "police", "password": settings.DEMO_PASSWORD}
    settings.DEBUG = False
    client.post(reverse("login"), credentials)
    assert "_auth_user_id" not in client.session
    settings.DEBUG = True
    client.post(reverse("login"), credentials)
    assert client.session["_auth_user_id"] == str(police.pk)


def test_role_groups_hold_exactly_the_declared_permissions() -> None:
    for role in Role:
        group = Group.objects.get(name=role.value)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert held == ROLE_PERMISSIONS[role]


def test_commune_wide_scope_is_a_permission_not_a_group_name(commune, hamlet_a, hamlet_b):
    user = User.objects.create_user("custom", password=PASSWORD, commune=commune)
    group = Group.objects.create(name="custom_role")
    group.permissions.add(
        *Group.objects.get(name=Role.PARTY_OFFICE).permissions.filter(codename="view_all_hamlets")
    )
    user.groups.add(group)
    from groups.access import hamlets_for

    assert set(hamlets_for(User.objects.get(pk=user.pk))) == {hamlet_a, hamlet_b}


class TestApi:
    def test_me_requires_authentication(self, client) -> None:
        assert client.get("/api/v1/me/").status_code == 401

    def test_me_with_a_token(self, client, officer_a, hamlet_a) -> None:
        from rest_framework.authtoken.models import Token

        token = Token.objects.create(user=officer_a)
        response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")
        assert response.status_code == 200
        body = response.json()
        assert body["roles"] == ["area_officer"]
        assert [h["code"] for h in body["hamlets"]] == [hamlet_a.code]

    def test_bad_token_is_401(self, client, db) -> None:
        response = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token nope")
        assert response.status_code == 401

    def test_schema_and_docs_are_served_offline_to_users(self, client, police) -> None:
        assert client.get("/api/schema/").status_code == 401
        client.force_login(police)
        schema = client.get("/api/schema/")
        assert schema.status_code == 200 and b"/api/v1/me/" in schema.content
        docs = client.get("/api/docs/").content.decode()
        assert "swagger-ui" in docs
        assert "cdn." not in docs and "unpkg" not in docs and "jsdelivr" not in docs

    def test_drf_create_token_command(self, police) -> None:
        from django.core.management import call_command
        from rest_framework.authtoken.models import Token

        call_command("drf_create_token", "police", verbosity=0)
        assert Token.objects.filter(user=police).exists()


def test_admin_is_branded_in_vietnamese(client, police) -> None:
    client.force_login(police)
    html = client.get("/admin/").content.decode()
    assert "Quản trị Bình Yên" in html
