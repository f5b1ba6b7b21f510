"""Two-factor authentication (django-otp): who must have it, enrolment with a QR code, login
verification, recovery codes, the pages a user who owes it may open, the API and the admin."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from accounts import services
from accounts.models import EnrolmentCode
from accounts.services import requires_two_factor
from conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.real_two_factor]


def code(device: TOTPDevice, offset: int = 0) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset)
    return f"{value:06d}"


def enrolment_code(user, django_user_model) -> str:
    """The code an administrator would hand over after resetting the account."""
    root = django_user_model.objects.filter(username="root").first()
    root = root or django_user_model.objects.create_superuser("root", password=PASSWORD)
    return services.two_factor_reset(actor=root, users=[user])[user]


def log_in(client: Client, user) -> None:
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


def test_who_must_have_a_second_factor(police, officer_a, head_b, party_office, leader, outsider):
    assert requires_two_factor(police) and requires_two_factor(outsider)
    for user in (officer_a, head_b, party_office, leader):
        assert not requires_two_factor(user), user


def test_an_unknown_permission_in_the_setting_holds_nobody(settings, head_b, police) -> None:
    settings.OTP_REQUIRED_PERMISSIONS = ["reviews.no_such_permission"]
    assert not requires_two_factor(head_b) and not requires_two_factor(police)


def test_a_superuser_needs_it_too(django_user_model) -> None:
    admin = django_user_model.objects.create_superuser("root", password=PASSWORD)
    assert requires_two_factor(admin)


def test_enrolment_end_to_end_then_login_with_the_app_then_with_a_recovery_code(
    client, police, django_user_model
):
    handed_over = enrolment_code(police, django_user_model)
    log_in(client, police)
    # Every page, the admin included, sends the police to enrolment first.
    for url in ("/", "/coverage/", "/admin/", "/password/change/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("two-factor-setup")), url
    page = client.get(reverse("two-factor-setup") + "?next=/coverage/")
    html = page.content.decode()
    assert "<svg" in html and 'data-testid="secret"' in html
    assert "Thiết lập xác thực hai lớp" in html
    device = TOTPDevice.objects.get(user=police, confirmed=False)
    secret = re.search(r'data-testid="secret">([^<]+)<', html)[1].replace(" ", "")
    import base64

    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    # A wrong code is refused, the right one confirms and shows the recovery codes once.
    data = {"enrolment_code": handed_over, "next": "/coverage/"}
    wrong = client.post(reverse("two-factor-setup"), {**data, "otp_token": "000000"})
    assert wrong.status_code == 200 and "không đúng" in wrong.content.decode()
    assert EnrolmentCode.objects.filter(user=police).exists()  # not used up by a wrong code
    response = client.post(reverse("two-factor-setup"), {**data, "otp_token": code(device)})
    assert response.status_code == 302
    recovery = client.get(response["Location"])
    codes = re.findall(r'<li class="col">(\w+)</li>', recovery.content.decode())
    assert len(codes) == 10
    assert set(codes) == set(
        StaticToken.objects.filter(device__user=police).values_list("token", flat=True)
    )
    again = client.get(reverse("two-factor-recovery")).content.decode()
    assert not any(c in again for c in codes)  # shown once
    assert client.get("/coverage/").status_code == 200

    # The next login asks for the app's code.
    client.post(reverse("logout"))
    log_in(client, police)
    response = client.get("/coverage/")
    assert response["Location"].startswith(reverse("two-factor-verify"))
    bad = client.post(reverse("two-factor-verify"), {"otp_token": "123", "next": "/coverage/"})
    assert bad.status_code == 200 and client.get("/coverage/").status_code == 302
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    ok = client.post(
        reverse("two-factor-verify"), {"otp_token": code(device, 1), "next": "/coverage/"}
    )
    assert ok.status_code == 302 and ok["Location"] == "/coverage/"
    assert client.get("/coverage/").status_code == 200

    # Without the phone: a recovery code, once.
    client.post(reverse("logout"))
    log_in(client, police)
    response = client.post(reverse("two-factor-verify"), {"otp_token": codes[0], "next": "/"})
    assert response.status_code == 302 and client.get("/").status_code == 200
    client.post(reverse("logout"))
    log_in(client, police)
    client.post(reverse("two-factor-verify"), {"otp_token": codes[0], "next": "/"})
    assert client.get("/").status_code == 302
    assert StaticToken.objects.filter(device__user=police).count() == 9


def test_the_next_after_verification_stays_on_this_site(client, police) -> None:
    device = TOTPDevice.objects.create(user=police, name="phone", confirmed=True)
    log_in(client, police)
    response = client.post(
        reverse("two-factor-verify"), {"otp_token": code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_recovery_codes_are_regenerated_and_the_old_ones_stop(client, police) -> None:
    device = TOTPDevice.objects.create(user=police, name="phone", confirmed=True)
    log_in(client, police)
    client.post(reverse("two-factor-verify"), {"otp_token": code(device), "next": "/"})
    response = client.post(reverse("two-factor-recovery"))
    first = re.findall(
        r'<li class="col">(\w+)</li>', client.get(response["Location"]).content.decode()
    )
    client.post(reverse("two-factor-recovery"))
    second = set(StaticToken.objects.filter(device__user=police).values_list("token", flat=True))
    assert len(first) == 10 and not set(first) & second


def test_pages_open_to_a_user_who_owes_the_second_factor(client, police) -> None:
    log_in(client, police)
    assert client.get(reverse("healthz")).status_code in (200, 503)
    assert client.post(reverse("set_language"), {"language": "en"}).status_code == 302
    assert client.get("/static/css/binhyen.css").status_code in (200, 404)  # not redirected
    assert client.get(reverse("two-factor-setup")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_session_api_needs_a_verified_session(client, police) -> None:
    log_in(client, police)
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert "hai lớp" in response.json()["detail"]


def test_users_without_the_permission_are_not_asked(client, head_b) -> None:
    log_in(client, head_b)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_api_tokens_of_such_accounts_need_a_confirmed_device(client, police) -> None:
    token = Token.objects.create(user=police)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    response = client.get("/api/v1/me/", **auth)
    assert response.status_code == 401
    TOTPDevice.objects.create(user=police, name="phone", confirmed=True)
    assert client.get("/api/v1/me/", **auth).status_code == 200


def test_an_expired_api_token_is_refused(client, police, settings) -> None:
    settings.API_TOKEN_TTL_DAYS = 90
    TOTPDevice.objects.create(user=police, name="phone", confirmed=True)
    token = Token.objects.create(user=police)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=89))
    assert client.get("/api/v1/me/", **auth).status_code == 200
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=91))
    assert client.get("/api/v1/me/", **auth).status_code == 401


def test_an_enrolled_device_cannot_be_replaced_from_a_session(client, police) -> None:
    device = TOTPDevice.objects.create(user=police, name="phone", confirmed=True)
    log_in(client, police)
    client.post(reverse("two-factor-verify"), {"otp_token": code(device), "next": "/"})
    html = client.get(reverse("two-factor-setup")).content.decode()
    assert 'data-testid="two-factor-on"' in html and "<svg" not in html
    assert TOTPDevice.objects.filter(user=police).count() == 1


def test_the_admin_resets_a_lost_second_factor_within_the_commune(
    client, police, django_user_model
):
    TOTPDevice.objects.create(user=police, name="phone", confirmed=True)
    root = django_user_model.objects.create_superuser("root", password=PASSWORD)
    root_device = TOTPDevice.objects.create(user=root, name="phone", confirmed=True)
    log_in(client, root)
    client.post(reverse("two-factor-verify"), {"otp_token": code(root_device), "next": "/"})
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [police.pk]},
    )
    # The answer shows the one-time enrolment code to hand over; the account enrols with it.
    assert response.status_code == 200
    handed_over = re.search(r'data-testid="enrolment-code">([^<]+)<', response.content.decode())[1]
    assert not TOTPDevice.objects.filter(user=police).exists()
    assert TOTPDevice.objects.filter(user=root).exists()
    other = Client()
    log_in(other, police)
    other.get(reverse("two-factor-setup"))
    device = TOTPDevice.objects.get(user=police, confirmed=False)
    data = {"enrolment_code": handed_over, "otp_token": code(device), "next": "/"}
    assert other.post(reverse("two-factor-setup"), data).status_code == 302
    assert TOTPDevice.objects.get(user=police).confirmed


def test_every_url_but_the_open_ones_waits_for_the_second_factor(
    police, commune, other_commune, hamlet_a, hamlet_b, hamlet_elsewhere
) -> None:
    """Walks every URL pattern (urlmap.py) as police who logged in with their password only."""
    from accounts.middleware import TWO_FACTOR_OPEN
    from binhyen.tests.urlmap import build_world, routes, targets

    world = build_world(
        commune=commune,
        other_commune=other_commune,
        hamlet_a=hamlet_a,
        hamlet_b=hamlet_b,
        hamlet_elsewhere=hamlet_elsewhere,
    )
    client = Client(raise_request_exception=False)
    log_in(client, police)
    leaks, checked = [], 0
    for route in routes():
        if route.name in TWO_FACTOR_OPEN:
            continue
        for target in targets(route, world):
            response = client.get(target.url)
            checked += 1
            if target.url.startswith("/api/"):
                ok = response.status_code == 403 and "hai lớp" in response.json()["detail"]
            else:
                ok = response.status_code == 302 and response["Location"].startswith(
                    reverse("two-factor-setup")
                )
            if not ok:
                leaks.append(f"{target.url}: {response.status_code}")
    assert checked > 100
    assert not leaks, "\n".join(leaks)


def test_a_user_who_enrolled_by_choice_verifies_at_each_login(client, head_b) -> None:
    device = TOTPDevice.objects.create(user=head_b, name="phone", confirmed=True)
    log_in(client, head_b)
    assert client.get("/")["Location"].startswith(reverse("two-factor-verify"))
    client.post(reverse("two-factor-verify"), {"otp_token": code(device), "next": "/"})
    assert client.get("/").status_code == 200


# --- the enrolment code: the password alone never enrols a device ---------------------------


def start_enrolment(client: Client, user) -> TOTPDevice:
    log_in(client, user)
    assert client.get(reverse("two-factor-setup")).status_code == 200
    return TOTPDevice.objects.get(user=user, confirmed=False)


def enrol(client: Client, device: TOTPDevice, enrolment: str | None):
    data = {"otp_token": code(device), "next": "/"}
    if enrolment is not None:
        data["enrolment_code"] = enrolment
    return client.post(reverse("two-factor-setup"), data)


def test_without_the_enrolment_code_the_password_alone_enrols_nothing(client, police) -> None:
    device = start_enrolment(client, police)
    response = enrol(client, device, None)
    assert response.status_code == 200
    assert 'name="enrolment_code"' in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/")["Location"].startswith(reverse("two-factor-setup"))


@pytest.mark.parametrize("given", ["", "ABCDE-23456"])
def test_a_missing_or_wrong_enrolment_code_is_refused(
    client, police, django_user_model, given
) -> None:
    enrolment_code(police, django_user_model)
    device = start_enrolment(client, police)
    response = enrol(client, device, given)
    assert response.status_code == 200
    device.refresh_from_db()
    assert not device.confirmed
    assert EnrolmentCode.objects.filter(user=police).exists()


def test_an_expired_enrolment_code_is_refused(client, police, django_user_model) -> None:
    handed_over = enrolment_code(police, django_user_model)
    EnrolmentCode.objects.filter(user=police).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    device = start_enrolment(client, police)
    response = enrol(client, device, handed_over)
    assert response.status_code == 200 and "hết hạn" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed


def test_the_enrolment_code_expires_after_the_setting(settings, police, django_user_model):
    settings.ENROLMENT_CODE_TTL_HOURS = 72
    before = timezone.now()
    enrolment_code(police, django_user_model)
    expires = EnrolmentCode.objects.get(user=police).expires_at
    assert before + timedelta(hours=72) <= expires <= timezone.now() + timedelta(hours=72)


def test_an_enrolment_code_works_once(client, police, django_user_model) -> None:
    handed_over = enrolment_code(police, django_user_model)
    device = start_enrolment(client, police)
    assert enrol(client, device, handed_over).status_code == 302
    assert not EnrolmentCode.objects.filter(user=police).exists()
    # Reset again (the code is used up): the old code does not enrol the next device.
    root = django_user_model.objects.get(username="root")
    services.two_factor_reset(actor=root, users=[police])
    again = Client()
    device = start_enrolment(again, police)
    assert enrol(again, device, handed_over).status_code == 200
    device.refresh_from_db()
    assert not device.confirmed


def test_another_users_enrolment_code_is_refused(
    client, police, officer_a, django_user_model, settings
) -> None:
    settings.OTP_REQUIRED_PERMISSIONS = ["groups.change_hamlet"]
    assert requires_two_factor(officer_a)
    of_officer = enrolment_code(officer_a, django_user_model)
    enrolment_code(police, django_user_model)
    device = start_enrolment(client, police)
    assert enrol(client, device, of_officer).status_code == 200
    device.refresh_from_db()
    assert not device.confirmed
    assert EnrolmentCode.objects.filter(user=officer_a).exists()


def test_a_new_account_gets_an_enrolment_code(police, django_user_model) -> None:
    root = django_user_model.objects.create_superuser("root", password=PASSWORD)
    new = django_user_model(username="moi")
    new.set_password(PASSWORD)
    user = services.user_create(actor=root, user=new)
    assert len(user.new_enrolment_code) == 11
    assert EnrolmentCode.objects.get(user=user).issued_by == root


def test_an_account_not_required_to_use_two_factors_enrols_without_a_code(client, head_b):
    device = start_enrolment(client, head_b)
    html = client.get(reverse("two-factor-setup")).content.decode()
    assert 'name="enrolment_code"' not in html
    assert enrol(client, device, None).status_code == 302
    device.refresh_from_db()
    assert device.confirmed


def test_using_the_last_recovery_code_says_none_is_left(client, police) -> None:
    from django_otp.plugins.otp_static.models import StaticDevice

    TOTPDevice.objects.create(user=police, name="phone", confirmed=True)
    static = StaticDevice.objects.create(user=police, name="recovery", confirmed=True)
    StaticToken.objects.create(device=static, token="lastcode")
    log_in(client, police)
    response = client.post(
        reverse("two-factor-verify"), {"otp_token": "lastcode", "next": "/"}, follow=True
    )
    page = response.content.decode()
    assert "Đã hết mã dự phòng" in page and "Chỉ còn 0" not in page


def assert_no_navigation(html: str) -> None:
    assert 'id="main-nav"' not in html and "data-nav=" not in html
    assert reverse("reports:report-list") not in html and reverse("admin:index") not in html
    assert 'data-testid="owed-logout"' in html and 'name="language"' in html


def test_no_navigation_before_the_second_factor_is_verified(client, police) -> None:
    """Password passed, code not yet: the enrolment and verification pages show the logo,
    logout and the language only; once verified, the menu is back (#19 item 17)."""
    log_in(client, police)
    assert_no_navigation(client.get(reverse("two-factor-setup")).content.decode())  # enrolment
    device = TOTPDevice.objects.create(user=police, name="phone", confirmed=True)
    for page in ("two-factor-verify", "two-factor-setup", "two-factor-recovery", "home"):
        response = client.get(reverse(page), follow=True)
        assert_no_navigation(response.content.decode())
    client.post(reverse("two-factor-verify"), {"otp_token": code(device), "next": "/"})
    html = client.get(reverse("two-factor-setup")).content.decode()
    assert 'id="main-nav"' in html and 'data-testid="owed-logout"' not in html
