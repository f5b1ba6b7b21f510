"""A bulletin's pictures through the API: listed with download URLs, downloaded in scope, and
uploaded to a draft through the web editor's service (content sniffing, size, count)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import User
from binhyen.tests.test_private_files import assert_served_privately
from bulletins.models import Bulletin, BulletinImage
from bulletins.tests.factories import PNG, BulletinFactory, add_image, published, reach
from conftest import make_user

pytestmark = pytest.mark.django_db

BULLETINS = "/api/v1/bulletins/"


def as_user(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def picture(name: str = "anh.png", content: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def draft(author: User, *hamlets) -> Bulletin:
    return reach(BulletinFactory(author=author), *hamlets)


def test_detail_and_list_carry_the_pictures_with_download_urls(
    police: User, officer_a: User, hamlet_a
) -> None:
    bulletin = published(police, hamlet_a)
    image = add_image(bulletin)
    detail = as_user(officer_a).get(f"{BULLETINS}{bulletin.pk}/")
    assert detail.status_code == 200
    (shown,) = detail.data["images"]
    assert shown["id"] == image.pk and shown["name"] == "anh.png"
    assert shown["content_type"] == "image/png" and shown["size"] == len(PNG)
    assert shown["url"] == f"http://testserver{BULLETINS}images/{image.pk}/"
    assert shown["page_url"] == f"http://testserver/bulletins/images/{image.pk}/"
    listed = as_user(officer_a).get(BULLETINS).data["results"]
    assert listed[0]["images"] == detail.data["images"]
    pictures = as_user(officer_a).get(f"{BULLETINS}{bulletin.pk}/images/")
    assert pictures.status_code == 200 and pictures.data == detail.data["images"]


def test_the_download_url_serves_the_file(police: User, head_b: User, hamlet_a, hamlet_b) -> None:
    bulletin = published(police, hamlet_a, hamlet_b)
    image = add_image(bulletin)
    for accept in ("*/*", "image/png"):
        response = as_user(head_b).get(f"{BULLETINS}images/{image.pk}/", HTTP_ACCEPT=accept)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PNG
        assert response["Content-Type"] == "image/png"
        assert_served_privately(response)


def test_the_postings_checklist_carries_the_same_pictures(
    police: User, officer_a: User, hamlet_a, group_a
) -> None:
    bulletin = published(police, hamlet_a)
    image = add_image(bulletin)
    rows = as_user(officer_a).get("/api/v1/postings/?mine=true&status=pending").data["results"]
    assert [i["id"] for i in rows[0]["images"]] == [image.pk]
    assert rows[0]["images"][0]["url"].endswith(f"/api/v1/bulletins/images/{image.pk}/")


def test_anonymous_callers_get_nothing(police: User, hamlet_a) -> None:
    bulletin = published(police, hamlet_a)
    image = add_image(bulletin)
    anonymous = as_user(None)
    for url in (
        f"{BULLETINS}{bulletin.pk}/images/",
        f"{BULLETINS}images/{image.pk}/",
    ):
        assert anonymous.get(url).status_code in (401, 403)
    upload = anonymous.post(f"{BULLETINS}{bulletin.pk}/images/", {"image": picture()})
    assert upload.status_code in (401, 403)
    assert BulletinImage.objects.count() == 1


def test_out_of_scope_is_404(
    police: User, head_b: User, outsider: User, hamlet_a, hamlet_b
) -> None:
    bulletin = published(police, hamlet_a)  # reaches hamlet A only
    image = add_image(bulletin)
    files = f"{BULLETINS}images/{image.pk}/"
    for user in (head_b, outsider):  # another hamlet, another commune
        assert as_user(user).get(f"{BULLETINS}{bulletin.pk}/images/").status_code == 404
        assert as_user(user).get(files).status_code == 404
    assert as_user(outsider).post(
        f"{BULLETINS}{bulletin.pk}/images/", {"image": picture()}
    ).status_code == 404  # fmt: skip
    assert as_user(police).get(f"{BULLETINS}images/{image.pk + 100}/").status_code == 404


def test_missing_permission_is_403(
    police: User, head_b: User, party_office: User, commune, hamlet_a, hamlet_b
) -> None:
    bulletin = published(police, hamlet_a, hamlet_b)
    image = add_image(bulletin)
    nobody = make_user("no_role", None, commune)
    assert as_user(nobody).get(f"{BULLETINS}{bulletin.pk}/images/").status_code == 403
    assert as_user(nobody).get(f"{BULLETINS}images/{image.pk}/").status_code == 403
    target = draft(police, hamlet_a, hamlet_b)
    for user in (head_b, party_office):  # readers, not writers
        response = as_user(user).post(f"{BULLETINS}{target.pk}/images/", {"image": picture()})
        assert response.status_code == 403
    assert not target.images.exists()


def test_upload_to_a_draft_goes_through_the_editors_validation(police: User, hamlet_a) -> None:
    target = draft(police, hamlet_a)
    url = f"{BULLETINS}{target.pk}/images/"
    added = as_user(police).post(url, {"image": picture("ảnh tin.png")})
    assert added.status_code == 201, added.data
    image = BulletinImage.objects.get(bulletin=target)
    assert added.data["id"] == image.pk and added.data["name"] == "ảnh tin.png"
    assert image.content_type == "image/png"  # read from the content
    fake = as_user(police).post(url, {"image": picture("x.png", b"GIF89a<script>")})
    assert fake.status_code == 400 and fake.data
    assert as_user(police).post(url, {}).status_code == 400  # no file
    assert target.images.count() == 1


def test_upload_is_refused_past_draft_and_over_the_count(police: User, hamlet_a) -> None:
    bulletin = published(police, hamlet_a)
    refused = as_user(police).post(f"{BULLETINS}{bulletin.pk}/images/", {"image": picture()})
    assert refused.status_code == 400
    target = draft(police, hamlet_a)
    for _ in range(Bulletin.MAX_IMAGES):
        add_image(target)
    full = as_user(police).post(f"{BULLETINS}{target.pk}/images/", {"image": picture()})
    assert full.status_code == 400
    assert target.images.count() == Bulletin.MAX_IMAGES


def test_the_list_query_count_does_not_grow_with_pictures(
    police: User, hamlet_a, django_assert_max_num_queries
) -> None:
    client = as_user(police)
    add_image(published(police, hamlet_a))
    with django_assert_max_num_queries(20) as small:
        client.get(BULLETINS)
    for _ in range(4):
        bulletin = published(police, hamlet_a)
        add_image(bulletin)
        add_image(bulletin)
    with django_assert_max_num_queries(len(small)):
        client.get(BULLETINS)
