import datetime
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from groups.models import Member
from groups.services import member_counts_record
from groups.tests.factories import MemberFactory, PeopleGroupFactory, ZaloGroupFactory

pytestmark = pytest.mark.django_db


def test_phone_is_stored_in_e164_whatever_was_typed() -> None:
    member = MemberFactory(phone="0912 345 678")
    member.refresh_from_db()
    assert member.phone == "+84912345678"
    assert member.phone_display == "0912 345 678"


def test_a_landline_is_refused_with_a_vietnamese_message() -> None:
    member = MemberFactory.build(group=ZaloGroupFactory(), phone="028 3829 1234")
    with pytest.raises(ValidationError) as error:
        member.full_clean()
    assert "Số điện thoại không hợp lệ" in str(error.value.message_dict["phone"])


def test_name_key_ignores_diacritics_and_unicode_form() -> None:
    nfd = unicodedata.normalize("NFD", "Nguyễn Văn Đức")
    member = MemberFactory(full_name=nfd)
    assert member.name_key == "nguyen van duc"


def test_one_active_membership_per_phone_per_group() -> None:
    first = MemberFactory(phone="0912345678")
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberFactory(group=first.group, phone="+84 912 345 678")


def test_rejoining_after_leaving_is_allowed_and_history_kept() -> None:
    first = MemberFactory(phone="0912345678", joined_on=datetime.date(2025, 9, 1))
    first.left_on = datetime.date(2025, 12, 1)
    first.save()
    again = MemberFactory(group=first.group, phone="0912345678")
    assert Member.objects.filter(phone="+84912345678").count() == 2
    assert list(Member.objects.active()) == [again]


def test_the_same_phone_may_be_in_two_groups() -> None:
    MemberFactory(phone="0912345678")
    MemberFactory(phone="0912345678")
    assert Member.objects.filter(phone="+84912345678").count() == 2


def test_leaving_before_joining_is_refused() -> None:
    member = MemberFactory.build(
        group=ZaloGroupFactory(),
        joined_on=datetime.date(2025, 9, 1),
        left_on=datetime.date(2025, 8, 1),
    )
    with pytest.raises(ValidationError):
        member.full_clean()


def test_people_group_must_be_in_the_groups_hamlet() -> None:
    member = MemberFactory.build(group=ZaloGroupFactory(), people_group=PeopleGroupFactory())
    with pytest.raises(ValidationError) as error:
        member.full_clean()
    assert "people_group" in error.value.message_dict


def test_invite_link_must_be_a_zalo_group_link() -> None:
    group = ZaloGroupFactory.build(
        hamlet=ZaloGroupFactory().hamlet, invite_link="https://evil.example/g/x"
    )
    with pytest.raises(ValidationError) as error:
        group.full_clean()
    assert "invite_link" in error.value.message_dict


def test_search_by_name_without_diacritics_and_by_phone() -> None:
    duc = MemberFactory(full_name="Nguyễn Văn Đức", phone="0912345678")
    hoa = MemberFactory(full_name="Lê Thị Hoà")
    assert list(Member.objects.search("nguyen van duc")) == [duc]
    assert list(Member.objects.search("NGUYỄN VĂN ĐỨC")) == [duc]
    assert list(Member.objects.search("Hòa")) == [hoa]
    for typed in ("0912 345 678", "+84912345678", "84-912-345-678", "0912.345"):
        assert list(Member.objects.search(typed)) == [duc], typed


@pytest.mark.parametrize("term", ["nguyen", "van", "Hòa", "0912", "+8491", "zzz"])
def test_a_search_read_scope_first_finds_the_same_members(term: str) -> None:
    MemberFactory(full_name="Nguyễn Văn Đức", phone="0912345678")
    MemberFactory(full_name="Nguyễn Thị Vân", phone="0912000111")
    MemberFactory(full_name="Lê Thị Hoà", phone="0987000111")
    members = Member.objects.order_by("pk")
    assert list(members.search(term, scope_first=True)) == list(members.search(term))


@pytest.mark.parametrize("descending", [False, True])
def test_the_name_order_read_scope_first_is_the_same_order(descending: bool) -> None:
    for name in ("Trần B", "Nguyễn A", "Đỗ C", "Nguyễn A", "an D"):
        MemberFactory(full_name=name)
    names = [
        list(Member.objects.in_name_order(descending=descending, scope_first=first))
        for first in (False, True)
    ]
    assert names[0] == names[1]
    keys = [member.name_key for member in names[0]]
    assert keys == sorted(keys, reverse=descending)


def test_member_counts_record_is_idempotent_and_counts_households_once() -> None:
    group = ZaloGroupFactory()
    MemberFactory(group=group, household="Số 1")
    MemberFactory(group=group, household="số 1")  # same household, other spelling
    MemberFactory(group=group, household="Số 2", role=Member.Role.SECURITY_TEAM)
    MemberFactory(group=group, household="Số 3", left_on=datetime.date(2025, 10, 1))
    on = datetime.date(2026, 3, 15)
    assert member_counts_record(on=on) == 1
    assert member_counts_record(on=on) == 1
    count = group.member_counts.get()
    assert (count.month, count.members, count.households) == (datetime.date(2026, 3, 1), 3, 1)


@pytest.mark.needs_postgres
def test_member_search_columns_have_trigram_indexes_on_postgres() -> None:
    """The search's LIKE '%…%' on name_key and phone can use GIN trigram indexes. (Whether the
    planner does depends on table size: bench/members_scale.py shows it on 1,000,000 rows.)"""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'groups_member'"
        )
        indexes = dict(cursor.fetchall())
    assert "USING gin (name_key gin_trgm_ops)" in indexes["member_name_key_trgm"]
    assert "USING gin (phone gin_trgm_ops)" in indexes["member_phone_trgm"]
