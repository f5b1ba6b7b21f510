"""Every door that writes bulletins' rows, tried against each business rule.

| model             | doors                                         | service                      |
|-------------------|-----------------------------------------------|------------------------------|
| Bulletin          | editor page, API POST/PATCH, (admin: read)    | bulletin_create/_update      |
| Bulletin status   | workflow page, API actions, task              | bulletin_transition (submit, |
|                   | `publish_scheduled`                           | approve, reject, publish,    |
|                   |                                               | archive), bulletins_publish_ |
|                   |                                               | due                          |
| BulletinImage     | editor page upload, API upload                | bulletin_image_add           |
| Posting           | checklist page, API (posted, skipped)         | posting_mark_posted,         |
|                   |                                               | posting_skip                 |
| ReminderDigest    | task and command `send_reminders`             | reminders_send               |
| ProcedureQuestion | question log page, admin form, admin delete   | question_record,             |
|                   |                                               | question_save/_delete        |
| Guide             | admin form, admin delete, data migration      | guide_save/_delete           |
|                   |                                               | (migration: clean_html)      |
| BulletinSettings  | admin form                                    | none: settings, no rule      |

Rules tried here: every stored HTML is sanitised (the bulletin's body, the guide's body), and
no question is logged in the future. Four eyes on approval and the posting's time are tried
through the page and the API in test_four_eyes.py.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.models import User
from bulletins.models import Bulletin, Guide, ProcedureQuestion
from conftest import logged_in

pytestmark = pytest.mark.django_db

DIRTY = '<p>Đọc kỹ</p><script>alert(1)</script><a href="javascript:alert(2)">bấm</a>'


def is_clean(html: str) -> bool:
    return "<script" not in html and "javascript:" not in html and "alert(1)" not in html


def form_data(response) -> dict:
    """The POST data of an admin change form as drawn."""
    data: dict = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = str(value)
    return data


@pytest.fixture
def superuser(commune) -> User:
    return User.objects.create_superuser("root", password="x", commune=commune)


# --- stored HTML: the guide's body ---------------------------------------------------------


def guide_admin_change(user: User) -> Guide:
    guide = Guide.objects.get(procedure="residence")
    client = logged_in(user)
    url = f"/admin/bulletins/guide/{guide.pk}/change/"
    response = client.post(url, {**form_data(client.get(url)), "body": DIRTY})
    assert response.status_code == 302
    guide.refresh_from_db()
    return guide


def guide_admin_add(user: User) -> Guide:
    Guide.objects.filter(procedure="residence").delete()
    client = logged_in(user)
    data = {
        "procedure": "residence",
        "title": "Cư trú",
        "body": DIRTY,
        "zalo_text": "Đọc kỹ",
        "needs_verification": "on",
    }
    response = client.post("/admin/bulletins/guide/add/", data)
    assert response.status_code == 302, response.content[:3000]
    return Guide.objects.get(procedure="residence")


GUIDE_DOORS: dict[str, Callable[[User], Guide]] = {
    "admin-change": guide_admin_change,
    "admin-add": guide_admin_add,
}


@pytest.mark.parametrize("door", GUIDE_DOORS)
def test_a_guide_body_is_stored_sanitised_whatever_the_door(superuser, door) -> None:
    guide = GUIDE_DOORS[door](superuser)
    assert is_clean(guide.body) and "<p>Đọc kỹ</p>" in guide.body


# --- stored HTML: the bulletin's body ------------------------------------------------------


def bulletin_page(user: User, groups) -> Bulletin:
    data = {"title": "Cảnh giác", "theme": "crime_tricks", "body": DIRTY, "target_mode": "all"}
    logged_in(user).post(reverse("bulletins:bulletin-create"), data)
    return Bulletin.objects.get()


def bulletin_api(user: User, groups) -> Bulletin:
    api = APIClient()
    api.force_login(user)
    data = {"title": "Cảnh giác", "theme": "crime_tricks", "body": DIRTY}
    assert api.post("/api/v1/bulletins/", data, format="json").status_code == 201
    return Bulletin.objects.get()


BULLETIN_DOORS = {"page": bulletin_page, "api": bulletin_api}


@pytest.mark.parametrize("door", BULLETIN_DOORS)
def test_a_bulletin_body_is_stored_sanitised_whatever_the_door(police, groups, door) -> None:
    bulletin = BULLETIN_DOORS[door](police, groups)
    assert is_clean(bulletin.body) and "Đọc kỹ" in bulletin.body


def test_the_admin_cannot_write_a_bulletin(police) -> None:
    """The admin's door to bulletins is read only: the editor and the API are the doors."""
    assert logged_in(police).get("/admin/bulletins/bulletin/add/").status_code == 403


# --- the question log: never in the future --------------------------------------------------


def _question(group) -> dict:
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    return {"procedure": "id_card", "group": group.pk, "date": tomorrow.isoformat(), "count": 2}


def question_page(user: User, group) -> object:
    return logged_in(user).post(reverse("bulletins:questions"), _question(group))


def question_admin_add(user: User, group) -> object:
    client = logged_in(user)
    data = form_data(client.get("/admin/bulletins/procedurequestion/add/"))
    return client.post("/admin/bulletins/procedurequestion/add/", {**data, **_question(group)})


def question_admin_change(user: User, group) -> object:
    question = ProcedureQuestion.objects.create(
        procedure="id_card", group=group, count=1, recorded_by=user
    )
    client = logged_in(user)
    url = f"/admin/bulletins/procedurequestion/{question.pk}/change/"
    return client.post(url, {**form_data(client.get(url)), **_question(group)})


QUESTION_DOORS = {
    "page": question_page,
    "admin-add": question_admin_add,
    "admin-change": question_admin_change,
}


@pytest.mark.parametrize("door", QUESTION_DOORS)
def test_no_question_is_logged_in_the_future_whatever_the_door(police, group_a, door) -> None:
    with translation.override("vi"):
        response = QUESTION_DOORS[door](police, group_a)
    assert response.status_code == 200  # the form again, with the error: never a 500
    assert "Ngày nằm ở tương lai" in response.content.decode()
    assert not ProcedureQuestion.objects.filter(date__gt=timezone.localdate()).exists()


def test_the_admin_records_who_logged_a_question(police, group_a) -> None:
    client = logged_in(police)
    data = form_data(client.get("/admin/bulletins/procedurequestion/add/"))
    today = {**_question(group_a), "date": timezone.localdate().isoformat()}
    assert client.post("/admin/bulletins/procedurequestion/add/", {**data, **today}).status_code
    assert ProcedureQuestion.objects.get().recorded_by == police
