"""The register's REST API: scope, permissions, search, filters, writes, coverage, query counts."""

import datetime
import decimal
import unicodedata

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from accounts.models import User
from groups.api import CappedCountPagination
from groups.models import Commune, Hamlet, Member, ZaloGroup
from groups.normalize import InvalidPhone
from groups.tests.factories import (
    CommuneFactory,
    HamletFactory,
    MemberFactory,
    PeopleGroupFactory,
    ZaloGroupFactory,
)

pytestmark = pytest.mark.django_db

DUC = "Nguyễn Văn Đức"
DUC_PHONE = "+84912345678"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def as_user(api: APIClient, user: User) -> APIClient:
    api.force_login(user)
    return api


@pytest.fixture
def register(hamlet_a, hamlet_b, hamlet_elsewhere) -> dict:
    """A group with two members in each of hamlets A and B, and one in another commune."""
    group_a = ZaloGroupFactory(hamlet=hamlet_a, code="ap-a", name="Zalo ấp A")
    group_b = ZaloGroupFactory(hamlet=hamlet_b, code="ap-b", name="Zalo ấp B")
    group_x = ZaloGroupFactory(hamlet=hamlet_elsewhere, code="ap-x", name="Zalo ấp X")
    return {
        "group_a": group_a,
        "group_b": group_b,
        "group_x": group_x,
        "duc": MemberFactory(group=group_a, full_name=DUC, phone=DUC_PHONE, household="Số 5, tổ 1"),
        "hoa": MemberFactory(group=group_a, full_name="Trần Thị Hòa", phone="+84987654321"),
        "duc_b": MemberFactory(group=group_b, full_name="Lê Văn Đức", phone="+84901234567"),
        "other_b": MemberFactory(group=group_b, full_name="Võ Thị Lan"),
        "duc_x": MemberFactory(group=group_x, full_name=DUC, phone="+84912345679"),
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- Anonymous, other hamlets and communes, missing permissions -----------------------------


def endpoints(register: dict) -> list[tuple[str, str]]:
    group_a, duc = register["group_a"], register["duc"]
    hamlet = group_a.hamlet
    return [
        ("get", "/api/v1/communes/"),
        ("get", f"/api/v1/communes/{hamlet.commune_id}/"),
        ("get", "/api/v1/hamlets/"),
        ("get", f"/api/v1/hamlets/{hamlet.pk}/"),
        ("patch", f"/api/v1/hamlets/{hamlet.pk}/"),
        ("get", f"/api/v1/hamlets/{hamlet.pk}/coverage/"),
        ("get", "/api/v1/groups/"),
        ("post", "/api/v1/groups/"),
        ("get", f"/api/v1/groups/{group_a.pk}/"),
        ("patch", f"/api/v1/groups/{group_a.pk}/"),
        ("get", "/api/v1/members/"),
        ("post", "/api/v1/members/"),
        ("get", f"/api/v1/members/{duc.pk}/"),
        ("patch", f"/api/v1/members/{duc.pk}/"),
        ("put", f"/api/v1/members/{duc.pk}/"),
    ]


def test_anonymous_gets_401_everywhere(api, register) -> None:
    for method, url in endpoints(register):
        response = getattr(api, method)(url, {}, format="json")
        assert response.status_code == 401, (method, url)
        assert response["WWW-Authenticate"].startswith("Token")


def test_another_communes_police_gets_404_on_our_objects_and_sees_none_in_lists(
    api, register, outsider
) -> None:
    as_user(api, outsider)
    for method, url in endpoints(register):
        if "/communes/" in url or url.endswith("s/"):
            continue  # lists: checked below
        assert getattr(api, method)(url, {}, format="json").status_code == 404, (method, url)
    assert ids(api.get("/api/v1/communes/")) == [outsider.commune_id]
    assert api.get(f"/api/v1/communes/{register['group_a'].hamlet.commune_id}/").status_code == 404
    assert ids(api.get("/api/v1/hamlets/")) == [register["group_x"].hamlet_id]
    assert ids(api.get("/api/v1/groups/")) == [register["group_x"].pk]
    assert ids(api.get("/api/v1/members/")) == [register["duc_x"].pk]
    assert ids(api.get("/api/v1/members/", {"search": "nguyen van duc"})) == [register["duc_x"].pk]


@pytest.mark.parametrize("persona", ["head_b", "party_office", "leader"])
def test_roles_without_view_member_get_403_on_members(api, register, personas, persona) -> None:
    as_user(api, personas[persona])
    duc_b = register["duc_b"]
    assert api.get("/api/v1/members/").status_code == 403
    assert api.get(f"/api/v1/members/{duc_b.pk}/").status_code == 403
    assert api.get("/api/v1/members/", {"search": "0901"}).status_code == 403


@pytest.mark.parametrize("persona", ["head_b", "party_office", "leader"])
def test_readers_cannot_write(api, register, personas, persona) -> None:
    as_user(api, personas[persona])
    group_b, duc_b = register["group_b"], register["duc_b"]
    hamlet_b = group_b.hamlet
    new_group = {"code": "moi", "name": "Mới", "hamlet": hamlet_b.pk}
    assert api.post("/api/v1/groups/", new_group, format="json").status_code == 403
    assert api.patch(f"/api/v1/groups/{group_b.pk}/", {"status": "archived"}).status_code == 403
    assert api.patch(f"/api/v1/hamlets/{hamlet_b.pk}/", {"households": 1}).status_code == 403
    member = {"group": group_b.pk, "full_name": "A", "phone": "0912000111"}
    assert api.post("/api/v1/members/", member, format="json").status_code == 403
    assert api.patch(f"/api/v1/members/{duc_b.pk}/", {"notes": "x"}).status_code == 403
    group_b.refresh_from_db()
    hamlet_b.refresh_from_db()
    assert group_b.status == ZaloGroup.Status.ACTIVE and hamlet_b.households == 0
    assert not ZaloGroup.objects.filter(code="moi").exists()
    assert not Member.objects.filter(full_name="A").exists()


def test_hamlet_head_reads_own_hamlet_and_its_groups_only(api, register, head_b) -> None:
    as_user(api, head_b)
    group_a, group_b = register["group_a"], register["group_b"]
    assert ids(api.get("/api/v1/hamlets/")) == [group_b.hamlet_id]
    assert ids(api.get("/api/v1/groups/")) == [group_b.pk]
    assert api.get(f"/api/v1/groups/{group_a.pk}/").status_code == 404
    assert api.get(f"/api/v1/hamlets/{group_a.hamlet_id}/").status_code == 404
    assert api.get(f"/api/v1/hamlets/{group_a.hamlet_id}/coverage/").status_code == 404
    assert api.get(f"/api/v1/hamlets/{group_b.hamlet_id}/coverage/").status_code == 200


@pytest.mark.parametrize("persona", ["police", "officer_a", "head_b"])
def test_delete_is_not_offered(api, register, personas, persona) -> None:
    as_user(api, personas[persona])
    group_b, duc_b = register["group_b"], register["duc_b"]
    assert api.delete(f"/api/v1/groups/{group_b.pk}/").status_code == 405
    assert api.delete(f"/api/v1/members/{duc_b.pk}/").status_code == 405
    assert api.delete(f"/api/v1/hamlets/{group_b.hamlet_id}/").status_code == 405
    assert api.delete("/api/v1/members/").status_code == 405
    assert ZaloGroup.objects.filter(pk=group_b.pk).exists()
    assert Member.objects.filter(pk=duc_b.pk).exists()


# --- Communes and hamlets -------------------------------------------------------------------


def test_communes_are_the_callers_own(api, commune, head_b) -> None:
    as_user(api, head_b)
    response = api.get("/api/v1/communes/")
    assert response.json() == {
        "count": 1,
        "count_exact": True,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": commune.pk,
                "code": "25387",
                "name": "Xã Thuận Lợi",
                "province": "Tỉnh Đồng Nai",
                "coverage_target": 100,
            }
        ],
    }


