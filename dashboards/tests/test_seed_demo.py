import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.models import User
from groups.models import Commune, Hamlet

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        "communes": list(Commune.objects.values().order_by("pk")),
        "hamlets": list(Hamlet.objects.values().order_by("pk")),
        "users": list(User.objects.values().order_by("pk")),
        "memberships": list(User.groups.through.objects.values().order_by("pk")),
        "scopes": list(User.hamlets.through.objects.values().order_by("pk")),
    }


def test_seed_demo_loads_the_commune_and_one_user_per_role(capsys) -> None:
    call_command("seed_demo")
    commune = Commune.objects.get()
    assert (commune.code, commune.name) == ("25387", "Xã Thuận Lợi")
    assert Hamlet.objects.filter(commune=commune).count() == 12
    for group in Group.objects.all():
        assert group.user_set.exists(), group.name
    officer = User.objects.get(username="cskv")
    assert officer.hamlets.count() == 3 and officer.is_staff
    assert all(hamlet.head for hamlet in Hamlet.objects.all())
    assert "congan" in capsys.readouterr().out


def test_demo_roster_is_plausible() -> None:
    from groups.coverage import hamlet_coverage
    from groups.models import Member, PeopleGroup, ZaloGroup
    from groups.normalize import normalize_phone

    call_command("seed_demo", verbosity=0)
    assert 4000 <= Member.objects.count() <= 6000
    assert 35 <= ZaloGroup.objects.count() <= 45
    assert PeopleGroup.objects.count() >= 36
    rows = hamlet_coverage(Hamlet.objects.all())
    assert all(55 <= row.percent <= 100 for row in rows), [round(r.percent) for r in rows]
    assert max(row.percent for row in rows) - min(row.percent for row in rows) > 10
    for phone in Member.objects.values_list("phone", flat=True)[:200]:
        assert normalize_phone(phone) == phone and phone.startswith("+84599")


def test_seed_demo_twice_changes_nothing() -> None:
    call_command("seed_demo", verbosity=0)
    first = snapshot()
    call_command("seed_demo", verbosity=0)
    assert snapshot() == first


def test_if_empty_leaves_an_existing_database_alone() -> None:
    Commune.objects.create(code="1", name="Real commune")
    call_command("seed_demo", "--if-empty")
    assert Commune.objects.count() == 1 and not User.objects.exists()


def test_demo_police_get_a_published_second_factor_only_with_debug(settings, capsys) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.DEBUG = False
    call_command("seed_demo", verbosity=0)
    assert not TOTPDevice.objects.exists()
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    devices = TOTPDevice.objects.order_by("user__username")
    # Two commune police officers: one writes a bulletin, the other approves it.
    assert [d.user.username for d in devices] == ["congan", "congan2"]
    assert all(d.confirmed for d in devices)
    device = devices[0]
    assert settings.DEMO_TOTP_KEY in capsys.readouterr().out
    call_command("demo_code")
    out = capsys.readouterr().out
    # The 30-second window may turn between the command and this line.
    assert any(f"congan: {totp(device.bin_key, drift=d):06d}" in out for d in (-1, 0))
