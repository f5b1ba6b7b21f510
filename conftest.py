"""Shared fixtures: named personas and the rules for tests that need real services."""

import os
import threading

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.core.signals import setting_changed
from django.db import connection
from django.dispatch import receiver
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.roles import STAFF_ROLES, Role
from groups.models import Commune, Hamlet

PASSWORD = "correct-horse-battery-staple-42"
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    """A missing service skips the test, except under REQUIRE_SERVICES=1 (CI), where it fails."""
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _require_services(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("needs_postgres") and connection.vendor != "postgresql":
        skip_or_fail("the database is not PostgreSQL (set DATABASE_URL)")
    if request.node.get_closest_marker("needs_redis") and not settings.REDIS_URL:
        skip_or_fail("REDIS_URL is not set")


def _verify_second_factor(sender, request, user, **kwargs) -> None:
    """Sessions made by `Client.force_login`/`login` (no HTTP request behind them) of a user who
    needs two-factor authentication count as verified with a confirmed device, so that tests
    about other things need not log in twice. Logins over HTTP get the real rules, and so does
    every test marked `real_two_factor`."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.services import requires_two_factor

    if request is None or request.META.get("REQUEST_METHOD") or not requires_two_factor(user):
        return
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id


@pytest.fixture(autouse=True)
def _second_factor_for_test_logins(request: pytest.FixtureRequest):
    if request.node.get_closest_marker("real_two_factor"):
        yield
        return
    from django.contrib.auth.signals import user_logged_in

    user_logged_in.connect(_verify_second_factor, dispatch_uid="test-second-factor")
    yield
    user_logged_in.disconnect(dispatch_uid="test-second-factor")


@pytest.fixture
def commune(db) -> Commune:
    return Commune.objects.create(code="25387", name="Xã Thuận Lợi", province="Tỉnh Đồng Nai")


@pytest.fixture
def other_commune(db) -> Commune:
    return Commune.objects.create(code="25390", name="Xã Khác", province="Tỉnh Đồng Nai")


@pytest.fixture
def hamlet_a(commune: Commune) -> Hamlet:
    return Hamlet.objects.create(commune=commune, code="A", name="Ấp Thuận Hòa")


@pytest.fixture
def hamlet_b(commune: Commune) -> Hamlet:
    return Hamlet.objects.create(commune=commune, code="B", name="Ấp Thuận Phú 1")


@pytest.fixture
def hamlet_elsewhere(other_commune: Commune) -> Hamlet:
    return Hamlet.objects.create(commune=other_commune, code="X", name="Ấp Khác")


def logged_in(user: User) -> Client:
    """A test client logged in as `user` (with the second factor passed, as every test login:
    _second_factor_for_test_logins)."""
    client = Client()
    client.force_login(user)
    return client


def logged_in_api(user: User) -> APIClient:
    """An API client with `user`'s session, as a browser calling the API."""
    client = APIClient()
    client.force_login(user)
    return client


def make_user(username: str, role: Role | None, commune: Commune, hamlets=()) -> User:
    user = User.objects.create_user(
        username=username,
        password=PASSWORD,
        full_name=f"{username} (test)",
        commune=commune,
        is_staff=role in STAFF_ROLES,
    )
    if role:
        user.groups.add(Group.objects.get(name=role.value))
    user.hamlets.set(hamlets)
    return user


@pytest.fixture
def police(commune, hamlet_a, hamlet_b) -> User:
    """Commune police: sees every hamlet of the commune."""
    return make_user("police", Role.COMMUNE_POLICE, commune)


@pytest.fixture
def officer_a(commune, hamlet_a, hamlet_b) -> User:
    """Area officer responsible for hamlet A only."""
    return make_user("officer_a", Role.AREA_OFFICER, commune, [hamlet_a])


@pytest.fixture
def head_b(commune, hamlet_a, hamlet_b) -> User:
    """Hamlet head of hamlet B."""
    return make_user("head_b", Role.HAMLET_HEAD, commune, [hamlet_b])


@pytest.fixture
def party_office(commune, hamlet_a, hamlet_b) -> User:
    return make_user("party", Role.PARTY_OFFICE, commune)


@pytest.fixture
def leader(commune, hamlet_a, hamlet_b) -> User:
    return make_user("leader", Role.COMMUNE_LEADER, commune)


@pytest.fixture
def outsider(other_commune, hamlet_elsewhere) -> User:
    """Commune police of another commune: must see nothing of ours."""
    return make_user("outsider", Role.COMMUNE_POLICE, other_commune)


@pytest.fixture
def personas(police, officer_a, head_b, party_office, leader, outsider) -> dict[str, User]:
    return {
        "police": police,
        "officer_a": officer_a,
        "head_b": head_b,
        "party_office": party_office,
        "leader": leader,
        "outsider": outsider,
    }


# --- Real browser journeys ------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright's own browser download is not reachable
SCREENSHOTS = settings.BASE_DIR / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}  # a common phone, in CSS pixels
DESKTOP = {"width": 1366, "height": 768}


