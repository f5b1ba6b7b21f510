"""Sổ thành viên (/members/): scope, permission, search, filters, order, paging, flat queries."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission

from accounts.models import User
from groups.models import Member
from groups.tests.factories import MemberFactory, PeopleGroupFactory, ZaloGroupFactory

pytestmark = pytest.mark.django_db

LIST = "/members/"
EXPORT = "/members/export/"


def detail(member: Member) -> str:
    return f"/members/{member.pk}/"


@pytest.fixture
def roster(hamlet_a, hamlet_b, hamlet_elsewhere) -> dict:
    group_a = ZaloGroupFactory(hamlet=hamlet_a, code="nhom-a", name="Nhóm Ấp A")
    group_b = ZaloGroupFactory(hamlet=hamlet_b, code="nhom-b", name="Nhóm Ấp B")
    group_x = ZaloGroupFactory(hamlet=hamlet_elsewhere, code="nhom-x", name="Nhóm xã khác")
    to_1 = PeopleGroupFactory(hamlet=hamlet_a, name="Tổ 1")
    return {
        "group_a": group_a,
        "group_b": group_b,
        "to_1": to_1,
        "duc": MemberFactory(
            group=group_a, full_name="Nguyễn Văn Đức", phone="0912345678", people_group=to_1,
            joined_on=datetime.date(2025, 9, 1), role=Member.Role.SECURITY_TEAM,
        ),
        "hoa": MemberFactory(
            group=group_b, full_name="Trần Thị Hoà", phone="0987654321",
            joined_on=datetime.date(2024, 1, 1),
        ),
        "lan": MemberFactory(
            group=group_a, full_name="Lê Thị Lan", phone="0905000111",
            joined_on=datetime.date(2023, 5, 5), left_on=datetime.date(2025, 1, 1),
        ),
        "far": MemberFactory(group=group_x, full_name="Nguyễn Văn Xa", phone="0977000111"),
    }  # fmt: skip


def shown(response) -> list[str]:
    assert response.status_code == 200
    return [m.full_name for m in response.context["page"].object_list]


def test_police_see_their_commune_in_name_order(client, police, roster) -> None:
    client.force_login(police)
    response = client.get(LIST)
    assert shown(response) == ["Lê Thị Lan", "Nguyễn Văn Đức", "Trần Thị Hoà"]
    html = response.content.decode()
    assert "Nguyễn Văn Xa" not in html and "0912 345 678" in html
    assert f'href="{detail(roster["duc"])}"' in html


def test_an_area_officer_sees_only_their_hamlets(client, officer_a, roster) -> None:
    client.force_login(officer_a)
    response = client.get(LIST)
    assert shown(response) == ["Lê Thị Lan", "Nguyễn Văn Đức"]
    # Options from the scope only: one hamlet, so its groups are listed.
    form = response.context["filter"].form
    assert [str(h) for h in form.fields["hamlet"].queryset] == [roster["group_a"].hamlet.name]
    assert [label for _v, label in form.fields["group"].widget.choices][1:] == ["Nhóm Ấp A"]
    assert shown(client.get(LIST, {"group": roster["group_b"].pk})) == []


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("nguyen van duc", ["Nguyễn Văn Đức"]),
        ("NGUYỄN văn", ["Nguyễn Văn Đức"]),
        ("0912 345", ["Nguyễn Văn Đức"]),
        ("+84987654321", ["Trần Thị Hoà"]),
        ("thi", ["Lê Thị Lan", "Trần Thị Hoà"]),
    ],
)
def test_search_is_diacritic_blind_and_reads_any_phone_format(
    client, police, roster, term, expected
) -> None:
    client.force_login(police)
    assert shown(client.get(LIST, {"q": term})) == expected


def test_filters(client, police, roster, hamlet_b) -> None:
    client.force_login(police)
    assert shown(client.get(LIST, {"hamlet": hamlet_b.pk})) == ["Trần Thị Hoà"]
    assert shown(client.get(LIST, {"people_group": roster["to_1"].pk})) == ["Nguyễn Văn Đức"]
    assert shown(client.get(LIST, {"role": "security_team"})) == ["Nguyễn Văn Đức"]
    assert shown(client.get(LIST, {"active": "no"})) == ["Lê Thị Lan"]
    assert shown(client.get(LIST, {"active": "yes", "group": roster["group_a"].pk})) == [
        "Nguyễn Văn Đức"
    ]


def test_group_options_follow_the_chosen_hamlet(client, police, roster, hamlet_a, hamlet_b):
    client.force_login(police)
    form = client.get(LIST).context["filter"].form
    # Two hamlets and none chosen: no group listed (a wide scope has hundreds).
    assert form.fields["group"].widget.is_hidden and form.fields["people_group"].widget.is_hidden
    form = client.get(LIST, {"hamlet": hamlet_b.pk}).context["filter"].form
    assert [label for _v, label in form.fields["group"].widget.choices][1:] == ["Nhóm Ấp B"]
    assert len(form.fields["people_group"].widget.choices) == 1  # only the empty choice


def test_an_id_out_of_scope_selects_nothing(client, police, roster, hamlet_elsewhere) -> None:
    client.force_login(police)
    assert shown(client.get(LIST, {"hamlet": hamlet_elsewhere.pk})) == []
    assert shown(client.get(LIST, {"group": "abc"})) == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Lê Thị Lan", "Nguyễn Văn Đức", "Trần Thị Hoà"]),
        ("-name", ["Trần Thị Hoà", "Nguyễn Văn Đức", "Lê Thị Lan"]),
        ("phone", ["Lê Thị Lan", "Nguyễn Văn Đức", "Trần Thị Hoà"]),
        ("-phone", ["Trần Thị Hoà", "Nguyễn Văn Đức", "Lê Thị Lan"]),
        ("group", ["Lê Thị Lan", "Nguyễn Văn Đức", "Trần Thị Hoà"]),
        ("-group", ["Trần Thị Hoà", "Nguyễn Văn Đức", "Lê Thị Lan"]),
        ("joined", ["Lê Thị Lan", "Trần Thị Hoà", "Nguyễn Văn Đức"]),
        ("-joined", ["Nguyễn Văn Đức", "Trần Thị Hoà", "Lê Thị Lan"]),
    ],
)
def test_sorting(client, police, roster, sort, expected) -> None:
    client.force_login(police)
    assert shown(client.get(LIST, {"sort": sort})) == expected


def test_equal_values_keep_a_stable_order_across_pages(client, police, roster) -> None:
    MemberFactory.create_batch(60, group=roster["group_a"], full_name="Phạm Văn Bình")
    client.force_login(police)
    first = client.get(LIST, {"q": "pham van binh", "sort": "group"}).context["page"]
    second = client.get(LIST, {"q": "pham van binh", "sort": "group", "page": 2}).context["page"]
    pks = [m.pk for m in first.object_list] + [m.pk for m in second.object_list]
    assert len(first.object_list) == 50 and len(pks) == len(set(pks)) == 60
    assert pks == sorted(pks)


def test_the_count_is_capped(client, police, roster, monkeypatch) -> None:
    from groups.admin import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "CAP", 1)
    client.force_login(police)
    response = client.get(LIST)
    assert response.context["capped"]
    # The list ends on its first page: it shows all its rows, however low the cap.
    assert len(response.context["page"].object_list) == 3
    assert not client.get(LIST, {"q": "nguyen van duc"}).context["capped"]


def test_an_empty_result_says_what_to_do(client, police, roster) -> None:
    client.force_login(police)
    html = client.get(LIST, {"q": "khong co ai"}).content.decode()
    assert 'data-testid="roster-empty"' in html and 'href="/members/"' in html


def test_the_list_queries_stay_flat_as_the_roster_grows(
    client, police, roster, django_assert_max_num_queries
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(police)
    client.get(LIST)  # the session's first request writes more
    hamlet = {"hamlet": roster["group_a"].hamlet_id}
    with CaptureQueriesContext(connection) as short:
        assert client.get(LIST, hamlet).status_code == 200

    def grow(people_group: str) -> None:
        for group in (roster["group_a"], roster["group_b"]):
            in_group = PeopleGroupFactory(hamlet=group.hamlet, name=people_group)
            MemberFactory.create_batch(60, group=group, people_group=in_group)

    grow("Tổ 8")
    with CaptureQueriesContext(connection) as long:
        assert client.get(LIST, hamlet).status_code == 200
    assert len(short) == len(long) - 1  # a list that ends on its first page needs no COUNT
    grow("Tổ 9")
    for query in (hamlet, {"q": "nguyen"}, {"page": "2"}):
        with django_assert_max_num_queries(len(long)):
            assert client.get(LIST, query).status_code == 200


def test_the_detail_shows_the_member_and_their_history(client, police, roster) -> None:
    from auditlog.context import set_actor

    from groups.services import member_mark_left

    with set_actor(police):
        member_mark_left(
            actor=police,
            members=Member.objects.filter(pk=roster["duc"].pk),
            left_on=datetime.date(2026, 1, 2),
        )
    client.force_login(police)
    html = client.get(detail(roster["duc"])).content.decode()
    fields, history = html.split('data-testid="member-history"', 1)
    assert "Nguyễn Văn Đức" in fields and "0912 345 678" in fields and "Nhóm Ấp A" in fields
    assert "02/01/2026" in fields and "Tổ 1" in fields and "01/09/2025" in fields
    assert "police (test)" in history and "02/01/2026" in history  # a date as the portal prints it
    assert f'href="/admin/groups/member/{roster["duc"].pk}/change/"' in html


def test_the_edit_link_needs_the_change_permission(client, commune, roster) -> None:
    reader = User.objects.create_user(username="reader", commune=commune)
    reader.user_permissions.add(
        Permission.objects.get(codename="view_member"),
        Permission.objects.get(codename="view_all_hamlets"),
    )
    client.force_login(reader)
    response = client.get(detail(roster["duc"]))
    assert response.status_code == 200
    assert 'data-testid="edit-in-admin"' not in response.content.decode()


def test_another_hamlets_or_communes_member_is_missing(client, officer_a, police, roster):
    client.force_login(officer_a)
    assert client.get(detail(roster["hoa"])).status_code == 404
    assert client.get(detail(roster["far"])).status_code == 404
    assert client.get("/members/999999/").status_code == 404
    client.force_login(police)
    assert client.get(detail(roster["far"])).status_code == 404


def test_anonymous_is_sent_to_the_login(client, roster) -> None:
    for url in (LIST, EXPORT, detail(roster["duc"])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("persona", ["head_b", "party_office", "leader"])
def test_who_may_not_see_members_is_refused(client, request, roster, persona) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(LIST).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert client.get(EXPORT, {"format": "pdf"}).status_code == 403


def test_the_hamlet_head_is_refused_their_own_hamlets_member(client, head_b, roster) -> None:
    client.force_login(head_b)
    assert client.get(detail(roster["hoa"])).status_code == 403  # in scope, no permission
    assert client.get(detail(roster["duc"])).status_code == 404  # out of scope


def test_the_navigation_links_the_roster_for_who_may_see_it(client, officer_a, head_b) -> None:
    client.force_login(officer_a)
    assert 'data-nav="members" href="/members/"' in client.get("/").content.decode()
    client.force_login(head_b)
    assert 'data-nav="members"' not in client.get("/").content.decode()


def test_the_detail_queries_stay_flat_as_the_history_grows(
    client, police, roster, django_assert_max_num_queries
) -> None:
    from auditlog.context import set_actor
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member = roster["duc"]
    client.force_login(police)
    client.get(detail(member))  # the session's first request writes more
    with CaptureQueriesContext(connection) as one_entry:
        assert client.get(detail(member)).status_code == 200
    with set_actor(police):
        for number in range(5):
            member.notes = f"ghi chú {number}"
            member.save()
    with django_assert_max_num_queries(len(one_entry)):
        html = client.get(detail(member)).content.decode()
    assert "ghi chú 4" in html and html.count("police (test)") >= 5