def test_superuser_sees_every_commune(api, commune, other_commune) -> None:
    root = User.objects.create_superuser("root", password="x-long-enough-password-1")
    as_user(api, root)
    assert sorted(ids(api.get("/api/v1/communes/"))) == sorted([commune.pk, other_commune.pk])


def test_hamlets_in_scope(api, personas, hamlet_a, hamlet_b, commune) -> None:
    as_user(api, personas["police"])
    assert ids(api.get("/api/v1/hamlets/")) == [hamlet_a.pk, hamlet_b.pk]
    as_user(api, personas["officer_a"])
    assert ids(api.get("/api/v1/hamlets/")) == [hamlet_a.pk]
    assert api.get(f"/api/v1/hamlets/{hamlet_b.pk}/").status_code == 404
    assert api.get(f"/api/v1/hamlets/{hamlet_a.pk}/").json() == {
        "id": hamlet_a.pk,
        "commune": commune.pk,
        "code": "A",
        "name": "Ấp Thuận Hòa",
        "households": 0,
        "population": None,
        "latitude": None,
        "longitude": None,
        "boundary": None,
    }


def test_a_hamlets_place_is_read_not_written(api, officer_a, hamlet_a) -> None:
    square = [[106.3, 11.2], [106.31, 11.2], [106.31, 11.21], [106.3, 11.21], [106.3, 11.2]]
    outline = {"type": "Polygon", "coordinates": [square]}
    Hamlet.objects.filter(pk=hamlet_a.pk).update(
        latitude=decimal.Decimal("11.205"), longitude=decimal.Decimal("106.305"), boundary=outline
    )
    as_user(api, officer_a)
    url = f"/api/v1/hamlets/{hamlet_a.pk}/"
    place = {k: api.get(url).json()[k] for k in ("latitude", "longitude", "boundary")}
    assert place == {"latitude": "11.205000", "longitude": "106.305000", "boundary": outline}
    moved = {"latitude": "10.0", "longitude": "106.0", "boundary": None, "households": 3}
    assert api.patch(url, moved, format="json").status_code == 200
    hamlet_a.refresh_from_db()
    assert (hamlet_a.latitude, hamlet_a.boundary, hamlet_a.households) == (
        decimal.Decimal("11.205"), outline, 3
    )  # fmt: skip


