"""The audit page: scoped like the admin's log, filters, capped count, exports, role changes."""

import csv
import io

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import Role
from groups.tests.factories import MemberFactory, ZaloGroupFactory
from reports.tests.factories import IncidentReportFactory

pytestmark = pytest.mark.django_db
URL = "/audit/"


@pytest.fixture
def history(hamlet_a, hamlet_b, hamlet_elsewhere):
    ours = MemberFactory(group=ZaloGroupFactory(hamlet=hamlet_a), full_name="Nguyễn Văn Ours")
    theirs = MemberFactory(
        group=ZaloGroupFactory(hamlet=hamlet_elsewhere), full_name="Trần Thị Theirs"
    )
    report = IncidentReportFactory(hamlet=hamlet_b)
    return {"ours": ours, "theirs": theirs, "report": report}


def test_anonymous_is_sent_to_login_and_other_roles_are_refused(client, officer_a, head_b):
    assert client.get(URL)["Location"].startswith(reverse("login"))
    for user in (officer_a, head_b):
        client.force_login(user)
        assert client.get(URL).status_code == 403


def test_the_police_see_their_communes_history_only(client, police, history) -> None:
    client.force_login(police)
    html = client.get(URL).content.decode()
    assert "Nguyễn Văn Ours" in html and history["report"].code in html
    assert "Trần Thị Theirs" not in html


def test_role_assignments_are_audited_and_shown(client, police, head_b, history) -> None:
    head_b.groups.add(Group.objects.get(name=Role.PARTY_OFFICE))
    entry = LogEntry.objects.get_for_object(head_b).latest("timestamp")
    assert entry.changes_dict["groups"]["operation"] == "add"
    client.force_login(police)
    html = client.get(URL, {"model": "accounts.user"}).content.decode()
    assert "Văn phòng Đảng ủy" in html and "party_office" not in html  # the role by its name
    assert "Nguyễn Văn Ours" not in html


def test_filters_by_actor_action_and_date(client, police, history, officer_a) -> None:
    LogEntry.objects.filter(object_repr__contains="Ours").update(actor=officer_a)
    client.force_login(police)
    html = client.get(URL, {"actor": officer_a.pk}).content.decode()
    assert "Nguyễn Văn Ours" in html and history["report"].code not in html
    html = client.get(URL, {"action": LogEntry.Action.DELETE}).content.decode()
    assert "Nguyễn Văn Ours" not in html
    html = client.get(URL, {"since": "2099-01-01"}).content.decode()
    assert "Nguyễn Văn Ours" not in html
    # A filter outside the choices (another commune's user) is refused, not obeyed.
    response = client.get(URL, {"actor": 999999})
    assert response.status_code == 200 and "Nguyễn Văn Ours" not in response.content.decode()


def test_exports_follow_the_filters(client, police, history) -> None:
    client.force_login(police)
    response = client.get(URL, {"model": "groups.member", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Thời điểm"
    assert any("Nguyễn Văn Ours" in row[4] for row in rows[1:])
    assert not any("Theirs" in ",".join(row) for row in rows)
    assert not any(history["report"].code in ",".join(row) for row in rows)
    response = client.get(URL, {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "Nguyễn Văn Ours" in values and "Trần Thị Theirs" not in values


def test_pages_and_a_capped_count(client, police, hamlet_a, monkeypatch) -> None:
    from accounts import audit_views

    monkeypatch.setattr(audit_views, "PAGE_SIZE", 2)
    monkeypatch.setattr(audit_views, "COUNT_CAP", 3)
    group = ZaloGroupFactory(hamlet=hamlet_a)
    MemberFactory.create_batch(5, group=group)
    client.force_login(police)
    first = client.get(URL).content.decode()
    assert "Hơn 3 mục" in first and "page=2" in first
    assert client.get(URL, {"page": "abc"}).status_code == 404
    assert client.get(URL, {"page": "500"}).status_code == 404


def test_the_reveal_log_is_linked_only_when_it_exists(client, police) -> None:
    from django.urls import NoReverseMatch

    client.force_login(police)
    html = client.get(URL).content.decode()
    try:
        reverse("reports:reveal-log")
    except NoReverseMatch:
        assert 'data-testid="reveal-log"' not in html
    else:
        assert 'data-testid="reveal-log"' in html


@pytest.mark.parametrize("size", [3, 30])
def test_query_count_does_not_grow(client, police, hamlet_a, size, django_assert_max_num_queries):
    group = ZaloGroupFactory(hamlet=hamlet_a)
    MemberFactory.create_batch(size, group=group)
    client.force_login(police)
    with django_assert_max_num_queries(16):
        assert client.get(URL).status_code == 200