@pytest.fixture(scope="session")
def chromium():
    """Headless Debian Chromium driven by Playwright, one for the session."""
    if not os.path.exists(CHROMIUM):
        skip_or_fail(f"{CHROMIUM} is missing (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous and safe, which Django cannot tell.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            # Root in a container needs --no-sandbox; the rest stops Chromium calling home.
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Journey:
    """One person's browser on the live server, saving a numbered screenshot per step into
    test-artifacts/screenshots/<test name>/ for people to review."""

    def __init__(self, page, base_url: str, folder) -> None:
        self.page, self.base_url, self.folder, self.step = page, base_url, folder, 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def shot(self, name: str) -> None:
        self.step += 1
        self.page.screenshot(path=str(self.folder / f"{self.step:02d}-{name}.png"), full_page=True)

    def login(self, username: str, password: str = PASSWORD) -> None:
        self.goto("/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("form:has(input[name=username]) button[type=submit]")
        self.page.wait_for_load_state()

    def logout(self, leaves: bool = True) -> None:
        """Through the account menu, as a person does (the menu folded on a phone). `leaves`:
        the login page follows (False: the person is asked and chooses to stay)."""
        toggler = self.page.locator(".navbar-toggler")
        if toggler.is_visible() and not self.page.locator("#main-nav.show").count():
            toggler.click()
            # The menu slides open: clicks land once it has (a click mid-slide can miss).
            self.page.locator("#main-nav.show:not(.collapsing)").wait_for()
        self.page.click("nav .dropdown-toggle:has(.by-user-name)")
        button = self.page.locator("nav .dropdown-menu.show form[data-logout] button[type=submit]")
        button.wait_for()
        if not leaves:
            button.click()
            return
        with self.page.expect_navigation(url="**/login/**"):
            button.click()


def one_request_at_a_time(live_server) -> None:
    """On SQLite the live server's request threads share the test's in-memory connection. Two
    requests at once (a page, and the map's fetch from the one before) could deadlock in it: one
    holds SQLite's lock and waits for the GIL to run a Python SQL function, the other holds the
    GIL and waits for the lock (seen in CI: the suite hung, past pytest-timeout). The browser
    waits; the requests take turns."""
    if connection.vendor != "sqlite":
        return
    httpd = live_server.thread.httpd
    application, lock = httpd.get_app(), threading.Lock()
    if getattr(application, "one_at_a_time", False):
        return

    def in_turn(environ, start_response):
        with lock:
            return application(environ, start_response)

    in_turn.one_at_a_time = True
    httpd.set_app(in_turn)


@receiver(setting_changed)
def forget_drawn_fragments(*, setting: str, **kwargs) -> None:
    """The fragments drawn once per worker (base.html's asset links) name the static files as
    the storage did then: a test that changes the storage (the journeys) draws them again."""
    if setting in {"STORAGES", "STATIC_URL"}:
        caches["fragments"].clear()


@pytest.fixture
def journey(chromium, live_server, request, settings):
    """A fresh browser context on the live server; `journey(viewport=PHONE)` for a phone."""
    # The live server finds static files where they are (node_modules, static/), by their
    # plain names; the hashed names of the manifest storage would need a collectstatic.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    one_request_at_a_time(live_server)
    contexts = []

    def start(viewport=DESKTOP, name: str | None = None) -> Journey:
        context = chromium.new_context(viewport=viewport, locale="vi-VN")
        context.set_default_timeout(15_000)
        contexts.append(context)
        folder = SCREENSHOTS / (name or request.node.name)
        return Journey(context.new_page(), live_server.url, folder)

    yield start
    for context in contexts:
        context.close()


@pytest.fixture
def watch_errors():
    """Collects page errors, console errors and failed requests of the pages it is given."""
    errors: list[str] = []

    def watch(page) -> list[str]:
        page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
        page.on(
            "console",
            lambda msg: (
                errors.append(f"console on {page.url}: {msg.text[:90]}")
                if msg.type == "error"
                else None
            ),
        )
        # A request the browser itself cancelled (the page moved on) is not a failure.
        page.on(
            "requestfailed",
            lambda req: (
                errors.append(f"failed: {req.url} ({req.failure})")
                if "ERR_ABORTED" not in (req.failure or "")
                else None
            ),
        )
        return errors

    return watch
