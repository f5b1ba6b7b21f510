"""Every door that writes the register, tried against each business rule.

The doors that write each model are listed in groups/services.py's docstring.

The rule tried here: an active member is never in an archived group, whether they join it, are
moved into it, or come back to it (left_on cleared). Each door must refuse with a Vietnamese
message and save nothing.
"""

from __future__ import annotations

import csv
import datetime
import io
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from accounts.models import User
from groups.importing import COLUMNS, member_import, read_rows
from groups.models import Member, ZaloGroup
from groups.services import member_move
from groups.tests.factories import MemberFactory, ZaloGroupFactory

pytestmark = pytest.mark.django_db

REFUSED = "Nhóm này đã lưu trữ"  # "This group is archived: it takes no members."
# The move action's form offers open groups only: an archived one is refused as not offered.
NOT_OFFERED = "lựa chọn hợp lệ"  # Django's "Select a valid choice."


@pytest.fixture
def world(hamlet_a) -> dict:
    open_group = ZaloGroupFactory(hamlet=hamlet_a, code="mo")
    closed = ZaloGroupFactory(hamlet=hamlet_a, code="dong", status=ZaloGroup.Status.ARCHIVED)
    return {
        "open": open_group,
        "closed": closed,
        "active": MemberFactory(group=open_group, full_name="Lê Văn Tám", phone="0915550001"),
        "left": MemberFactory(
            group=closed, full_name="Võ Thị Sáu", left_on=datetime.date(2026, 1, 5)
        ),
    }


def form_data(response, *, prefix_forms: bool = True) -> dict:
    """The POST data of an admin change form as drawn (its form and its inlines)."""
    data: dict = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if isinstance(value, list | tuple):
                data[form.add_prefix(name)] = [str(v) for v in value]
            elif value is not None and value is not False:
                data[form.add_prefix(name)] = str(value) if value is not True else "on"
    return data


def new_member(group: ZaloGroup) -> dict:
    return {
        "full_name": "Người Mới",
        "phone": "0915 550 999",
        "role": Member.Role.HOUSEHOLD,
        "group": str(group.pk),
        "joined_on": "2026-03-01",
    }


# --- the doors: each tries to put an active member into the archived group ------------------


def api_create(police: User, world: dict) -> object:
    api = APIClient()
    api.force_login(police)
    return api.post("/api/v1/members/", new_member(world["closed"]), format="json")


def api_move(police: User, world: dict) -> object:
    api = APIClient()
    api.force_login(police)
    url = f"/api/v1/members/{world['active'].pk}/"
    return api.patch(url, {"group": world["closed"].pk}, format="json")


def api_return(police: User, world: dict) -> object:
    api = APIClient()
    api.force_login(police)
    return api.patch(f"/api/v1/members/{world['left'].pk}/", {"left_on": None}, format="json")


def _admin(police: User) -> Client:
    client = Client()
    client.force_login(police)
    return client


def admin_add(police: User, world: dict) -> object:
    client = _admin(police)
    data = form_data(client.get("/admin/groups/member/add/"))
    return client.post("/admin/groups/member/add/", {**data, **new_member(world["closed"])})


def admin_change(police: User, world: dict) -> object:
    client = _admin(police)
    url = f"/admin/groups/member/{world['active'].pk}/change/"
    data = form_data(client.get(url))
    return client.post(url, {**data, "group": str(world["closed"].pk)})


def admin_return(police: User, world: dict) -> object:
    client = _admin(police)
    url = f"/admin/groups/member/{world['left'].pk}/change/"
    data = form_data(client.get(url))
    return client.post(url, {**data, "left_on": ""})


def admin_inline(police: User, world: dict) -> object:
    client = _admin(police)
    url = f"/admin/groups/zalogroup/{world['closed'].pk}/change/"
    data = form_data(client.get(url))
    total = int(data["members-TOTAL_FORMS"])
    row = {f"members-{total}-{k}": v for k, v in new_member(world["closed"]).items()}
    row.pop(f"members-{total}-group")
    return client.post(url, {**data, **row, "members-TOTAL_FORMS": str(total + 1)})


def admin_inline_return(police: User, world: dict) -> object:
    client = _admin(police)
    url = f"/admin/groups/zalogroup/{world['closed'].pk}/change/"
    data = form_data(client.get(url))
    index = next(k for k, v in data.items() if k.endswith("-id") and v == str(world["left"].pk))
    return client.post(url, {**data, index.replace("-id", "-left_on"): ""})


