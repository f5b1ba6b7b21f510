"""Commune user administration, delegated: the holder of accounts.manage_commune_users (the
commune police lead) administers the accounts of their own commune in the admin, and nothing
more. Every forbidden change is tried by form POST and by direct URL: refused and logged."""

from __future__ import annotations

import logging
import re

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.contrib.admin import helpers
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import EnrolmentCode, User
from accounts.roles import ROLE_PERMISSIONS, Role
from conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

ADD = reverse("admin:accounts_user_add")
LIST = reverse("admin:accounts_user_changelist")
REFUSED = "user administration refused"


def change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def role(name: Role) -> Group:
    return Group.objects.get(name=name.value)


@pytest.fixture
def lead(commune, hamlet_a, hamlet_b) -> User:
    """The commune police lead: commune police, granted accounts.manage_commune_users."""
    user = make_user("lead", Role.COMMUNE_POLICE, commune)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="manage_commune_users")
    )
    return User.objects.get(pk=user.pk)


@pytest.fixture
def refusals(caplog):
    """The refusals logged (logger accounts.services, WARNING) during the test."""
    caplog.set_level(logging.WARNING, logger="accounts.services")

    def read() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.getMessage().startswith(REFUSED)]

    return read


def new_user(**extra) -> dict:
    data = {
        "username": "truongap_c",
        "full_name": "Trưởng ấp mới",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "groups": [role(Role.HAMLET_HEAD).pk],
    }
    data.update(extra)
    return data


def form_of(user: User, **extra) -> dict:
    """The commune administrator's change form of `user`, as the browser posts it."""
    data = {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "phone": user.phone,
        "hamlets": [hamlet.pk for hamlet in user.hamlets.all()],
        "groups": [group.pk for group in user.groups.all()],
    }
    if user.is_active:
        data["is_active"] = "on"
    data.update(extra)
    return data


def test_the_permission_is_in_no_role() -> None:
    assert all("accounts.manage_commune_users" not in held for held in ROLE_PERMISSIONS.values())


# --- what the commune police lead may do -------------------------------------------------------


def test_the_lead_creates_a_hamlet_head_of_their_commune(client, lead, hamlet_b, refusals):
    client.force_login(lead)
    response = client.post(ADD, new_user(hamlets=[hamlet_b.pk]))
    # The answer shows the new account's one-time enrolment code, once; only its hash is kept.
    assert response.status_code == 200
    shown = re.search(r'data-testid="enrolment-code">([^<]+)<', response.content.decode())[1]
    created = User.objects.get(username="truongap_c")
    stored = EnrolmentCode.objects.get(user=created)
    assert shown not in stored.code_hash and shown.replace("-", "") not in stored.code_hash
    assert stored.issued_by == lead
    assert created.commune_id == lead.commune_id
    assert list(created.hamlets.all()) == [hamlet_b]
    assert created.roles == [Role.HAMLET_HEAD]
    assert not created.is_staff and not created.is_superuser
    assert not created.user_permissions.exists()
    assert created.check_password(PASSWORD)
    assert LogEntry.objects.get_for_object(created).filter(action=LogEntry.Action.CREATE).exists()
    assert refusals() == []


def test_staff_status_follows_the_role(client, lead, hamlet_a):
    client.force_login(lead)
    data = new_user(username="cskv_moi", groups=[role(Role.AREA_OFFICER).pk], hamlets=[hamlet_a.pk])
    assert client.post(ADD, data).status_code == 200  # the page with the enrolment code
    assert User.objects.get(username="cskv_moi").is_staff


def test_the_lead_edits_reassigns_and_deactivates_a_user_of_the_commune(
    client, lead, head_b, hamlet_a
):
    client.force_login(lead)
    data = form_of(head_b, full_name="Trưởng ấp A", hamlets=[hamlet_a.pk])
    del data["is_active"]
    response = client.post(change_url(head_b), data)
    assert response.status_code == 302
    head_b.refresh_from_db()
    assert head_b.full_name == "Trưởng ấp A" and not head_b.is_active
    assert list(head_b.hamlets.all()) == [hamlet_a]
    entries = LogEntry.objects.get_for_object(head_b).filter(action=LogEntry.Action.UPDATE)
    assert entries.filter(actor=lead).exists()


def test_the_lead_resets_a_second_factor_and_lifts_a_lockout(client, lead, head_b):
    TOTPDevice.objects.create(user=head_b, name="phone", confirmed=True)
    AccessAttempt.objects.create(
        username="HEAD_B", ip_address="192.0.2.1", failures_since_start=5, user_agent="x"
    )
    client.force_login(lead)
    reset = client.post(
        LIST, {"action": "reset_two_factor", helpers.ACTION_CHECKBOX_NAME: [head_b.pk]}
    )
    assert reset.status_code == 200 and 'data-testid="enrolment-code"' in reset.content.decode()
    assert "no-store" in reset["Cache-Control"] and "hết hạn sau 72 giờ" in reset.content.decode()
    lift = client.post(LIST, {"action": "lift_lockout", helpers.ACTION_CHECKBOX_NAME: [head_b.pk]})
    assert lift.status_code == 302
    assert not TOTPDevice.objects.filter(user=head_b).exists()
    assert not AccessAttempt.objects.exists()


