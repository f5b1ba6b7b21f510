"""Login lockout (django-axes): repeated failures lock a username + address, with a Vietnamese
page, on the portal's and the admin's login; an administrator lifts it in the admin."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def fail(client, url: str, username: str, times: int, **extra):
    response = None
    for _i in range(times):
        response = client.post(url, {"username": username, "password": "wrong-password"}, **extra)
    return response


def test_five_failures_lock_the_account_from_that_address_with_a_vietnamese_page(
    client, head_b, settings
) -> None:
    assert settings.AXES_FAILURE_LIMIT == 5
    assert fail(client, reverse("login"), "head_b", 4).status_code == 200
    response = fail(client, reverse("login"), "head_b", 1)
    assert response.status_code == 429
    html = response.content.decode()
    assert 'data-testid="lockout"' in html
    assert "Đăng nhập quá nhiều lần" in html and "30 phút" in html
    # Even the right password is refused while locked.
    response = client.post(reverse("login"), {"username": "head_b", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_counts_usernames_without_case_or_spaces(client, head_b) -> None:
    fail(client, reverse("login"), "HEAD_B ", 3)
    fail(client, reverse("login"), "head_b", 2)
    response = client.post(reverse("login"), {"username": "head_b", "password": PASSWORD})
    assert response.status_code == 429


def test_the_lock_is_per_address_and_per_username(client, head_b, officer_a) -> None:
    fail(client, reverse("login"), "head_b", 5)
    other_address = client.post(
        reverse("login"), {"username": "head_b", "password": PASSWORD}, REMOTE_ADDR="192.0.2.9"
    )
    assert other_address.status_code == 302
    client.logout()
    other_user = client.post(
        reverse("login"), {"username": officer_a.username, "password": PASSWORD}
    )
    assert other_user.status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(client, head_b) -> None:
    fail(client, reverse("login"), "head_b", 4)
    assert (
        client.post(reverse("login"), {"username": "head_b", "password": PASSWORD}).status_code
        == 302
    )
    client.logout()
    assert fail(client, reverse("login"), "head_b", 4).status_code == 200


def test_the_admin_login_is_locked_too(client, officer_a) -> None:
    response = fail(client, reverse("admin:login"), officer_a.username, 5)
    assert response.status_code == 429
    assert 'data-testid="lockout"' in response.content.decode()


def test_the_lockout_lasts_the_configured_time(client, head_b, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = 0.25  # hours
    response = fail(client, reverse("login"), "head_b", 2)
    assert response.status_code == 429 and "15 phút" in response.content.decode()


def test_the_commune_police_lift_a_lock_in_the_admin(client, police, head_b, outsider) -> None:
    fail(client, reverse("login"), "head_b", 5)
    attempt = AccessAttempt.objects.get(username="head_b")
    # Another commune's police do not even see it.
    client.force_login(outsider)
    url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert client.get(reverse("admin:axes_accessattempt_changelist")).content.count(b"head_b") == 0
    client.post(url, {"post": "yes"})
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()
    client.force_login(police)
    changelist = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "head_b" in changelist
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()
    client.logout()
    response = client.post(reverse("login"), {"username": "head_b", "password": PASSWORD})
    assert response.status_code == 302


def test_api_token_calls_are_not_counted_as_logins(client, head_b) -> None:
    # No password reaches the API: a wrong token is a 401 and leaves no failed login behind.
    for _i in range(6):
        response = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token wrong")
        assert response.status_code == 401
    assert not AccessAttempt.objects.exists()


def test_client_ip_behind_the_proxy_is_the_one_it_appended(rf, settings) -> None:
    from accounts.backends import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5", REMOTE_ADDR="10.0.0.2")
    assert client_ip(request) == "10.0.0.2"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client_ip(request) == "203.0.113.5"