def admin_action_move(police: User, world: dict) -> object:
    client = _admin(police)
    return client.post(
        "/admin/groups/member/",
        {
            "action": "move_to_group",
            ACTION_CHECKBOX_NAME: [str(world["active"].pk)],
            "apply": "1",
            "to_group": str(world["closed"].pk),
        },
        follow=True,
    )


def service_move(police: User, world: dict) -> None:
    """What the admin action and any caller of groups.services.member_move reach."""
    member_move(
        actor=police, members=Member.objects.filter(pk=world["active"].pk), to_group=world["closed"]
    )


def _roster(*rows: list[object]) -> io.BytesIO:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS.values())
    writer.writerows(rows)
    file = io.BytesIO(out.getvalue().encode())
    file.name = "roster.csv"
    return file


def _import_row(code: str, name: str, phone: str, left: str = "") -> list[object]:
    return [code, name, phone, "", "", "", "", "01/03/2026", left, "", ""]


def import_new(police: User, world: dict) -> object:
    rows = read_rows(_roster(_import_row("dong", "Người Mới", "0915550999")), "roster.csv")
    return member_import(actor=police, rows=rows, commit=True)


def import_return(police: User, world: dict) -> object:
    """The left member listed again without a leaving date: a new active row in the group."""
    left = world["left"]
    rows = read_rows(_roster(_import_row("dong", left.full_name, left.phone)), "roster.csv")
    return member_import(actor=police, rows=rows, commit=True)


def admin_import(police: User, world: dict) -> object:
    client = _admin(police)
    file = _roster(_import_row("dong", "Người Mới", "0915550999"))
    preview = client.post("/admin/groups/member/import/", {"file": file})
    token = client.session.get("member_import", {}).get("token", "")
    if not token:  # the preview found the row in error: no confirmation is offered
        return preview
    return client.post("/admin/groups/member/import/", {"confirm": "1", "token": token})


def command_import(police: User, world: dict) -> object:
    path = Path(tempfile.mkdtemp()) / "roster.csv"
    path.write_bytes(_roster(_import_row("dong", "Người Mới", "0915550999")).getvalue())
    out = io.StringIO()
    try:
        call_command("import_members", str(path), "--commit", stdout=out)
    except CommandError as error:
        return CommandError(f"{out.getvalue()} {error}")
    return None


DOORS: dict[str, Callable] = {
    "api-create": api_create,
    "api-move": api_move,
    "api-return": api_return,
    "admin-add": admin_add,
    "admin-change": admin_change,
    "admin-return": admin_return,
    "admin-inline-add": admin_inline,
    "admin-inline-return": admin_inline_return,
    "admin-action-move": admin_action_move,
    "service-move": service_move,
    "import-new": import_new,
    "import-return": import_return,
    "admin-import": admin_import,
    "command-import": command_import,
}


def snapshot() -> set:
    return set(Member.objects.values_list("pk", "group_id", "left_on", "full_name"))


@pytest.mark.parametrize("door", DOORS)
def test_no_active_member_in_an_archived_group_whatever_the_door(police, world, door) -> None:
    before = snapshot()
    with translation.override("vi"):
        try:
            outcome = DOORS[door](police, world)
        except ValidationError as error:  # a service called directly
            outcome = error
    assert snapshot() == before, "nothing is saved"
    assert not Member.objects.filter(
        group__status=ZaloGroup.Status.ARCHIVED, left_on__isnull=True
    ).exists()
    expected = NOT_OFFERED if door == "admin-action-move" else REFUSED
    assert expected in _message(outcome)


def _message(outcome: object) -> str:
    """What the person sees: the response's page or JSON, the report's rows, the error."""
    if outcome is None:
        return ""
    if isinstance(outcome, ValidationError | CommandError):
        return " ".join(getattr(outcome, "messages", [str(outcome)]))
    if hasattr(outcome, "rows"):  # an ImportReport
        return " ".join(row.reason for row in outcome.rows)
    assert outcome.status_code in {200, 400}, outcome.status_code  # never a 500
    return outcome.content.decode()


