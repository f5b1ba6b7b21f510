"""The bulletin body as officers type it: paragraphs and lists survive from the form (and the
API) through the service to the bulletin's page and its Zalo text; the edit form shows the text
as typed, not HTML; the same cleaning holds whatever is typed, through the page and the API."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from bulletins.models import Bulletin, Guide
from bulletins.tests.factories import BulletinFactory
from conftest import logged_in

pytestmark = pytest.mark.django_db

TYPED = (
    "Bà con lưu ý:\n"
    "- Không cung cấp mã OTP cho bất kỳ ai\n"
    "- Gọi 113 khi gặp nguy hiểm\n"
    "\n"
    "Công an xã trân trọng thông báo.\n"
    "Xem thêm tại https://dichvucong.gov.vn"
)
STORED = (
    "<p>Bà con lưu ý:</p>"
    "<ul><li>Không cung cấp mã OTP cho bất kỳ ai</li><li>Gọi 113 khi gặp nguy hiểm</li></ul>"
    "<p>Công an xã trân trọng thông báo.<br>Xem thêm tại "
    '<a href="https://dichvucong.gov.vn" rel="noopener noreferrer nofollow">'
    "https://dichvucong.gov.vn</a></p>"
)
ZALO = (
    "Bà con lưu ý:\n\n"
    "• Không cung cấp mã OTP cho bất kỳ ai\n"
    "• Gọi 113 khi gặp nguy hiểm\n\n"
    "Công an xã trân trọng thông báo.\n"
    "Xem thêm tại https://dichvucong.gov.vn"
)
# Typed text with hostile tags in it: they go, the text's shape stays.
TYPED_DIRTY = (
    'Đọc kỹ <b onclick="alert(1)" style="color:red" class=\'x\'>hai lần</b>\n'
    '- một <a href="javascript:alert(2)">bấm</a>\n'
    "<script>alert(3)</script><style>p{display:none}</style>\n"
    "\n"
    "<img src=x onerror=alert(4)>Hết"
)
STORED_CLEAN = (
    "<p>Đọc kỹ <b>hai lần</b></p>"
    '<ul><li>một <a rel="noopener noreferrer nofollow">bấm</a></li></ul>'
    "<p>Hết</p>"
)
ACTIVE = re.compile(r"<script|<style|<img|\son\w+=|javascript:|style=|class=", re.IGNORECASE)


def page_create(user: User, body: str) -> Bulletin:
    data = {"title": "Cảnh giác", "theme": "crime_tricks", "body": body, "target_mode": "all"}
    response = logged_in(user).post(reverse("bulletins:bulletin-create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Bulletin.objects.get()


def api_create(user: User, body: str) -> Bulletin:
    api = APIClient()
    api.force_login(user)
    data = {"title": "Cảnh giác", "theme": "crime_tricks", "body": body}
    response = api.post("/api/v1/bulletins/", data, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["body"] == Bulletin.objects.get().body  # the API reads it back
    return Bulletin.objects.get()


DOORS = {"page": page_create, "api": api_create}


@pytest.mark.parametrize("door", DOORS)
def test_typed_paragraphs_and_lists_reach_the_page_and_the_zalo_text(police, groups, door):
    bulletin = DOORS[door](police, TYPED.replace("\n", "\r\n"))  # a browser posts CR LF
    assert bulletin.body == STORED
    assert bulletin.zalo_text == ZALO
    page = logged_in(police).get(reverse("bulletins:bulletin-detail", args=[bulletin.pk]))
    html = page.content.decode()
    assert f'<div class="card-body" data-testid="body">{STORED}</div>' in html
    # The Zalo card keeps the blank lines between paragraphs (shown pre-wrap, copied as is).
    assert f'id="zalo-text">{ZALO}</div>' in html


@pytest.mark.parametrize("door", DOORS)
def test_typed_text_is_sanitised_like_html_through_every_door(police, groups, door):
    bulletin = DOORS[door](police, TYPED_DIRTY)
    assert bulletin.body == STORED_CLEAN
    assert not ACTIVE.search(bulletin.body)
    page = logged_in(police).get(reverse("bulletins:bulletin-detail", args=[bulletin.pk]))
    assert "alert(" not in page.content.decode()


def edit_url(bulletin: Bulletin) -> str:
    return reverse("bulletins:bulletin-edit", args=[bulletin.pk])


def test_the_edit_form_shows_what_was_typed_and_saves_it_unchanged(police, groups):
    bulletin = page_create(police, TYPED)
    client = logged_in(police)
    form = client.get(edit_url(bulletin)).context["form"]
    assert form["body"].value() == TYPED
    data = {"title": bulletin.title, "theme": bulletin.theme, "target_mode": "all"}
    response = client.post(edit_url(bulletin), {**data, "body": form["body"].value()})
    assert response.status_code == 302
    bulletin.refresh_from_db()
    assert bulletin.body == STORED


def test_an_older_html_body_is_edited_as_text(police, groups):
    bulletin = BulletinFactory(
        author=police, body="<p>Một</p><p>Hai <strong>đậm</strong> &amp; vui</p><ol><li>A</li></ol>"
    )
    form = logged_in(police).get(edit_url(bulletin)).context["form"]
    assert form["body"].value() == "Một\n\nHai <strong>đậm</strong> & vui\n1. A"


def test_html_that_text_cannot_say_is_edited_as_html_and_kept(police, groups):
    body = "<h3>Thông báo</h3><blockquote>Trích dẫn</blockquote><p>Chữ</p>"
    bulletin = BulletinFactory(author=police, body=body)
    client = logged_in(police)
    assert client.get(edit_url(bulletin)).context["form"]["body"].value() == body
    data = {"title": bulletin.title, "theme": bulletin.theme, "target_mode": "all", "body": body}
    assert client.post(edit_url(bulletin), data).status_code == 302
    bulletin.refresh_from_db()
    assert bulletin.body == body


def test_a_guide_starts_the_editor_as_text(police):
    guide = Guide.objects.get(procedure="passport")
    response = logged_in(police).get(reverse("bulletins:bulletin-create") + f"?guide={guide.pk}")
    text = response.context["form"]["body"].value()
    assert "<p>" not in text and "<li>" not in text and "\n- " in text


def test_the_api_patch_of_the_title_keeps_the_body(police, groups):
    bulletin = api_create(police, TYPED)
    api = APIClient()
    api.force_login(police)
    response = api.patch(f"/api/v1/bulletins/{bulletin.pk}/", {"title": "Mới"}, format="json")
    assert response.status_code == 200
    bulletin.refresh_from_db()
    assert (bulletin.title, bulletin.body) == ("Mới", STORED)


def test_the_form_shows_an_example_made_by_the_same_function(police, groups):
    html = logged_in(police).get(reverse("bulletins:bulletin-create")).content.decode()
    assert 'data-testid="body-howto"' in html
    assert "<ul><li>" in html and "Bà con lưu ý:\n- " in html


def test_a_guide_typed_in_the_admin_keeps_its_paragraphs_and_lists(commune):
    superuser = User.objects.create_superuser("root", password="x", commune=commune)
    Guide.objects.filter(procedure="residence").delete()
    data = {
        "procedure": "residence",
        "title": "Cư trú",
        "body": TYPED_DIRTY,
        "zalo_text": "Đọc kỹ",  # required in the admin's form
        "needs_verification": "on",
    }
    response = logged_in(superuser).post("/admin/bulletins/guide/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    guide = Guide.objects.get(procedure="residence")
    assert guide.body == STORED_CLEAN
