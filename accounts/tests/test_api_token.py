"""A user's own API token on their account page: seen (never its key), revoked, its last use
recorded without a write on every call."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.core.cache import cache
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.models import User

pytestmark = pytest.mark.django_db
PAGE = "/account/api-token/"


@pytest.fixture
def token(head_b: User) -> Token:
    cache.delete(f"api-token-used:{head_b.pk}")  # a user id may be reused by an earlier test
    return Token.objects.create(user=head_b)


def api_get(client, token: Token):
    return client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")


def test_anonymous_is_sent_to_log_in(client) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.post(PAGE).status_code == 302


def test_the_page_shows_the_token_but_never_its_key(client, head_b, token) -> None:
    client.force_login(head_b)
    response = client.get(PAGE)
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="api-token"' in html
    assert token.key not in html
    assert "chưa dùng lần nào" in html  # not used yet
    assert "no-store" in response["Cache-Control"]


def test_a_user_without_a_token_is_told_how_to_get_one(client, police) -> None:
    client.force_login(police)
    assert 'data-testid="no-token"' in client.get(PAGE).content.decode()


def test_a_use_is_recorded_once_per_period(client, head_b, token) -> None:
    assert api_get(client, token).status_code == 200
    head_b.refresh_from_db()
    first = head_b.api_token_used_at
    assert first is not None
    User.objects.filter(pk=head_b.pk).update(api_token_used_at=None)
    assert api_get(client, token).status_code == 200  # within the period: no write
    head_b.refresh_from_db()
    assert head_b.api_token_used_at is None
    client.force_login(head_b)
    cache.delete(f"api-token-used:{head_b.pk}")  # the next period
    api_get(client, token)
    assert "Dùng lần gần nhất" in client.get(PAGE).content.decode()


def test_revoking_refuses_the_token_at_once_and_is_audited(client, head_b, police, token) -> None:
    others = Token.objects.create(user=police)
    client.force_login(head_b)
    response = client.post(PAGE, follow=True)
    assert "đã bị thu hồi" in response.content.decode()
    assert not Token.objects.filter(user=head_b).exists()
    assert Token.objects.filter(pk=others.pk).exists()  # only one's own
    client.logout()
    assert api_get(client, token).status_code == 401
    entry = LogEntry.objects.get_for_object(head_b).latest("timestamp")
    assert entry.actor == head_b and "api_token" in entry.changes_dict


def test_revoking_with_no_token_changes_nothing(client, police) -> None:
    client.force_login(police)
    before = LogEntry.objects.count()
    assert client.post(PAGE).status_code == 302
    assert LogEntry.objects.count() == before


def test_the_admin_revokes_through_the_service(client, head_b, token, commune) -> None:
    """The admin's token page is a door too: deleting a token there clears its last use and
    names who revoked it in the audit log, as the owner's own page does."""
    root = User.objects.create_superuser("root-admin", password="x" * 12, commune=commune)
    User.objects.filter(pk=head_b.pk).update(api_token_used_at="2026-01-01T00:00:00Z")
    client.force_login(root)
    url = f"/admin/authtoken/tokenproxy/{head_b.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 302
    head_b.refresh_from_db()
    assert not Token.objects.filter(user=head_b).exists() and head_b.api_token_used_at is None
    entry = LogEntry.objects.get_for_object(head_b).latest("timestamp")
    assert entry.actor == root and "api_token" in entry.changes_dict


def test_nobody_revokes_anothers_token_without_the_permission(head_b, police, token) -> None:
    from django.core.exceptions import PermissionDenied

    from accounts.services import api_token_revoke

    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=police, user=head_b)
    assert Token.objects.filter(user=head_b).exists()
