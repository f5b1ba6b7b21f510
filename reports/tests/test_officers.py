"""The cached list of assignable officers of the triage queue: served from the cache while
nothing changed, read again as soon as a user, their roles, permissions or hamlets, or a role's
permissions change (through the HTTP client where the queue shows it)."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from conftest import make_user
from groups.models import Hamlet
from reports import officers

pytestmark = pytest.mark.django_db

LIST = reverse("reports:report-list")


def offered(client: Client) -> list[str]:
    """The names in the queue's "Assigned to" filter (after Anyone and Unassigned)."""
    response = client.get(LIST)
    assert response.status_code == 200
    select = re.search(r'<select[^>]*name="assignee"[^>]*>(.*?)</select>',
                       response.content.decode(), re.S)  # fmt: skip
    return [html.unescape(label) for label in re.findall(r">([^<]*)</option>", select[1])][2:]


@pytest.fixture
def queue(police: User) -> Client:
    client = Client()
    client.force_login(police)
    return client


def test_a_second_read_is_served_from_the_cache(police, officer_a, django_assert_num_queries):
    first = officers.queue_choices(police)
    with django_assert_num_queries(0):
        assert officers.queue_choices(police) == first
    assert [label for _pk, label in first.officers] == ["officer_a (test)", "police (test)"]
    assert list(first.hamlets.values()) == ["Ấp Thuận Hòa", "Ấp Thuận Phú 1"]  # by name


def test_the_lists_are_per_scope(police, officer_a, head_b, hamlet_a, outsider):
    triage = Permission.objects.get(codename="triage_report", content_type__app_label="reports")
    head_b.user_permissions.add(triage)  # may triage in hamlet B only
    head_b = User.objects.get(pk=head_b.pk)  # its permissions read again
    mine = officers.queue_choices(head_b)
    assert list(mine.hamlets) == [h.pk for h in head_b.hamlets.all()]
    assert [n for _p, n in mine.officers] == ["head_b (test)", "police (test)"]
    assert [n for _p, n in officers.queue_choices(officer_a).officers] == [
        "officer_a (test)",
        "police (test)",
    ]
    assert [n for _p, n in officers.queue_choices(outsider).officers] == ["outsider (test)"]
    assert hamlet_a.pk not in officers.queue_choices(outsider).hamlets


def test_a_hamlet_added_or_renamed_changes_the_lists(queue, police, commune, hamlet_a):
    assert officers.queue_choices(police).hamlets[hamlet_a.pk] == "Ấp Thuận Hòa"
    hamlet_a.name = "Ấp Mới"
    hamlet_a.save()
    assert officers.queue_choices(police).hamlets[hamlet_a.pk] == "Ấp Mới"
    added = Hamlet.objects.create(commune=commune, code="C", name="Ấp C")
    assert added.pk in officers.queue_choices(police).hamlets
    assert "Ấp C" in queue.get(LIST).content.decode()


def test_a_new_officer_appears(queue, commune, hamlet_a):
    assert offered(queue) == ["police (test)"]
    make_user("officer_new", Role.AREA_OFFICER, commune, [hamlet_a])
    assert offered(queue) == ["officer_new (test)", "police (test)"]


def test_a_renamed_officer_is_shown_by_the_new_name(queue, officer_a):
    assert "officer_a (test)" in offered(queue)
    officer_a.full_name = "Trần Văn Mới"
    officer_a.save()
    assert "Trần Văn Mới" in offered(queue)


def test_a_deactivated_or_deleted_officer_disappears(queue, officer_a, head_b):
    assert "officer_a (test)" in offered(queue)
    officer_a.is_active = False
    officer_a.save(update_fields=["is_active"])
    assert "officer_a (test)" not in offered(queue)
    officer_a.is_active = True
    officer_a.save()
    assert "officer_a (test)" in offered(queue)
    officer_a.delete()
    assert "officer_a (test)" not in offered(queue)


def test_a_role_taken_or_given_changes_the_list(queue, officer_a, head_b):
    officer_role = Group.objects.get(name=Role.AREA_OFFICER.value)
    assert offered(queue) == ["officer_a (test)", "police (test)"]
    officer_a.groups.remove(officer_role)
    assert offered(queue) == ["police (test)"]
    head_b.groups.add(officer_role)  # an area officer of hamlet B now
    assert offered(queue) == ["head_b (test)", "police (test)"]


def test_hamlets_and_direct_permissions_change_the_list(queue, head_b, hamlet_a):
    triage = Permission.objects.get(codename="triage_report", content_type__app_label="reports")
    head_b.user_permissions.add(triage)
    assert "head_b (test)" in offered(queue)
    head_b.hamlets.clear()  # in no hamlet of the commune: no scope to be assigned in
    assert "head_b (test)" not in offered(queue)
    head_b.hamlets.add(hamlet_a)
    assert "head_b (test)" in offered(queue)
    head_b.user_permissions.remove(triage)
    assert "head_b (test)" not in offered(queue)


def test_a_role_losing_or_gaining_the_permission_changes_the_list(queue, officer_a):
    triage = Permission.objects.get(codename="triage_report", content_type__app_label="reports")
    officer_role = Group.objects.get(name=Role.AREA_OFFICER.value)
    assert "officer_a (test)" in offered(queue)
    officer_role.permissions.remove(triage)
    assert "officer_a (test)" not in offered(queue)
    officer_role.permissions.add(triage)
    assert "officer_a (test)" in offered(queue)
    officer_role.delete()  # its links go by cascade, without an m2m_changed signal
    assert "officer_a (test)" not in offered(queue)


def test_a_login_keeps_the_cache(police, officer_a, django_assert_num_queries):
    officers.queue_choices(police)
    Client().force_login(officer_a)  # saves last_login only
    with django_assert_num_queries(0):
        officers.queue_choices(police)


def test_the_version_changes_again_on_commit(officer_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        officer_a.full_name = "Tên mới"
        officer_a.save()
        during = cache.get(officers.VERSION_KEY)
    # A request that read the old rows before the commit stored them under `during`.
    assert cache.get(officers.VERSION_KEY) not in (None, during)


def test_an_evicted_version_never_finds_old_entries(police, officer_a):
    officers.queue_choices(police)
    old = cache.get(officers.VERSION_KEY)
    cache.delete(officers.VERSION_KEY)
    User.objects.filter(pk=officer_a.pk).update(full_name="Đổi bằng update()")  # no signal
    assert "Đổi bằng update()" in [n for _p, n in officers.queue_choices(police).officers]
    assert cache.get(officers.VERSION_KEY) != old


def test_without_a_working_cache_the_lists_are_read_each_time(
    police, officer_a, django_assert_num_queries
):
    """Redis down (IGNORE_EXCEPTIONS: every read misses, every write is lost): still right."""
    dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    police.has_perm("groups.view_all_hamlets")  # its permissions read once, as in a request
    with override_settings(CACHES=dummy):
        for _ in range(2):
            with django_assert_num_queries(2):  # the hamlets, the officers
                choices = officers.queue_choices(police)
            assert [label for _pk, label in choices.officers] == [
                "officer_a (test)",
                "police (test)",
            ]