def test_the_lead_may_set_the_password_of_a_user_of_the_commune(client, lead, head_b):
    client.force_login(lead)
    url = reverse("admin:auth_user_password_change", args=[head_b.pk])
    new = "another-horse-battery-43"
    response = client.post(url, {"password1": new, "password2": new, "usable_password": "true"})
    assert response.status_code == 302
    head_b.refresh_from_db()
    assert head_b.check_password(new)


def test_the_lead_s_forms_lack_the_forbidden_fields_and_offer_only_what_they_may_give(
    client, lead, head_b, hamlet_elsewhere
):
    client.force_login(lead)
    for url in (ADD, change_url(head_b)):
        html = client.get(url).content.decode()
        for field in ("is_superuser", "is_staff", "user_permissions", "commune"):
            assert f'name="{field}"' not in html, (url, field)
        assert hamlet_elsewhere.name not in html
        form = client.get(url).context["adminform"].form
        offered = {group.name for group in form.fields["groups"].queryset}
        # Not the party office: it holds reviews.approve_commendation, which the police lack.
        assert offered == {
            Role.COMMUNE_POLICE,
            Role.AREA_OFFICER,
            Role.HAMLET_HEAD,
            Role.COMMUNE_LEADER,
        }


# --- what they may not: by form POST --------------------------------------------------------


@pytest.mark.parametrize(
    "forged",
    [
        {"is_superuser": "on"},
        {"is_staff": "on"},
        {"user_permissions": ["1"]},
        {"commune": "other"},
    ],
    ids=["is_superuser", "is_staff", "user_permissions", "commune"],
)
def test_a_forged_superuser_field_is_refused_on_create_and_change(
    client, lead, head_b, other_commune, forged, refusals
):
    if forged.get("commune") == "other":
        forged = {"commune": str(other_commune.pk)}
    client.force_login(lead)
    assert client.post(ADD, new_user(**forged)).status_code == 403
    assert not User.objects.filter(username="truongap_c").exists()
    assert client.post(change_url(head_b), form_of(head_b, **forged)).status_code == 403
    head_b.refresh_from_db()
    assert not head_b.is_superuser and not head_b.is_staff
    assert head_b.commune_id == lead.commune_id and not head_b.user_permissions.exists()
    assert len(refusals()) == 2


def test_a_hamlet_of_another_commune_is_refused(client, lead, head_b, hamlet_elsewhere, refusals):
    client.force_login(lead)
    assert client.post(ADD, new_user(hamlets=[hamlet_elsewhere.pk])).status_code == 403
    response = client.post(change_url(head_b), form_of(head_b, hamlets=[hamlet_elsewhere.pk]))
    assert response.status_code == 403
    assert not User.objects.filter(hamlets=hamlet_elsewhere).exists()
    assert len(refusals()) == 2 and "hamlets" in refusals()[0]


@pytest.mark.parametrize("group", ["custom", Role.PARTY_OFFICE.value])
def test_a_group_that_is_no_role_they_may_give_is_refused(client, lead, head_b, refusals, group):
    extra, _created = Group.objects.get_or_create(name=group)
    client.force_login(lead)
    assert client.post(ADD, new_user(groups=[extra.pk])).status_code == 403
    assert client.post(change_url(head_b), form_of(head_b, groups=[extra.pk])).status_code == 403
    assert not User.objects.filter(groups=extra).exists()
    assert len(refusals()) == 2


def test_an_account_with_more_rights_is_refused(
    client, lead, party_office, django_user_model, commune, refusals
):
    root = django_user_model.objects.create_superuser("root", password=PASSWORD, commune=commune)
    client.force_login(lead)
    for user in (party_office, root):
        # Shown read-only (the police may view the commune's users), never saved.
        page = client.get(change_url(user))
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
        response = client.post(change_url(user), form_of(user, full_name="Changed"))
        assert response.status_code == 403
        password = reverse("admin:auth_user_password_change", args=[user.pk])
        assert (
            client.post(password, {"password1": "x" * 12, "password2": "x" * 12}).status_code == 403
        )
        user.refresh_from_db()
        assert user.full_name != "Changed" and user.check_password(PASSWORD)
    assert len(refusals()) == 4


def test_another_commune_s_user_reads_as_missing(client, lead, outsider, refusals):
    client.force_login(lead)
    assert client.get(change_url(outsider)).status_code == 404
    response = client.post(change_url(outsider), form_of(outsider, full_name="Changed"))
    assert response.status_code == 404
    password = reverse("admin:auth_user_password_change", args=[outsider.pk])
    assert client.post(password, {"password1": "x" * 12, "password2": "x" * 12}).status_code == 404
    outsider.refresh_from_db()
    assert outsider.full_name != "Changed" and outsider.check_password(PASSWORD)
    assert len(refusals()) == 2


