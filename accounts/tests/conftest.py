"""Fixtures of the accounts tests."""

import io
from collections.abc import Iterator
from unittest import mock

import pytest
from django.core.management import call_command

from accounts import push


@pytest.fixture
def vapid(settings) -> None:
    """The portal's VAPID keys, made for the test as README says: `manage.py vapid_keys`."""
    out = io.StringIO()
    call_command("vapid_keys", stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().splitlines())
    settings.VAPID_PUBLIC_KEY = lines["VAPID_PUBLIC_KEY"]
    settings.VAPID_PRIVATE_KEY = lines["VAPID_PRIVATE_KEY"]
    settings.VAPID_SUBJECT = "mailto:admin@binhyen.example.org"
    assert push.check_vapid_keys() == []


@pytest.fixture(autouse=True)
def test_push_services() -> Iterator[None]:
    """Push services of the tests: a local HTTP server and push.example.org (never called)."""
    with (
        mock.patch.object(push, "ENDPOINT_SCHEMES", ("https", "http")),
        mock.patch.object(push, "ENDPOINT_HOSTS", ("127.0.0.1", "push.example.org")),
    ):
        yield
