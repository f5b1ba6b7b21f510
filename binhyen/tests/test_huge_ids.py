"""An id larger than any row can have (a 64-bit key) is the id of nothing: a 404, a 400 or an
empty list, never a server error. On SQLite such a number used to overflow inside the driver
(the API fuzzing found it in /api/v1/members/?group=9223372036854775808)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from binhyen.filters import MAX_ID

pytestmark = pytest.mark.django_db

HUGE = str(MAX_ID + 1)
FAR = "9" * 30

PAGES = [
    ("/members/", {"hamlet": HUGE}),
    ("/members/", {"group": FAR, "people_group": HUGE}),
    ("/members/export/", {"hamlet": HUGE, "format": "csv"}),
    ("/reports/", {"hamlet": HUGE, "assignee": FAR}),
    (f"/reports/{HUGE}/", {}),
    (f"/members/{FAR}/", {}),
    (f"/bulletins/{HUGE}/", {}),
    (f"/postings/{HUGE}/proof/", {}),
]

API = [
    ("/api/v1/members/", {"group": HUGE}),
    ("/api/v1/members/", {"hamlet": FAR, "people_group": HUGE}),
    ("/api/v1/groups/", {"hamlet": HUGE}),
    ("/api/v1/reports/", {"hamlet": HUGE, "assigned_to": FAR}),
    ("/api/v1/postings/", {"bulletin": HUGE, "group": FAR}),
    ("/api/v1/postings/", {"bulletin": "1.5"}),
]


@pytest.mark.parametrize(("path", "query"), PAGES)
def test_pages_answer_an_impossible_id_without_a_server_error(client, police, path, query):
    client.force_login(police)
    response = client.get(path, query)
    assert response.status_code in (200, 400, 404), response.status_code


@pytest.mark.parametrize(("path", "query"), API)
def test_api_filters_refuse_an_impossible_id(police, path, query):
    api = APIClient()
    api.force_authenticate(police)
    response = api.get(path, query)
    assert response.status_code == 400, response.content[:300]