def test_actions_on_another_commune_s_user_do_nothing_and_are_logged(
    client, lead, outsider, refusals
):
    TOTPDevice.objects.create(user=outsider, name="phone", confirmed=True)
    AccessAttempt.objects.create(
        username="outsider", ip_address="192.0.2.1", failures_since_start=5, user_agent="x"
    )
    client.force_login(lead)
    for action in ("reset_two_factor", "lift_lockout"):
        client.post(LIST, {"action": action, helpers.ACTION_CHECKBOX_NAME: [outsider.pk]})
    assert TOTPDevice.objects.filter(user=outsider).exists()
    assert AccessAttempt.objects.filter(username="outsider").exists()
    assert len(refusals()) == 2


def test_the_commune_police_without_the_permission_only_read_users(
    client, police, head_b, refusals
):
    client.force_login(police)
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, new_user()).status_code == 403
    assert client.post(change_url(head_b), form_of(head_b, full_name="X")).status_code == 403
    assert client.get(change_url(head_b)).status_code == 200
    head_b.refresh_from_db()
    assert head_b.full_name != "X"
    assert len(refusals()) == 2


def test_a_superuser_keeps_the_full_form(client, django_user_model, head_b, other_commune):
    root = django_user_model.objects.create_superuser("root", password=PASSWORD)
    client.force_login(root)
    html = client.get(change_url(head_b)).content.decode()
    for field in ("is_superuser", "is_staff", "user_permissions", "commune"):
        assert f'name="{field}"' in html
    data = form_of(head_b, is_superuser="on", is_staff="on", commune=other_commune.pk)
    data.update({"date_joined_0": "01/01/2026", "date_joined_1": "08:00:00"})
    response = client.post(change_url(head_b), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    head_b.refresh_from_db()
    assert head_b.is_superuser and head_b.commune_id == other_commune.pk


# --- the services refuse whatever the door --------------------------------------------------


def test_the_services_refuse_what_the_form_does_not_offer(
    lead, head_b, outsider, party_office, hamlet_elsewhere, other_commune, refusals
):
    with pytest.raises(PermissionDenied):
        services.user_create(actor=lead, user=User(username="x", is_superuser=True))
    with pytest.raises(PermissionDenied):
        services.user_create(actor=lead, user=User(username="y", commune=other_commune))
    with pytest.raises(PermissionDenied):
        services.user_create(actor=lead, user=User(username="z"), hamlets=[hamlet_elsewhere])
    with pytest.raises(PermissionDenied):
        services.user_create(
            actor=lead, user=User(username="w"), user_permissions=list(Permission.objects.all()[:1])
        )
    assert not User.objects.filter(username__in=["x", "y", "z", "w"]).exists()
    head_b.commune = other_commune
    with pytest.raises(PermissionDenied):
        services.user_update(actor=lead, user=head_b)
    head_b.refresh_from_db()
    head_b.is_staff = True
    with pytest.raises(PermissionDenied):
        services.user_update(actor=lead, user=head_b)
    for user in (outsider, party_office):
        with pytest.raises(PermissionDenied):
            services.user_update(actor=lead, user=user)
        with pytest.raises(PermissionDenied):
            services.two_factor_reset(actor=lead, users=[user])
        with pytest.raises(PermissionDenied):
            services.lockout_lift(actor=lead, users=[user])
    assert len(refusals()) == 12


def test_two_factor_reset_refuses_another_commune_even_to_a_holder_of_change_user(
    police, outsider, refusals
):
    """accounts.change_user alone no longer administers users (it used to be the README's
    advice for commune administrators, and gave the full form)."""
    police.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="change_user")
    )
    police = User.objects.get(pk=police.pk)
    TOTPDevice.objects.create(user=outsider, name="phone", confirmed=True)
    with pytest.raises(PermissionDenied):
        services.two_factor_reset(actor=police, users=[outsider])
    assert TOTPDevice.objects.filter(user=outsider).exists()
    assert len(refusals()) == 1


def test_the_list_shows_the_own_commune_s_accounts_only(client, lead, head_b, outsider):
    client.force_login(lead)
    html = client.get(LIST).content.decode()
    assert "head_b" in html
    assert "outsider" not in html and outsider.commune.name not in html


def test_what_the_lead_may_not_give_stays_as_it_was(client, lead, head_b):
    custom = Group.objects.create(name="custom")  # no permission: within the lead's rights
    head_b.groups.add(custom)
    client.force_login(lead)
    data = form_of(head_b, groups=[role(Role.AREA_OFFICER).pk])  # "custom" is not offered
    assert client.post(change_url(head_b), data).status_code == 302
    head_b = User.objects.get(pk=head_b.pk)
    assert set(head_b.groups.all()) == {role(Role.AREA_OFFICER), custom}
    assert head_b.is_staff  # follows the new role