def test_area_officer_updates_households_of_own_hamlet_only(
    api, officer_a, hamlet_a, hamlet_b
) -> None:
    as_user(api, officer_a)
    response = api.patch(
        f"/api/v1/hamlets/{hamlet_a.pk}/",
        {"households": 120, "population": 480, "name": "Đổi tên", "code": "Z"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["households"], response.json()["name"]) == (120, "Ấp Thuận Hòa")
    hamlet_a.refresh_from_db()
    assert (hamlet_a.households, hamlet_a.population, hamlet_a.code) == (120, 480, "A")
    assert api.patch(f"/api/v1/hamlets/{hamlet_b.pk}/", {"households": 5}).status_code == 404
    bad = api.patch(f"/api/v1/hamlets/{hamlet_a.pk}/", {"households": -1}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"households"}


# --- Coverage -------------------------------------------------------------------------------


def test_coverage_arithmetic(api, head_b, police, hamlet_a, hamlet_b, commune) -> None:
    commune.coverage_target = 80
    commune.save()
    hamlet_a.households = 10
    hamlet_a.save()
    to_1 = PeopleGroupFactory(hamlet=hamlet_a, name="Tổ 1", households=4)
    to_2 = PeopleGroupFactory(hamlet=hamlet_a, name="Tổ 2", households=0)
    group = ZaloGroupFactory(hamlet=hamlet_a)
    archived = ZaloGroupFactory(hamlet=hamlet_a, status=ZaloGroup.Status.ARCHIVED)
    rep = Member.Role.HOUSEHOLD
    # Two spellings of one address: one household.
    MemberFactory(group=group, role=rep, household="Số 5 tổ 1", people_group=to_1)
    MemberFactory(group=group, role=rep, household="SỐ 5  Tổ 1", people_group=to_1)
    # No household recorded: each counts as one.
    MemberFactory(group=group, role=rep, household="", people_group=to_1)
    MemberFactory(group=group, role=rep, household="")
    # Active, but not a household representative.
    MemberFactory(group=group, role=Member.Role.SECURITY_TEAM, household="Số 9")
    # Not counted at all: has left; in an archived group; in another hamlet.
    MemberFactory(
        group=group,
        household="Số 7",
        people_group=to_1,
        left_on=datetime.date(2025, 10, 1),
    )
    MemberFactory(group=archived, household="Số 8", people_group=to_1)
    MemberFactory(group=ZaloGroupFactory(hamlet=hamlet_b), household="Số 10")

    as_user(api, police)
    response = api.get(f"/api/v1/hamlets/{hamlet_a.pk}/coverage/")
    assert response.status_code == 200
    assert response.json() == {
        "hamlet": hamlet_a.pk,
        "name": "Ấp Thuận Hòa",
        "households": 10,
        "households_reached": 3,
        "coverage_percent": 30.0,
        "coverage_target": 80,
        "active_members": 5,
        "active_groups": 1,
        "people_groups": [
            {
                "id": to_1.pk,
                "name": "Tổ 1",
                "households": 4,
                "households_reached": 2,
                "coverage_percent": 50.0,
                "active_members": 3,
            },
            {
                "id": to_2.pk,
                "name": "Tổ 2",
                "households": 0,
                "households_reached": 0,
                "coverage_percent": None,
                "active_members": 0,
            },
        ],
    }
    as_user(api, head_b)  # a hamlet head reads coverage of the own hamlet only
    assert api.get(f"/api/v1/hamlets/{hamlet_a.pk}/coverage/").status_code == 404


def test_coverage_of_an_empty_hamlet(api, leader, hamlet_b) -> None:
    as_user(api, leader)
    body = api.get(f"/api/v1/hamlets/{hamlet_b.pk}/coverage/").json()
    assert body["households_reached"] == 0 and body["coverage_percent"] is None
    assert body["people_groups"] == []


# --- Zalo groups ----------------------------------------------------------------------------


def test_groups_in_scope_and_filters(api, register, police, officer_a) -> None:
    group_a, group_b = register["group_a"], register["group_b"]
    archived = ZaloGroupFactory(
        hamlet=group_a.hamlet, name="Zalo ấp A cũ", status=ZaloGroup.Status.ARCHIVED
    )
    as_user(api, officer_a)
    assert ids(api.get("/api/v1/groups/")) == [group_a.pk, archived.pk]
    assert api.get(f"/api/v1/groups/{group_b.pk}/").status_code == 404
    as_user(api, police)
    assert ids(api.get("/api/v1/groups/")) == [group_a.pk, archived.pk, group_b.pk]
    assert ids(api.get("/api/v1/groups/", {"hamlet": group_b.hamlet_id})) == [group_b.pk]
    assert ids(api.get("/api/v1/groups/", {"status": "archived"})) == [archived.pk]
    assert api.get("/api/v1/groups/", {"status": "gone"}).status_code == 400


def test_area_officer_creates_and_archives_a_group_in_own_hamlet(
    api, register, officer_a, hamlet_a
) -> None:
    to_1 = PeopleGroupFactory(hamlet=hamlet_a)
    as_user(api, officer_a)
    response = api.post(
        "/api/v1/groups/",
        {
            "code": "ap-a-to-1",
            "name": "Zalo tổ 1 ấp Thuận Hòa",
            "hamlet": hamlet_a.pk,
            "people_group": to_1.pk,
            "invite_link": "https://zalo.me/g/abcd1234",
            "created_on": "2025-09-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    group = ZaloGroup.objects.get(code="ap-a-to-1")
    assert response.json() == {
        "id": group.pk,
        "code": "ap-a-to-1",
        "name": "Zalo tổ 1 ấp Thuận Hòa",
        "hamlet": hamlet_a.pk,
        "people_group": to_1.pk,
        "invite_link": "https://zalo.me/g/abcd1234",
        "created_on": "2025-09-01",
        "status": "active",
        "rules": "",
        "rules_agreed_on": None,
        "notes": "",
    }
    response = api.patch(f"/api/v1/groups/{group.pk}/", {"status": "archived"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "archived"
    group.refresh_from_db()
    assert group.status == ZaloGroup.Status.ARCHIVED


def test_area_officer_cannot_create_or_change_a_group_of_another_hamlet(
    api, register, officer_a, hamlet_a, hamlet_b
) -> None:
    as_user(api, officer_a)
    to_b = PeopleGroupFactory(hamlet=hamlet_b)
    response = api.post(
        "/api/v1/groups/", {"code": "b2", "name": "B2", "hamlet": hamlet_b.pk}, format="json"
    )
    assert response.status_code == 400 and set(response.json()) == {"hamlet"}
    response = api.post(
        "/api/v1/groups/",
        {"code": "a2", "name": "A2", "hamlet": hamlet_a.pk, "people_group": to_b.pk},
        format="json",
    )
    assert response.status_code == 400 and set(response.json()) == {"people_group"}
    group_b = register["group_b"]
    assert api.patch(f"/api/v1/groups/{group_b.pk}/", {"status": "archived"}).status_code == 404
    # Moving an own group into a hamlet out of scope reads as an unknown hamlet.
    group_a = register["group_a"]
    response = api.patch(f"/api/v1/groups/{group_a.pk}/", {"hamlet": hamlet_b.pk}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"hamlet"}
    assert not ZaloGroup.objects.filter(code__in=["a2", "b2"]).exists()
    group_b.refresh_from_db()
    group_a.refresh_from_db()
    assert group_b.status == ZaloGroup.Status.ACTIVE and group_a.hamlet_id == hamlet_a.pk


def test_group_model_validation_is_a_400(api, police, hamlet_a, hamlet_b) -> None:
    to_b = PeopleGroupFactory(hamlet=hamlet_b)
    as_user(api, police)
    response = api.post(
        "/api/v1/groups/",
        {
            "code": "a3",
            "name": "A3",
            "hamlet": hamlet_a.pk,
            "people_group": to_b.pk,  # in scope for the police, but of another hamlet
            "invite_link": "https://example.org/g/abcd1234",
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"invite_link"}
    response = api.post(
        "/api/v1/groups/",
        {"code": "a3", "name": "A3", "hamlet": hamlet_a.pk, "people_group": to_b.pk},
        format="json",
    )
    assert response.status_code == 400 and set(response.json()) == {"people_group"}
    assert not ZaloGroup.objects.filter(code="a3").exists()


# --- Members: reading, search, filters ------------------------------------------------------


def test_member_body_shows_e164_and_display_phone_and_no_keys(api, register, officer_a) -> None:
    duc, group_a = register["duc"], register["group_a"]
    as_user(api, officer_a)
    body = api.get(f"/api/v1/members/{duc.pk}/").json()
    assert body.pop("created_at") and body.pop("updated_at")
    assert body == {
        "id": duc.pk,
        "group": group_a.pk,
        "group_name": "Zalo ấp A",
        "hamlet": group_a.hamlet_id,
        "full_name": DUC,
        "phone": DUC_PHONE,
        "phone_display": "0912 345 678",
        "zalo_name": "",
        "role": "household",
        "household": "Số 5, tổ 1",
        "people_group": None,
        "joined_on": "2025-09-15",
        "left_on": None,
        "consent_on": None,
        "active": True,
        "notes": "",
    }


def test_members_in_scope(api, register, police, officer_a) -> None:
    r = register
    as_user(api, officer_a)
    assert ids(api.get("/api/v1/members/")) == [r["duc"].pk, r["hoa"].pk]
    assert api.get(f"/api/v1/members/{r['duc_b'].pk}/").status_code == 404
    assert api.get(f"/api/v1/members/{r['duc_x'].pk}/").status_code == 404
    as_user(api, police)
    # Ordered by name without diacritics: le, nguyen, tran, vo.
    assert ids(api.get("/api/v1/members/")) == [
        r["duc_b"].pk,
        r["duc"].pk,
        r["hoa"].pk,
        r["other_b"].pk,
    ]


def test_search_without_diacritics_finds_nfc_and_nfd_names(api, register, officer_a) -> None:
    as_user(api, officer_a)
    response = api.post(
        "/api/v1/members/",
        {
            "group": register["group_a"].pk,
            "full_name": unicodedata.normalize("NFD", DUC),
            "phone": "0987 000 111",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    typed_nfd = response.json()["id"]
    for text in ["nguyen van duc", "NGUYEN VAN DUC", DUC, unicodedata.normalize("NFD", DUC)]:
        found = ids(api.get("/api/v1/members/", {"search": text}))
        assert sorted(found) == sorted([register["duc"].pk, typed_nfd]), text
    # Hamlet B's Lê Văn Đức is out of the area officer's scope.
    assert ids(api.get("/api/v1/members/", {"search": "van duc"})) == [
        register["duc"].pk,
        typed_nfd,
    ]


def test_search_either_tone_mark_placement(api, register, police) -> None:
    old_style = MemberFactory(group=register["group_a"], full_name="Lê Thị Hoà")
    as_user(api, police)
    expected = sorted([register["hoa"].pk, old_style.pk])
    for text in ["Hoà", "Hòa", "hoa", unicodedata.normalize("NFD", "Hoà")]:
        assert sorted(ids(api.get("/api/v1/members/", {"search": text}))) == expected, text


@pytest.mark.parametrize(
    "text", ["0912 345", "0912345678", "+84912345678", "84-912-345-678", "(+84) 912.345"]
)
def test_search_by_phone_in_any_format(api, register, officer_a, text) -> None:
    as_user(api, officer_a)
    assert ids(api.get("/api/v1/members/", {"search": text})) == [register["duc"].pk]


def test_member_filters(api, register, police, hamlet_a) -> None:
    r = register
    to_1 = PeopleGroupFactory(hamlet=hamlet_a)
    guard = MemberFactory(
        group=r["group_a"], full_name="Đặng An Ninh", role=Member.Role.SECURITY_TEAM
    )
    left = MemberFactory(
        group=r["group_a"],
        full_name="Đỗ Đã Rời",
        people_group=to_1,
        left_on=datetime.date(2025, 12, 1),
    )
    as_user(api, police)

    def members(**params) -> list[int]:
        return ids(api.get("/api/v1/members/", params))

    assert members(hamlet=hamlet_a.pk) == [guard.pk, left.pk, r["duc"].pk, r["hoa"].pk]
    assert members(group=r["group_b"].pk) == [r["duc_b"].pk, r["other_b"].pk]
    assert members(role="security_team") == [guard.pk]
    assert members(people_group=to_1.pk) == [left.pk]
    assert members(active="false") == [left.pk]
    assert left.pk not in members(active="true")
    assert len(members(active="true")) == 5
    assert members(hamlet=hamlet_a.pk, active="true", search="duc") == [r["duc"].pk]
    assert members(hamlet=r["group_x"].hamlet_id) == []  # another commune: nothing
    bad = api.get("/api/v1/members/", {"role": "boss"})
    assert bad.status_code == 400 and set(bad.json()) == {"role"}


def test_member_ordering(api, register, police) -> None:
    r = register
    r["hoa"].joined_on = datetime.date(2025, 8, 1)
    r["hoa"].save()
    r["other_b"].joined_on = None
    r["other_b"].save()
    as_user(api, police)

    def order(value: str) -> list[int]:
        return ids(api.get("/api/v1/members/", {"ordering": value}))

    by_name = [r["duc_b"].pk, r["duc"].pk, r["hoa"].pk, r["other_b"].pk]
    assert order("full_name") == by_name
    assert order("-full_name") == by_name[::-1]
    # Same joining date: by id. No joining date: last either way.
    assert order("joined_on") == [r["hoa"].pk, r["duc"].pk, r["duc_b"].pk, r["other_b"].pk]
    assert order("-joined_on") == [r["duc_b"].pk, r["duc"].pk, r["hoa"].pk, r["other_b"].pk]
    assert api.get("/api/v1/members/", {"ordering": "phone"}).status_code == 400


# --- Members: writing -----------------------------------------------------------------------


def test_area_officer_adds_a_member_typed_in_any_phone_format(api, register, officer_a) -> None:
    group_a = register["group_a"]
    as_user(api, officer_a)
    response = api.post(
        "/api/v1/members/",
        {
            "group": group_a.pk,
            "full_name": "Phạm Văn Nam",
            "phone": "0912.000.111",
            "household": "Số 12, tổ 3",
            "joined_on": "2025-10-02",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    member = Member.objects.get(full_name="Phạm Văn Nam")
    body = response.json()
    assert body["id"] == member.pk
    assert (body["phone"], body["phone_display"]) == ("+84912000111", "0912 000 111")
    assert (body["group"], body["hamlet"], body["active"]) == (group_a.pk, group_a.hamlet_id, True)
    assert "name_key" not in body and "household_key" not in body
    assert (member.phone, member.name_key, member.household_key) == (
        "+84912000111",
        "pham van nam",
        "so 12 to 3",
    )


@pytest.mark.parametrize("phone", ["12345", "0912abc678", "0212345678", "", "   "])
def test_a_bad_phone_is_refused_in_vietnamese(api, register, officer_a, phone) -> None:
    as_user(api, officer_a)
    response = api.post(
        "/api/v1/members/",
        {"group": register["group_a"].pk, "full_name": "Sai Số", "phone": phone},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"phone": [str(InvalidPhone(phone))]}
    assert "số điện thoại" in response.json()["phone"][0].lower()
    assert not Member.objects.filter(full_name="Sai Số").exists()


def duplicate_message() -> str:
    constraint = next(
        c for c in Member._meta.constraints if c.name == "one_active_membership_per_phone_per_group"
    )
    with translation.override("vi"):
        return str(constraint.violation_error_message)


def test_a_second_active_membership_of_a_phone_in_a_group_is_a_400(api, register, police) -> None:
    group_a, group_b = register["group_a"], register["group_b"]
    as_user(api, police)

    def add(group: ZaloGroup, phone: str):
        data = {"group": group.pk, "full_name": "Người Trùng", "phone": phone}
        return api.post("/api/v1/members/", data, format="json")

    response = add(group_a, "84-912-345-678")  # Đức's number, typed another way
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [duplicate_message()]}
    assert add(group_b, "0912 345 678").status_code == 201  # another group: fine
    register["duc"].left_on = datetime.date(2025, 12, 1)
    register["duc"].save()
    assert add(group_a, "0912 345 678").status_code == 201  # Đức has left: fine


def test_a_duplicate_that_slips_past_validation_is_still_a_400(
    api, register, police, monkeypatch
) -> None:
    """Two saves at once both pass full_clean(); the database constraint stops the second."""
    monkeypatch.setattr(Member, "validate_constraints", lambda self, exclude=None: None)
    as_user(api, police)
    data = {"group": register["group_a"].pk, "full_name": "Người Trùng", "phone": DUC_PHONE}
    response = api.post("/api/v1/members/", data, format="json")
    assert response.status_code == 400 and set(response.json()) == {"non_field_errors"}
    assert Member.objects.filter(phone=DUC_PHONE).count() == 1


def test_area_officer_cannot_add_or_change_members_of_another_hamlet(
    api, register, officer_a, hamlet_b
) -> None:
    as_user(api, officer_a)
    data = {"group": register["group_b"].pk, "full_name": "Ngoài Phạm Vi", "phone": "0912000222"}
    response = api.post("/api/v1/members/", data, format="json")
    assert response.status_code == 400 and set(response.json()) == {"group"}
    data = {
        "group": register["group_a"].pk,
        "people_group": PeopleGroupFactory(hamlet=hamlet_b).pk,
        "full_name": "Ngoài Phạm Vi",
        "phone": "0912000222",
    }
    response = api.post("/api/v1/members/", data, format="json")
    assert response.status_code == 400 and set(response.json()) == {"people_group"}
    duc_b = register["duc_b"]
    assert api.patch(f"/api/v1/members/{duc_b.pk}/", {"notes": "x"}).status_code == 404
    # Moving an own member into hamlet B's group reads as an unknown group.
    duc = register["duc"]
    response = api.patch(
        f"/api/v1/members/{duc.pk}/", {"group": register["group_b"].pk}, format="json"
    )
    assert response.status_code == 400 and set(response.json()) == {"group"}
    assert not Member.objects.filter(full_name="Ngoài Phạm Vi").exists()
    duc.refresh_from_db()
    duc_b.refresh_from_db()
    assert duc.group_id == register["group_a"].pk and duc_b.notes == ""


def test_people_group_of_another_hamlet_is_a_400_even_in_scope(
    api, register, police, hamlet_b
) -> None:
    as_user(api, police)
    response = api.patch(
        f"/api/v1/members/{register['duc'].pk}/",
        {"people_group": PeopleGroupFactory(hamlet=hamlet_b).pk},
        format="json",
    )
    assert response.status_code == 400 and set(response.json()) == {"people_group"}


def test_area_officer_records_that_a_member_left(api, register, officer_a) -> None:
    duc = register["duc"]
    as_user(api, officer_a)
    response = api.patch(f"/api/v1/members/{duc.pk}/", {"left_on": "2026-01-05"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["left_on"], response.json()["active"]) == ("2026-01-05", False)
    duc.refresh_from_db()
    assert duc.left_on == datetime.date(2026, 1, 5) and not duc.is_active
    too_early = api.patch(f"/api/v1/members/{duc.pk}/", {"left_on": "2025-01-01"}, format="json")
    assert too_early.status_code == 400 and set(too_early.json()) == {"non_field_errors"}
    bad_phone = api.patch(f"/api/v1/members/{duc.pk}/", {"phone": "123"}, format="json")
    assert bad_phone.status_code == 400 and set(bad_phone.json()) == {"phone"}


def test_put_without_left_on_keeps_the_member_gone(api, register, officer_a) -> None:
    duc = register["duc"]
    duc.left_on = datetime.date(2026, 1, 5)
    duc.save()
    as_user(api, officer_a)
    data = {"group": duc.group_id, "full_name": "Nguyễn Văn Đức", "phone": "0912345678"}
    response = api.put(f"/api/v1/members/{duc.pk}/", data, format="json")
    assert response.status_code == 200, response.content
    duc.refresh_from_db()
    assert duc.left_on == datetime.date(2026, 1, 5)


# --- Pagination -----------------------------------------------------------------------------


def test_pages_and_an_exact_count(api, police, hamlet_a) -> None:
    group = ZaloGroupFactory(hamlet=hamlet_a)
    members = [MemberFactory(group=group, full_name=f"Người {n}") for n in range(5)]
    as_user(api, police)
    first = api.get("/api/v1/members/", {"page_size": 2}).json()
    assert (first["count"], first["count_exact"], first["previous"]) == (5, True, None)
    assert first["next"] == "http://testserver/api/v1/members/?page=2&page_size=2"
    second = api.get(first["next"]).json()
    assert second["previous"] == "http://testserver/api/v1/members/?page_size=2"
    last = api.get("/api/v1/members/", {"page_size": 2, "page": 3}).json()
    assert (last["count"], last["next"]) == (5, None)
    assert [r["id"] for r in last["results"]] == [members[4].pk]
    for page in ["4", "0", "-1", "abc", "last", "99999999999999999999"]:
        response = api.get("/api/v1/members/", {"page_size": 2, "page": page})
        assert response.status_code == 404, page


def test_the_count_stops_at_the_cap(api, police, hamlet_a, monkeypatch) -> None:
    monkeypatch.setattr(CappedCountPagination, "count_cap", 3)
    group = ZaloGroupFactory(hamlet=hamlet_a)
    MemberFactory.create_batch(7, group=group)
    as_user(api, police)

    def page(number: int) -> dict:
        return api.get("/api/v1/members/", {"page_size": 2, "page": number}).json()

    assert (page(1)["count"], page(1)["count_exact"]) == (3, False)  # "more than 3"
    assert (page(2)["count"], page(2)["count_exact"]) == (3, False)
    assert (page(4)["count"], page(4)["count_exact"], page(4)["next"]) == (7, True, None)
    MemberFactory.create_batch(2, group=group)
    assert (page(1)["count"], page(1)["count_exact"]) == (3, False)
    Member.objects.filter(pk__in=list(Member.objects.values_list("pk", flat=True)[:6])).delete()
    assert (page(1)["count"], page(1)["count_exact"]) == (3, True)


# --- Query counts stay flat as the data grows -----------------------------------------------


def count_queries(api: APIClient, url: str) -> int:
    api.get(url)  # steady state: the user's access is cached after a first request
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


def grow_communes(n: int, commune: Commune, hamlet: Hamlet) -> None:
    CommuneFactory.create_batch(n)


def grow_hamlets(n: int, commune: Commune, hamlet: Hamlet) -> None:
    HamletFactory.create_batch(n, commune=commune)


def grow_groups(n: int, commune: Commune, hamlet: Hamlet) -> None:
    ZaloGroupFactory.create_batch(n, hamlet=hamlet)


def grow_members(n: int, commune: Commune, hamlet: Hamlet) -> None:
    groups = ZaloGroupFactory.create_batch(3, hamlet=hamlet)
    people_group = PeopleGroupFactory(hamlet=hamlet)
    for i in range(n):
        MemberFactory(group=groups[i % 3], people_group=people_group if i % 2 else None)


@pytest.mark.parametrize(
    ("url", "grow"),
    [
        ("/api/v1/communes/", grow_communes),
        ("/api/v1/hamlets/", grow_hamlets),
        ("/api/v1/groups/", grow_groups),
        ("/api/v1/members/", grow_members),
        ("/api/v1/members/?search=nguyen&active=true", grow_members),
        ("/api/v1/members/?search=0915&ordering=-joined_on", grow_members),
    ],
)
@pytest.mark.parametrize("page_size", [50, 2])  # one page; several pages (counted)
def test_list_query_counts_do_not_grow_with_the_data(
    api, commune, hamlet_a, police, url, grow, page_size
) -> None:
    root = User.objects.create_superuser("root", password="x-long-enough-password-1")
    separator = "&" if "?" in url else "?"
    url = f"{url}{separator}page_size={page_size}"
    user = root if "communes" in url else police
    as_user(api, user)
    grow(3, commune, hamlet_a)
    few = count_queries(api, url)
    grow(27, commune, hamlet_a)
    many = count_queries(api, url)
    assert few == many
    # Session, user, the device that verified the session's second factor (the police), the
    # user's and the groups' permissions, the page, and the capped count when there is a next page.
    assert many <= 7


def test_coverage_query_count_does_not_grow(api, police, hamlet_a) -> None:
    to_1 = PeopleGroupFactory(hamlet=hamlet_a)
    group = ZaloGroupFactory(hamlet=hamlet_a)
    MemberFactory.create_batch(3, group=group, people_group=to_1)
    as_user(api, police)
    url = f"/api/v1/hamlets/{hamlet_a.pk}/coverage/"
    few = count_queries(api, url)
    for _ in range(5):
        PeopleGroupFactory(hamlet=hamlet_a)
        MemberFactory.create_batch(5, group=ZaloGroupFactory(hamlet=hamlet_a), people_group=to_1)
    assert count_queries(api, url) == few


# --- Schema ---------------------------------------------------------------------------------


def test_the_schema_describes_the_register_without_warnings(capsys) -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    problems = [line for line in capsys.readouterr().err.splitlines() if "groups" in line]
    assert problems == []
    for path in [
        "/api/v1/communes/",
        "/api/v1/hamlets/{id}/coverage/",
        "/api/v1/groups/{id}/",
        "/api/v1/members/",
    ]:
        assert path in schema["paths"]
    members = schema["paths"]["/api/v1/members/"]
    assert "delete" not in schema["paths"]["/api/v1/members/{id}/"]
    params = {p["name"] for p in members["get"]["parameters"]}
    assert {"hamlet", "group", "people_group", "role", "active", "search", "ordering"} <= params
    page = schema["components"]["schemas"]["PaginatedMemberList"]["properties"]
    assert page["count_exact"]["type"] == "boolean"
    member = schema["components"]["schemas"]["Member"]["properties"]
    assert "name_key" not in member and "household_key" not in member


def test_an_archived_group_takes_no_new_members(api, register, police) -> None:
    group = register["group_a"]
    group.status = ZaloGroup.Status.ARCHIVED
    group.save()
    as_user(api, police)
    data = {"group": group.pk, "full_name": "Người Mới", "phone": "0912000333"}
    response = api.post("/api/v1/members/", data, format="json")
    assert response.status_code == 400 and set(response.json()) == {"group"}
    assert not Member.objects.filter(full_name="Người Mới").exists()
