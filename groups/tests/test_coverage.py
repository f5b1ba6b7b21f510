"""Household coverage pages: the arithmetic, the scope of each persona, and flat query counts."""

from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from conftest import make_user
from groups.models import Member, ZaloGroup
from groups.tests.factories import (
    HamletFactory,
    MemberFactory,
    PeopleGroupFactory,
    ZaloGroupFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("groups:coverage")


def detail(hamlet) -> str:
    return reverse("groups:coverage-hamlet", args=[hamlet.pk])


class _TestIds(HTMLParser):
    def __init__(self, testid: str) -> None:
        super().__init__()
        self.testid = testid
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if values.get("data-testid") == self.testid:
            self.found.append(values)


def tagged(response, testid: str) -> list[dict[str, str]]:
    """The attributes of every element carrying data-testid=testid."""
    parser = _TestIds(testid)
    parser.feed(response.content.decode())
    return parser.found


def figures(attrs: dict[str, str]) -> dict[str, object]:
    """The counts of a row, and its percentage as a float (None when it is not known)."""
    counts = {key: attrs[f"data-{key}"] for key in ("households", "covered", "members", "groups")}
    return {**counts, "percent": float(attrs["data-percent"]) if attrs["data-percent"] else None}


def rows_by_hamlet(response) -> dict[int, dict[str, object]]:
    return {int(a["data-hamlet"]): figures(a) for a in tagged(response, "hamlet-row")}


@pytest.fixture
def roster(hamlet_a, hamlet_b) -> dict:
    """Hamlet A: 10 households, 3 of them covered; hamlet B: 1 covered, no households recorded."""
    hamlet_a.households = 10
    hamlet_a.save()
    group = ZaloGroupFactory(hamlet=hamlet_a)
    second = ZaloGroupFactory(hamlet=hamlet_a)
    archived = ZaloGroupFactory(hamlet=hamlet_a, status=ZaloGroup.Status.ARCHIVED)
    # One household with two representatives, spelt two ways, and a third in another group.
    MemberFactory(group=group, household="Số 1, tổ 1")
    MemberFactory(group=group, household="so 1, to 1")
    MemberFactory(group=second, household="SỐ 1,  TỔ 1")
    # Two representatives without an address: two households.
    MemberFactory(group=group, household="")
    MemberFactory(group=second, household="")
    # Not counted as households: one who left, a security team member, an archived group's member.
    MemberFactory(group=group, household="Số 2", left_on="2026-01-10")
    MemberFactory(group=group, household="Số 3", role=Member.Role.SECURITY_TEAM)
    MemberFactory(group=archived, household="Số 4")

    group_b = ZaloGroupFactory(hamlet=hamlet_b)
    MemberFactory(group=group_b, household="Số 9")
    return {"group": group, "group_b": group_b}


def test_hamlet_arithmetic(client, police, roster, hamlet_a, hamlet_b) -> None:
    client.force_login(police)
    rows = rows_by_hamlet(client.get(LIST))
    # 3 households: "Số 1, tổ 1" once, and the two members without an address one each.
    # Members: the 5 representatives and the security team member; the leaver and the archived
    # group's member are not active. Groups: the archived one is not counted.
    assert rows[hamlet_a.pk] == {
        "households": "10", "covered": "3", "members": "6", "groups": "2", "percent": 30.0,
    }  # fmt: skip
    # No households recorded: no percentage (the page shows "—"), and no division error.
    assert rows[hamlet_b.pk] == {
        "households": "0", "covered": "1", "members": "1", "groups": "1", "percent": None,
    }  # fmt: skip


def test_commune_totals(client, police, roster) -> None:
    client.force_login(police)
    [totals] = tagged(client.get(LIST), "totals")
    assert figures(totals) == {
        "households": "10", "covered": "4", "members": "7", "groups": "3", "percent": 40.0,
    }  # fmt: skip
    assert totals["data-hamlets"] == "2"


def test_hamlet_with_no_households_says_so(client, police, roster, hamlet_b) -> None:
    client.force_login(police)
    response = client.get(detail(hamlet_b))
    assert response.status_code == 200
    assert tagged(response, "no-households")
    [summary] = tagged(response, "hamlet-summary")
    assert summary["data-percent"] == "" and summary["data-covered"] == "1"


def test_percentage_is_capped_but_raw_numbers_kept(client, police, hamlet_a) -> None:
    hamlet_a.households = 2
    hamlet_a.save()
    people = PeopleGroupFactory(hamlet=hamlet_a, households=1)
    group = ZaloGroupFactory(hamlet=hamlet_a, people_group=people)
    for _ in range(3):
        MemberFactory(group=group, people_group=people)
    client.force_login(police)
    row = rows_by_hamlet(client.get(LIST))[hamlet_a.pk]
    assert (row["covered"], row["households"], row["percent"]) == ("3", "2", 100.0)
    response = client.get(detail(hamlet_a))
    [row] = [figures(a) for a in tagged(response, "people-group-row")]
    assert (row["covered"], row["households"], row["percent"]) == ("3", "1", 100.0)
    assert tagged(response, "over-covered")


def test_percentage_is_rounded_half_up_and_below_target_judged_exactly(
    client, police, commune, hamlet_a
) -> None:
    """2 of 3 reads 66,7% (half up, as officials round), yet a 67% target is still missed."""
    commune.coverage_target = 67
    commune.save()
    hamlet_a.households = 3
    hamlet_a.save()
    group = ZaloGroupFactory(hamlet=hamlet_a)
    MemberFactory.create_batch(2, group=group)
    client.force_login(police)
    response = client.get(LIST)
    assert rows_by_hamlet(response)[hamlet_a.pk]["percent"] == 66.7
    assert "66,7%" in response.text
    assert 'data-testid="below-badge"' in response.text


@pytest.fixture
def people_groups(commune, hamlet_a, hamlet_b) -> dict:
    """Under a 50% target: a1 is below (1 of 4), a2 reaches it (1 of 2), a3 has no households
    recorded, b1 is below (0 of 10)."""
    commune.coverage_target = 50
    commune.save()
    made = {
        "a1": PeopleGroupFactory(hamlet=hamlet_a, name="Tổ 1", households=4),
        "a2": PeopleGroupFactory(hamlet=hamlet_a, name="Tổ 2", households=2),
        "a3": PeopleGroupFactory(hamlet=hamlet_a, name="Tổ 3", households=0),
        "b1": PeopleGroupFactory(hamlet=hamlet_b, name="Tổ 1", households=10),
    }
    group_a = ZaloGroupFactory(hamlet=hamlet_a)
    for key in ("a1", "a2", "a3"):
        MemberFactory(group=group_a, people_group=made[key])
    MemberFactory(group=group_a, people_group=made["a1"], left_on="2026-02-01")
    return made


def below(response) -> list[tuple[int, str]]:
    return [(int(a["data-people-group"]), a["data-target"]) for a in tagged(response, "below-row")]


def test_below_target_uses_the_communes_target(client, police, people_groups) -> None:
    client.force_login(police)
    # Lowest coverage first; the group with no households recorded is not listed.
    assert below(client.get(LIST)) == [
        (people_groups["b1"].pk, "50"),
        (people_groups["a1"].pk, "50"),
    ]


def test_below_target_with_the_default_target_of_100(client, police, commune, people_groups):
    commune.coverage_target = 100
    commune.save()
    client.force_login(police)
    assert [pk for pk, _target in below(client.get(LIST))] == [
        people_groups["b1"].pk,
        people_groups["a1"].pk,
        people_groups["a2"].pk,
    ]


def test_below_target_is_scoped(client, officer_a, people_groups) -> None:
    client.force_login(officer_a)
    assert below(client.get(LIST)) == [(people_groups["a1"].pk, "50")]


def test_nothing_below_target(client, police, hamlet_a) -> None:
    client.force_login(police)
    response = client.get(LIST)
    assert below(response) == [] and tagged(response, "below-target-empty")


def test_people_groups_of_a_hamlet(client, officer_a, people_groups, hamlet_a) -> None:
    client.force_login(officer_a)
    response = client.get(detail(hamlet_a))
    rows = {
        int(a["data-people-group"]): {**figures(a), "below": a["data-below"]}
        for a in tagged(response, "people-group-row")
    }
    assert set(rows) == {people_groups[k].pk for k in ("a1", "a2", "a3")}
    a1, a2, a3 = (rows[people_groups[k].pk] for k in ("a1", "a2", "a3"))
    # a1: 2 members, one of whom left.
    assert (a1["covered"], a1["members"], a1["percent"], a1["below"]) == ("1", "1", 25.0, "1")
    assert (a2["percent"], a2["below"]) == (50.0, "0")
    assert (a3["percent"], a3["below"]) == (None, "0")


def test_hamlet_without_people_groups(client, police, hamlet_b) -> None:
    client.force_login(police)
    assert tagged(client.get(detail(hamlet_b)), "no-people-groups")


def test_hamlet_page_links_the_posters_of_active_groups(client, head_b, hamlet_b) -> None:
    group = ZaloGroupFactory(hamlet=hamlet_b)
    ZaloGroupFactory(hamlet=hamlet_b, status=ZaloGroup.Status.ARCHIVED)
    client.force_login(head_b)
    links = [a["href"] for a in tagged(client.get(detail(hamlet_b)), "poster-link")]
    assert links == [reverse("groups:group-poster", args=[group.pk])]


# --- Scope and permissions ------------------------------------------------------------------


def listed(client, user: User) -> set[int]:
    client.force_login(user)
    response = client.get(LIST)
    assert response.status_code == 200
    return set(rows_by_hamlet(response))


def test_commune_wide_roles_see_every_hamlet_of_their_commune(client, personas, hamlet_a, hamlet_b):
    for name in ("police", "party_office", "leader"):
        assert listed(client, personas[name]) == {hamlet_a.pk, hamlet_b.pk}, name


def test_each_persona_sees_only_its_hamlets(client, personas, hamlet_a, hamlet_b, hamlet_elsewhere):
    assert listed(client, personas["officer_a"]) == {hamlet_a.pk}
    assert listed(client, personas["head_b"]) == {hamlet_b.pk}
    assert listed(client, personas["outsider"]) == {hamlet_elsewhere.pk}


def test_hamlet_head_totals_are_their_hamlets_only(client, head_b, roster) -> None:
    client.force_login(head_b)
    [totals] = tagged(client.get(LIST), "totals")
    assert (totals["data-hamlets"], totals["data-covered"]) == ("1", "1")


@pytest.mark.parametrize(
    ("persona", "hamlet", "status"),
    [
        ("officer_a", "hamlet_a", 200),
        ("officer_a", "hamlet_b", 404),
        ("head_b", "hamlet_b", 200),
        ("head_b", "hamlet_a", 404),
        ("outsider", "hamlet_a", 404),
        ("leader", "hamlet_b", 200),
        ("police", "hamlet_elsewhere", 404),
    ],
)
def test_detail_of_a_hamlet_out_of_scope_is_missing(
    client, personas, request, persona, hamlet, status
):
    client.force_login(personas[persona])
    assert client.get(detail(request.getfixturevalue(hamlet))).status_code == status


def test_detail_of_a_hamlet_that_does_not_exist(client, police) -> None:
    client.force_login(police)
    assert client.get(reverse("groups:coverage-hamlet", args=[999999])).status_code == 404


def test_anonymous_is_sent_to_login(client, hamlet_a) -> None:
    for url in (LIST, detail(hamlet_a)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"


def test_no_role_means_no_coverage(client, commune, hamlet_a) -> None:
    user = make_user("nobody", None, commune, [hamlet_a])
    client.force_login(user)
    assert client.get(LIST).status_code == 403
    # The hamlet is in the user's scope but the permission is missing: 403, not 404.
    assert client.get(detail(hamlet_a)).status_code == 403
    assert 'data-nav="coverage"' not in client.get("/").content.decode()


def test_navigation_links_the_coverage_page(client, head_b) -> None:
    client.force_login(head_b)
    assert f'data-nav="coverage" href="{LIST}"' in client.get("/").content.decode()


def test_no_hamlet_in_scope_shows_an_empty_state(client, commune) -> None:
    from accounts.roles import Role

    client.force_login(make_user("new_officer", Role.AREA_OFFICER, commune))
    response = client.get(LIST)
    assert response.status_code == 200
    assert tagged(response, "no-hamlets") and not tagged(response, "coverage-table")
    assert b'id="coverage-data"' not in response.content


def test_chart_data_matches_the_table(client, police, roster, hamlet_a, hamlet_b) -> None:
    client.force_login(police)
    response = client.get(LIST)
    chart = response.context["chart"]
    assert chart["labels"] == [hamlet_a.name, hamlet_b.name]
    assert chart["values"] == [30.0, None]
    assert chart["covered"] == [3, 1] and chart["households"] == [10, 0]
    html = response.content.decode()
    assert 'id="coverage-data"' in html and "vendor/chart.js/chart.umd.min" in html
    assert "js/coverage-chart" in html


# --- Flat query counts ------------------------------------------------------------------


def build(commune, hamlets: int, groups: int, members: int) -> None:
    """`hamlets` hamlets, each with `groups` people's groups, a Zalo group per people's group
    and `members` members in each."""
    for h in range(hamlets):
        hamlet = HamletFactory(commune=commune, households=50)
        for g in range(groups):
            people = PeopleGroupFactory(hamlet=hamlet, households=10)
            zalo = ZaloGroupFactory(hamlet=hamlet, people_group=people)
            MemberFactory.create_batch(
                members, group=zalo, people_group=people, household=f"Số {h}-{g}"
            )
            MemberFactory(group=zalo, people_group=people, household="")


def count_queries(client, url: str) -> int:
    client.get(url)  # steady state: the user's access is cached after a first request
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_coverage_pages_run_a_flat_number_of_queries(
    client, police, commune, django_assert_max_num_queries
) -> None:
    client.force_login(police)
    build(commune, hamlets=2, groups=1, members=2)
    small_list = count_queries(client, LIST)
    small_detail = count_queries(client, detail(commune.hamlets.order_by("pk").last()))

    build(commune, hamlets=10, groups=4, members=6)
    large_detail = detail(commune.hamlets.order_by("pk").last())
    with django_assert_max_num_queries(small_list):
        client.get(LIST)
    with django_assert_max_num_queries(small_detail):
        client.get(large_detail)
    assert count_queries(client, LIST) == small_list
    assert count_queries(client, large_detail) == small_detail
    # What the pages themselves run (the rest is the session, the user, permissions, the menu).
    assert small_list <= 11 and small_detail <= 13
