"""What a signed-in request reads of its user is cached (accounts/access.py), yet every change
of rights takes effect on the very next request, in the same session, through each door that
can make it: a role removed, a group's permission revoked, an account deactivated, a second
factor reset, a logout; and the unread count follows the notifications."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.roles import Role
from accounts.services import notification_send, notifications_mark_read, two_factor_reset

pytestmark = pytest.mark.django_db
QUEUE = "/reports/"  # the triage queue for reports.triage_report, "my reports" for filers


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    assert triages(client) and triages(client)  # the cache is warm from here on
    return client


def triages(client: Client) -> bool:
    response = client.get(QUEUE)
    assert response.status_code == 200
    return "reports/incidentreport_queue.html" in [t.name for t in response.templates]


def test_a_signed_in_page_reads_the_session_and_the_user_only(officer_a) -> None:
    client = signed_in(officer_a)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/password/change/").status_code == 200
    tables = [query["sql"].split(" FROM ")[1].split()[0] for query in captured.captured_queries]
    assert tables == ['"django_session"', '"accounts_user"'], captured.captured_queries


def test_a_role_removed_takes_effect_on_the_next_request(officer_a) -> None:
    client = signed_in(officer_a)
    officer_a.groups.remove(Group.objects.get(name=Role.AREA_OFFICER))
    assert client.get(QUEUE).status_code == 403
    Group.objects.get(name=Role.AREA_OFFICER).user_set.add(officer_a)  # from the other side
    assert client.get(QUEUE).status_code == 200


def test_a_groups_permission_revoked_takes_effect_on_the_next_request(officer_a) -> None:
    client = signed_in(officer_a)
    triage = Permission.objects.get(codename="triage_report")
    Group.objects.get(name=Role.AREA_OFFICER).permissions.remove(triage)
    assert not triages(client)
    triage.group_set.add(Group.objects.get(name=Role.AREA_OFFICER))
    assert triages(client)
    triage.group_set.clear()
    assert not triages(client)


def test_a_direct_permission_granted_or_revoked_takes_effect_on_the_next_request(
    head_b,
) -> None:
    client = Client()
    client.force_login(head_b)
    assert client.get("/audit/").status_code == 403
    view_log = Permission.objects.get(codename="view_logentry", content_type__app_label="auditlog")
    head_b.user_permissions.add(view_log)
    assert client.get("/audit/").status_code == 200
    head_b.user_permissions.clear()
    assert client.get("/audit/").status_code == 403


def test_a_deactivated_user_is_out_on_the_next_request(officer_a) -> None:
    client = signed_in(officer_a)
    User.objects.filter(pk=officer_a.pk).update(is_active=False)
    assert client.get(QUEUE).status_code == 302


@pytest.mark.real_two_factor
def test_a_second_factor_reset_takes_effect_on_the_next_request(police, commune) -> None:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=police, name="phone", confirmed=True)
    client = Client()
    client.force_login(police)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert client.get(QUEUE).status_code == 200
    admin = User.objects.create_superuser("root", password="x", commune=commune)
    two_factor_reset(actor=admin, users=[police])
    response = client.get(QUEUE)
    assert response.status_code == 302 and "/two-factor/" in response["Location"]
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_a_logout_takes_effect_on_the_next_request(officer_a) -> None:
    client = signed_in(officer_a)
    client.post("/logout/")
    assert client.get(QUEUE).status_code == 302


def test_the_unread_count_follows_the_notifications(
    officer_a, django_capture_on_commit_callbacks
) -> None:
    client = signed_in(officer_a)
    assert 'data-testid="unread-count"' not in client.get(QUEUE).text
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(user=officer_a, key="k1", kind="test", title="Một tin mới")
    assert '<span class="badge rounded-pill text-bg-warning" data-testid="unread-count">1<' in (
        client.get(QUEUE).text
    )
    notifications_mark_read(actor=officer_a)
    assert 'data-testid="unread-count"' not in client.get(QUEUE).text


def menu(client: Client) -> set[str]:
    """The sections the navigation's menu links to on the password page (any page has it)."""
    import re

    page = client.get("/password/change/").content.decode()
    return set(re.findall(r'data-nav="([a-z-]+)"', page))


def test_the_cached_menu_follows_the_permissions_on_the_next_request(
    officer_a, police, settings
) -> None:
    client = signed_in(officer_a)
    assert {"reports", "members", "checklist"} <= menu(client)
    assert "audit" not in menu(client)  # the commune police's, not the area officer's
    view_members = Permission.objects.get(codename="view_member")
    Group.objects.get(name=Role.AREA_OFFICER).permissions.remove(view_members)
    assert "members" not in menu(client)
    officer_a.user_permissions.add(view_members)  # granted directly: back at once
    assert "members" in menu(client)
    # Another user with other rights never gets this menu, nor this one theirs.
    assert "audit" in menu(signed_in(police))
    assert "audit" not in menu(client)
    # A language of its own: the menu is drawn again in it.
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Members" in client.get("/password/change/").content.decode()


def test_staff_status_changes_the_menu_on_the_next_request(officer_a) -> None:
    client = signed_in(officer_a)  # an area officer is staff (accounts.roles.STAFF_ROLES)
    assert "admin" in menu(client)
    User.objects.filter(pk=officer_a.pk).update(is_staff=False)
    assert "admin" not in menu(client)
