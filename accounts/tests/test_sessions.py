"""Sessions end after inactivity (sliding) and in any case after SESSION_COOKIE_AGE; passwords
follow Django's validators with at least 10 characters."""

import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.middleware import LAST_SEEN_KEY, STARTED_KEY

pytestmark = pytest.mark.django_db


def shift(client, key: str, seconds: int) -> None:
    session = client.session
    session[key] = session[key] - seconds
    session.save()


def test_a_session_idle_longer_than_the_limit_ends(client, head_b, settings) -> None:
    assert settings.SESSION_INACTIVITY_SECONDS == 30 * 60
    client.force_login(head_b)
    assert client.get("/").status_code == 200
    shift(client, LAST_SEEN_KEY, 31 * 60)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_activity_keeps_the_session_alive(client, head_b) -> None:
    client.force_login(head_b)
    client.get("/")
    for _i in range(3):  # 3 × 20 minutes, with a request in between each time
        shift(client, LAST_SEEN_KEY, 20 * 60)
        assert client.get("/").status_code == 200


def test_the_absolute_age_still_applies(client, head_b, settings) -> None:
    client.force_login(head_b)
    client.get("/")
    shift(client, STARTED_KEY, settings.SESSION_COOKIE_AGE + 1)
    assert client.get("/").status_code == 302


def test_the_api_answers_401_once_the_session_expired(client, head_b) -> None:
    client.force_login(head_b)
    assert client.get("/api/v1/me/").status_code == 200
    shift(client, LAST_SEEN_KEY, 3600)
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_the_last_seen_time_is_written_at_most_once_a_minute(client, head_b) -> None:
    client.force_login(head_b)
    client.get("/")
    first = client.session[LAST_SEEN_KEY]
    client.get("/")
    assert client.session[LAST_SEEN_KEY] == first <= int(time.time())


@pytest.mark.parametrize("password", ["short-pw1", "1234567890", "password123"])
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_long_unusual_password_is_accepted() -> None:
    validate_password("mưa-rừng-Thuận-Lợi-42")
