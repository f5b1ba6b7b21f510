"""The import's fast paths store what the plain ones did: the audit entries' `changes` are
model_instance_diff's (binhyen.audit_diff), and on PostgreSQL the rows written by COPY
(binhyen.bulk) are those bulk_create wrote."""

from __future__ import annotations

import copy
import datetime

import pytest
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from accounts.models import User
from binhyen import bulk
from binhyen.audit_diff import InstanceDiff
from groups import importing
from groups.importing import member_import
from groups.models import Member, ZaloGroup
from groups.services import member_import_save
from groups.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def ordered(changes: dict | None) -> list | None:
    """The changes with their keys' order: SQLite stores the JSON text as written."""
    return None if changes is None else list(changes.items())


def edits(member: Member, index: int) -> Member:
    """A copy of `member` with some fields set, changed or emptied, depending on `index`."""
    after = copy.copy(member)
    if index % 2:
        after.full_name += " Mới"
    if index % 3 == 0:
        after.people_group = None
    if index % 3 == 1:
        after.household = ""
    if index % 4 == 0:
        after.consent_on = datetime.date(2024, 2, 29)
    if index % 5 == 0:
        after.left_on, after.joined_on = datetime.date(2025, 12, 31), None
    if index % 6 == 0:
        after.notes, after.zalo_name = "Ghi chú\n“trích”", "Zalo 😀"
    return after


@pytest.fixture
def members(register) -> list[Member]:
    group, people = register["group_a"], register["to_1"]
    return [
        MemberFactory(
            group=group,
            phone=f"+8491555{i:04d}",
            people_group=people if i % 2 else None,
            household="" if i % 3 else f"Số {i}",
            joined_on=datetime.date(2025, 1, 1) + datetime.timedelta(days=i) if i % 4 else None,
            consent_on=None if i % 5 else datetime.date(2025, 3, 3),
            notes="" if i % 2 else "Xóa",
        )
        for i in range(12)
    ]


def test_the_diff_of_a_new_member_is_model_instance_diffs(members):
    diff = InstanceDiff(Member)
    for member in members:
        assert ordered(diff.diff(None, member)) == ordered(model_instance_diff(None, member))


def test_the_diff_of_a_changed_member_is_model_instance_diffs(members):
    diff = InstanceDiff(Member)
    for index, member in enumerate(members):
        after = edits(member, index)
        assert ordered(diff.diff(member, after)) == ordered(model_instance_diff(member, after))
    assert diff.diff(members[0], copy.copy(members[0])) is None  # nothing changed


def test_the_diff_follows_other_models_fields(police, register):
    """Booleans, date-times, foreign keys and an include list: a user, a group."""
    users, groups = InstanceDiff(User), InstanceDiff(ZaloGroup)
    changed = copy.copy(police)
    changed.is_active, changed.email_wanted, changed.commune = False, True, None
    changed.last_login = datetime.datetime(2025, 5, 1, 8, tzinfo=datetime.UTC)
    assert ordered(users.diff(police, changed)) == ordered(model_instance_diff(police, changed))
    assert ordered(users.diff(None, police)) == ordered(model_instance_diff(None, police))
    group = register["group_a"]
    archived = copy.copy(group)
    archived.status = ZaloGroup.Status.ARCHIVED
    assert ordered(groups.diff(group, archived)) == ordered(model_instance_diff(group, archived))
    assert ordered(groups.diff(None, group)) == ordered(model_instance_diff(None, group))


def stored(members_before: set[int]) -> tuple[list[tuple], list[tuple]]:
    """The members the import wrote and their audit entries, without ids and write times."""
    fields = [
        f.attname
        for f in Member._meta.concrete_fields
        if f.attname not in ("id", "created_at", "updated_at")
    ]
    new = Member.objects.exclude(pk__in=members_before).order_by("phone", "left_on")
    rows = [tuple(getattr(m, name) for name in fields) for m in new]
    phones = dict(Member.objects.values_list("pk", "phone"))
    imported = LogEntry.objects.get_for_model(Member).filter(additional_data__import="a.xlsx")
    entries = sorted(
        (
            phones[e.object_id],
            e.action,
            e.object_repr,
            ordered(_without_id(e.changes, e.object_id)),
            e.actor_id,
            e.actor_email,
            e.additional_data,
            e.remote_addr,
            e.cid,
            e.object_pk == str(e.object_id),
            e.timestamp is not None,
        )
        for e in imported
    )
    return rows, entries


