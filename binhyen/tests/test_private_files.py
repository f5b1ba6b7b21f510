"""Every private file is served with the same headers (binhyen/files.py): its sniffed type and
no guessing, a sandbox, and no copy kept anywhere, so that whoever loses the right to a file
loses the file with the next request. Each private file URL is checked where its app tests it
(assert_served_privately); the revocation of a bulletin's picture is checked here."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from accounts.models import User
from bulletins.tests.factories import PNG, add_image, published
from groups.models import Hamlet


def assert_served_privately(response: HttpResponse) -> None:
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-cache", "no-store", "max-age=0"} <= directives
    assert "max-age=3600" not in directives
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_a_revoked_reader_loses_a_bulletins_picture(
    police: User, head_b: User, hamlet_a: Hamlet, hamlet_b: Hamlet
) -> None:
    bulletin = published(police, hamlet_a, hamlet_b)
    image = add_image(bulletin)
    client = Client()
    client.force_login(head_b)
    for url in (
        reverse("bulletins:image", args=[image.pk]),
        f"/api/v1/bulletins/images/{image.pk}/",
    ):
        response = client.get(url)
        assert_served_privately(response)
        assert b"".join(response.streaming_content) == PNG
    head_b.hamlets.clear()  # no longer the head of hamlet B
    for url in (
        reverse("bulletins:image", args=[image.pk]),
        f"/api/v1/bulletins/images/{image.pk}/",
    ):
        assert client.get(url).status_code == 404


def test_every_download_is_kept_nowhere(client: Client, police: User, hamlet_a: Hamlet) -> None:
    """Exports carry names and phones: the same headers as a private file (no copy in the
    browser's cache or a proxy), whichever view makes them."""
    from groups.tests.factories import ZaloGroupFactory

    group = ZaloGroupFactory(hamlet=hamlet_a)
    police.is_staff = True
    police.save(update_fields=["is_staff"])
    client.force_login(police)
    for url in (
        "/reports/export/?format=csv",
        "/reports/export/?format=xlsx",
        "/members/export/?format=csv",
        "/audit/?format=csv",
        reverse("groups:group-poster", args=[group.pk]),
        "/admin/groups/member/template/",
    ):
        response = client.get(url)
        assert response["Content-Disposition"].startswith("attachment;"), url
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-cache", "no-store"} <= directives, (url, directives)
        assert response["X-Content-Type-Options"] == "nosniff", url