def test_the_import_names_the_row_of_the_archived_group(police, world) -> None:
    rows = [
        _import_row("mo", "Người A", "0915550111"),
        _import_row("dong", "Người B", "0915550222"),
    ]
    report = member_import(actor=police, rows=read_rows(_roster(*rows), "x.csv"), commit=True)
    assert [(row.row, bool(row.reasons)) for row in report.rows] == [(2, False), (3, True)]
    assert not report.saved and not Member.objects.filter(full_name="Người A").exists()


def test_a_group_archived_between_check_and_commit_refuses_the_whole_import(police, world):
    from groups.services import member_import_save

    member = Member(group=world["open"], full_name="Người C", phone="+84915550333")
    ZaloGroup.objects.filter(pk=world["open"].pk).update(status=ZaloGroup.Status.ARCHIVED)
    with pytest.raises(ValidationError):
        member_import_save(actor=police, plan=[(None, member)], source="test")
    assert not Member.objects.filter(full_name="Người C").exists()


def test_the_admin_still_saves_what_the_rules_allow(police, world) -> None:
    """The same doors save a member who leaves an archived group, or joins an open one."""
    client = _admin(police)
    url = f"/admin/groups/member/{world['active'].pk}/change/"
    data = form_data(client.get(url))
    response = client.post(url, {**data, "notes": "ghi chú"})
    assert response.status_code == 302
    world["active"].refresh_from_db()
    assert world["active"].notes == "ghi chú"
    inline_url = f"/admin/groups/zalogroup/{world['open'].pk}/change/"
    data = form_data(client.get(inline_url))
    total = int(data["members-TOTAL_FORMS"])
    row = {f"members-{total}-{k}": v for k, v in new_member(world["open"]).items()}
    row.pop(f"members-{total}-group")
    response = client.post(inline_url, {**data, **row, "members-TOTAL_FORMS": str(total + 1)})
    assert response.status_code == 302
    assert Member.objects.filter(group=world["open"], full_name="Người Mới").exists()


def test_admin_delete_goes_through_the_service_and_is_audited(police, world) -> None:
    from auditlog.models import LogEntry

    client = _admin(police)
    member = world["active"]
    response = client.post(f"/admin/groups/member/{member.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Member.objects.filter(pk=member.pk).exists()
    entry = LogEntry.objects.get(object_pk=str(member.pk), action=LogEntry.Action.DELETE)
    assert entry.actor == police


def test_a_group_with_active_members_can_still_be_archived_in_the_admin(police, world) -> None:
    """Its untouched member lines are not saved, so not refused: archiving is how a group is
    closed, as through the API (members then leave one by one, "mark as left")."""
    client = _admin(police)
    url = f"/admin/groups/zalogroup/{world['open'].pk}/change/"
    data = form_data(client.get(url))
    assert client.post(url, {**data, "status": ZaloGroup.Status.ARCHIVED}).status_code == 302
    world["open"].refresh_from_db()
    assert world["open"].status == ZaloGroup.Status.ARCHIVED


def test_a_refusal_at_save_time_shows_an_error_and_saves_nothing(police, world, monkeypatch):
    """The form checked the rules; the register changed before the save (here: the form's
    check is skipped). The service refuses, the whole change form is rolled back, the person
    reads why: no 500."""
    monkeypatch.setattr("groups.admin.register_check", lambda obj: None)
    client = _admin(police)
    url = f"/admin/groups/zalogroup/{world['closed'].pk}/change/"
    data = form_data(client.get(url))
    total = int(data["members-TOTAL_FORMS"])
    row = {f"members-{total}-{k}": v for k, v in new_member(world["closed"]).items()}
    row.pop(f"members-{total}-group")
    with translation.override("vi"):
        response = client.post(
            url,
            {**data, **row, "notes": "đổi", "members-TOTAL_FORMS": str(total + 1)},
            follow=True,
        )
    assert response.status_code == 200 and REFUSED in response.content.decode()
    world["closed"].refresh_from_db()
    assert world["closed"].notes != "đổi"  # the group's own change is rolled back too
    assert not Member.objects.filter(full_name="Người Mới").exists()


def test_delete_selected_goes_through_the_service(police, world) -> None:
    client = _admin(police)
    response = client.post(
        "/admin/groups/member/",
        {
            "action": "delete_selected",
            ACTION_CHECKBOX_NAME: [str(world["active"].pk)],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not Member.objects.filter(pk=world["active"].pk).exists()
