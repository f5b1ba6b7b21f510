"""The register in the admin: scope, search, filters, bulk actions, audit, flat queries."""

import datetime
import unicodedata

import pytest
from auditlog.models import LogEntry
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext

from groups.models import Member
from groups.tests.factories import MemberFactory, PeopleGroupFactory, ZaloGroupFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/groups/member/"


@pytest.fixture
def roster(hamlet_a, hamlet_b, hamlet_elsewhere) -> dict:
    group_a = ZaloGroupFactory(hamlet=hamlet_a, code="nhom-a")
    group_b = ZaloGroupFactory(hamlet=hamlet_b, code="nhom-b")
    group_x = ZaloGroupFactory(hamlet=hamlet_elsewhere, code="nhom-x")
    return {
        "group_a": group_a,
        "group_b": group_b,
        "duc": MemberFactory(group=group_a, full_name="Nguyễn Văn Đức", phone="0912345678"),
        "hoa": MemberFactory(group=group_b, full_name="Trần Thị Hoà", phone="0987654321"),
        "far": MemberFactory(group=group_x, full_name="Người Xã Khác", phone="0977000111"),
    }


def names(response) -> set[str]:
    return {m.full_name for m in response.context["cl"].result_list}


def test_police_sees_the_whole_commune_only(client, police, roster) -> None:
    client.force_login(police)
    assert names(client.get(CHANGELIST)) == {"Nguyễn Văn Đức", "Trần Thị Hoà"}


def test_area_officer_sees_only_their_hamlets(client, officer_a, roster) -> None:
    client.force_login(officer_a)
    assert names(client.get(CHANGELIST)) == {"Nguyễn Văn Đức"}
    specs = client.get(CHANGELIST).context["cl"].filter_specs
    group_filter = next(s for s in specs if getattr(s, "parameter_name", "") == "group")
    assert [label for _pk, label in group_filter.lookup_choices] == [roster["group_a"].name]


def test_out_of_scope_member_reads_as_missing(client, officer_a, roster) -> None:
    client.force_login(officer_a)
    hidden = client.get(f"{CHANGELIST}{roster['hoa'].pk}/change/", follow=True)
    missing = client.get(f"{CHANGELIST}999999/change/", follow=True)
    assert hidden.redirect_chain == missing.redirect_chain == [("/admin/", 302)]
    assert "Trần Thị Hoà" not in hidden.content.decode()


def test_roles_outside_the_admin_are_sent_to_its_login(client, head_b, party_office) -> None:
    for user in (head_b, party_office):
        client.force_login(user)
        response = client.get(CHANGELIST)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_anonymous_is_sent_to_the_admin_login(client, db) -> None:
    response = client.get(CHANGELIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "term",
    ["nguyen van duc", "NGUYEN VAN DUC", unicodedata.normalize("NFD", "Nguyễn Văn Đức"), "van đuc",
     "0912 345 678", "+84912345678", "84-912-345-678"],
)  # fmt: skip
def test_search_without_diacritics_and_any_phone_format(client, police, roster, term) -> None:
    client.force_login(police)
    assert names(client.get(CHANGELIST, {"q": term})) == {"Nguyễn Văn Đức"}


def test_filters_by_hamlet_group_role_and_membership(client, police, roster, hamlet_b) -> None:
    client.force_login(police)
    roster["duc"].left_on = datetime.date(2026, 1, 1)
    roster["duc"].save()
    assert names(client.get(CHANGELIST, {"hamlet": hamlet_b.pk})) == {"Trần Thị Hoà"}
    assert names(client.get(CHANGELIST, {"group": roster["group_a"].pk})) == {"Nguyễn Văn Đức"}
    assert names(client.get(CHANGELIST, {"active": "no"})) == {"Nguyễn Văn Đức"}
    assert names(client.get(CHANGELIST, {"active": "yes"})) == {"Trần Thị Hoà"}
    assert names(client.get(CHANGELIST, {"role": "police"})) == set()
    assert names(client.get(CHANGELIST, {"group": "not-a-number"})) == set()


def test_group_filter_options_follow_the_chosen_hamlet(client, police, roster, hamlet_b) -> None:
    client.force_login(police)

    def group_options(params) -> list[str]:
        specs = client.get(CHANGELIST, params).context["cl"].filter_specs
        spec = next((s for s in specs if getattr(s, "parameter_name", "") == "group"), None)
        return [label for _pk, label in spec.lookup_choices] if spec else []

    assert group_options({}) == []  # a commune-wide scope lists groups hamlet by hamlet
    assert group_options({"hamlet": hamlet_b.pk}) == [roster["group_b"].name]


def test_officer_cannot_add_a_member_to_another_hamlets_group(client, officer_a, roster) -> None:
    client.force_login(officer_a)
    form = client.get(f"{CHANGELIST}add/").context["adminform"].form
    assert list(form.fields["group"].queryset) == [roster["group_a"]]
    response = client.post(
        f"{CHANGELIST}add/",
        {"full_name": "Lê Văn Mới", "phone": "0901 222 333", "role": "household",
         "group": roster["group_b"].pk},
    )  # fmt: skip
    assert response.status_code == 200
    assert "group" in response.context["adminform"].form.errors
    assert not Member.objects.filter(full_name="Lê Văn Mới").exists()


