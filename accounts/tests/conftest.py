"""Fixtures of the accounts tests."""

import io

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