def _without_id(changes: dict, pk: int) -> dict:
    """A creation's changes hold the new id, which differs between the two runs."""
    if "id" in changes:
        assert changes["id"] == ["None", str(pk)]
    return {name: change for name, change in changes.items() if name != "id"}


@pytest.mark.needs_postgres
def test_copy_stores_what_bulk_create_stored(monkeypatch, police, register, members):
    """The same import, by COPY and by bulk_create: the same members and audit entries."""
    rows = [
        {"group": "nhom-a", "full_name": "Nguyễn Văn Mới", "phone": "0915 660 001",
         "people_group": "Tổ 1", "joined_on": datetime.date(2025, 10, 1), "notes": ""},
        {"group": "nhom-a", "full_name": "Lê Thị Hai", "phone": "0915 660 002",
         "household": "Số 9", "left_on": "01/12/2025", "consent_on": "02/10/2025"},
        {"group": "nhom-a", "full_name": members[1].full_name, "phone": members[1].phone,
         "household": "Số 77", "zalo_name": "Hai"},
    ]  # fmt: skip
    before = set(Member.objects.values_list("pk", flat=True))
    results = []
    for copy_on in (True, False):
        monkeypatch.setattr(bulk, "copy_supported", lambda connection, on=copy_on: on)
        with transaction.atomic():
            report = member_import(actor=police, rows=rows, commit=True, source="a.xlsx")
            assert report.saved and report.counts["new"] == 2 and report.counts["updated"] == 1
            results.append(stored(before))
            transaction.set_rollback(True)
    assert results[0] == results[1]
    assert len(results[0][0]) == 2 and len(results[0][1]) == 3


def test_a_member_added_meanwhile_refuses_the_import(police, register):
    """A unique row written by someone else between the check and the save: COPY's error, like
    bulk_create's, is the service's "the register changed" and nothing is saved."""
    rows = [{"group": "nhom-a", "full_name": "Nguyễn Văn Mới", "phone": "0915 660 001"}]
    plan = _plan(police, rows)
    MemberFactory(group=register["group_a"], phone="+84915660001")
    entries = LogEntry.objects.count()
    with pytest.raises(ValidationError, match="register changed"), translation.override("en"):
        member_import_save(actor=police, plan=plan, source="a.xlsx")
    assert Member.objects.filter(phone="+84915660001").count() == 1
    assert LogEntry.objects.count() == entries


def _plan(actor, rows) -> list:
    """The plan member_import hands to the service, caught on its way."""
    caught = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(importing, "member_import_save", lambda **kwargs: caught.append(kwargs))
        member_import(actor=actor, rows=rows, commit=True)
    return caught[0]["plan"]


@pytest.mark.needs_postgres
def test_copys_values_are_bulk_creates(police, register, members):
    """binhyen.bulk reads the plain values directly: the same as Field.pre_save then
    get_db_prep_save, for members (new and stored) and audit entries."""
    from django.db import connection

    entries = [
        LogEntry(
            content_type_id=1, object_pk=str(m.pk), object_id=m.pk, object_repr=str(m),
            action=LogEntry.Action.UPDATE, changes={"notes": ["", "Xóa"]}, actor=police,
            additional_data={"import": "a.xlsx"}, remote_addr="127.0.0.1",
        )
        for m in members
    ]  # fmt: skip
    new = [edits(m, i) for i, m in enumerate(members)]
    for member in new:
        member.pk, member.created_at = None, None
    for objs in (members, new, entries):
        fields = type(objs[0])._meta.concrete_fields
        for obj in objs:
            fast = [bulk._preparer(f, connection)(obj) for f in fields]
            plain = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
            assert [_comparable(v) for v in fast] == [_comparable(v) for v in plain]


def _comparable(value: object) -> object:
    """psycopg's wrappers (Jsonb, Int8, ...) as what they wrap; a date-time as such, as auto_now
    fields read the clock at each call."""
    value = getattr(value, "obj", value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, datetime.datetime):
        return datetime.datetime
    return value