def test_adding_a_member_through_the_admin_is_audited(client, officer_a, roster) -> None:
    client.force_login(officer_a)
    response = client.post(
        f"{CHANGELIST}add/",
        {"full_name": "Lê Văn Mới", "phone": "0901 222 333", "role": "household",
         "group": roster["group_a"].pk},
    )  # fmt: skip
    assert response.status_code == 302
    member = Member.objects.get(full_name="Lê Văn Mới")
    assert member.phone == "+84901222333"
    entry = LogEntry.objects.get_for_object(member).get()
    assert entry.actor == officer_a and entry.action == LogEntry.Action.CREATE
    history = client.get(f"{CHANGELIST}{member.pk}/auditlog/")
    assert history.status_code == 200


def test_a_bad_phone_gets_the_vietnamese_message(client, police, roster) -> None:
    client.force_login(police)
    response = client.post(
        f"{CHANGELIST}add/",
        {"full_name": "Lê Văn Sai", "phone": "12345", "role": "household",
         "group": roster["group_a"].pk},
    )  # fmt: skip
    assert "Số điện thoại không hợp lệ" in response.content.decode()


def action(client, name: str, members, **data):
    payload = {"action": name, ACTION_CHECKBOX_NAME: [m.pk for m in members], **data}
    return client.post(CHANGELIST, payload)


def test_mark_left_asks_for_a_date_then_keeps_the_records(client, police, roster) -> None:
    client.force_login(police)
    confirm = action(client, "mark_left", [roster["duc"], roster["hoa"]])
    assert confirm.status_code == 200 and "left_on" in confirm.context["form"].fields
    assert Member.objects.active().count() == 3
    done = action(
        client, "mark_left", [roster["duc"], roster["hoa"]], apply="1", left_on="2026-02-01"
    )
    assert done.status_code == 302
    roster["duc"].refresh_from_db()
    assert roster["duc"].left_on == datetime.date(2026, 2, 1)
    assert Member.objects.filter(left_on=datetime.date(2026, 2, 1)).count() == 2
    assert LogEntry.objects.get_for_object(roster["duc"]).filter(actor=police).exists()


def test_move_to_another_group(client, police, roster) -> None:
    client.force_login(police)
    target = ZaloGroupFactory(hamlet=roster["group_a"].hamlet)
    pg = PeopleGroupFactory(hamlet=roster["group_b"].hamlet)
    roster["hoa"].people_group = pg
    roster["hoa"].save()
    action(client, "move_to_group", [roster["hoa"]], apply="1", to_group=target.pk)
    roster["hoa"].refresh_from_db()
    assert roster["hoa"].group == target
    assert roster["hoa"].people_group is None  # its people's group is of the old hamlet


def test_move_refuses_a_phone_already_active_in_the_target(client, police, roster) -> None:
    client.force_login(police)
    MemberFactory(group=roster["group_b"], phone=roster["duc"].phone)
    response = action(
        client, "move_to_group", [roster["duc"]], apply="1", to_group=roster["group_b"].pk
    )
    assert response.status_code == 302
    roster["duc"].refresh_from_db()
    assert roster["duc"].group == roster["group_a"]


def test_officer_cannot_move_members_into_another_hamlet(client, officer_a, roster) -> None:
    client.force_login(officer_a)
    action(client, "move_to_group", [roster["duc"]], apply="1", to_group=roster["group_b"].pk)
    roster["duc"].refresh_from_db()
    assert roster["duc"].group == roster["group_a"]


def changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(CHANGELIST).status_code == 200
    return len(queries)


def add_members(roster, groups_per_hamlet: int) -> None:
    for hamlet in (roster["group_a"].hamlet, roster["group_b"].hamlet):
        for _ in range(groups_per_hamlet):
            group = ZaloGroupFactory(hamlet=hamlet)
            MemberFactory.create_batch(
                10, group=group, people_group=PeopleGroupFactory(hamlet=hamlet)
            )


def test_changelist_query_count_does_not_grow_with_the_data(client, police, roster) -> None:
    client.force_login(police)
    add_members(roster, 3)  # more than one page (50) at both sizes
    changelist_queries(client)  # steady state: the user's access is cached after a first request
    small = changelist_queries(client)
    add_members(roster, 6)
    assert changelist_queries(client) == small


def test_group_page_shows_members_inline_and_count_history(client, police, roster) -> None:
    from groups.services import member_counts_record

    member_counts_record(on=datetime.date(2026, 1, 31))
    client.force_login(police)
    page = client.get(f"/admin/groups/zalogroup/{roster['group_a'].pk}/change/")
    html = page.content.decode()
    assert "Nguyễn Văn Đức" in html
    assert page.context["inline_admin_formsets"][1].formset.queryset.count() == 1


def test_count_is_capped_on_a_large_roster(client, police, roster, monkeypatch) -> None:
    from groups.admin import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "CAP", 1)
    client.force_login(police)
    response = client.get(CHANGELIST)
    assert response.context["cl"].result_count == 2  # cap + 1: counting stopped there
    narrowed = client.get(CHANGELIST, {"q": "nguyen van duc"})
    assert narrowed.context["cl"].result_count == 1


def test_the_changelist_links_the_roster_page(client, police, roster) -> None:
    client.force_login(police)
    html = client.get(CHANGELIST).content.decode()
    assert 'id="member-roster-link"' in html and 'href="/members/"' in html
    assert 'href="/admin/groups/member/import/"' in html
    assert f'href="{CHANGELIST}add/"' in html  # Django's own add link is still there


def test_hamlet_list_names_its_area_officers(client, police, officer_a, hamlet_a) -> None:
    client.force_login(police)
    html = client.get("/admin/groups/hamlet/").content.decode()
    assert str(officer_a) in html
    change = client.get(f"/admin/groups/hamlet/{hamlet_a.pk}/change/").content.decode()
    assert str(officer_a) in change
