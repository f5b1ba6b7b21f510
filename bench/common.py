"""What every bench script shares: the environment, the province database, timings, results.

    from bench import common
    common.setup()              # environment + django.setup(), before importing models
    common.ensure_province()    # create the database, migrate, seed_scale when it is empty

Every bench process runs with DJANGO_SETTINGS_MODULE=bench.settings: the product's settings plus
the `bench` app and its URLs. The province is `manage.py seed_scale` (bench/scale.py) in the
PostgreSQL database `scale_province` on 127.0.0.1 (override with DATABASE_URL or
BENCH_DATABASE_URL); built once, a few minutes, then reused by every bench. Its size can be
changed for a quick try with SCALE_ARGS (e.g. SCALE_ARGS="--communes 5 --members 50000"): the
database is rebuilt when the arguments differ from those it was built with.
"""

from __future__ import annotations

import json
import os
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/scale_province"
# Fixed, so that the tips' code hashes seeded under it stay valid for every bench process.
BENCH_SECRET_KEY = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105


def bench_environment(**extra: str) -> dict[str, str]:
    """The variables of a bench process (and of the servers it starts)."""
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE
    return {
        "DATABASE_URL": url,
        "SECRET_KEY": os.environ.get("SECRET_KEY", BENCH_SECRET_KEY),
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "ENV_FILE": "",
        "DATA_DIR": "var/bench",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "LOG_LEVEL": "ERROR",
        **extra,
    }


def setup(**extra: str) -> None:
    """Set the bench environment (variables already set win, except LOG_LEVEL) and Django."""
    sys.path.insert(0, str(ROOT))
    for name, value in bench_environment(**extra).items():
        if name == "LOG_LEVEL" or name in extra:
            os.environ[name] = value
        else:
            os.environ.setdefault(name, value)
    import django

    django.setup()


def ensure_database() -> None:
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("The benches run on PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres",
        autocommit=True,
    ) as conn:  # fmt: skip
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [db["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def scale_args() -> list[str]:
    return shlex.split(os.environ.get("SCALE_ARGS", "--communes 95 --seed 1"))


def ensure_province(log: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> dict:
    """The province database, built with seed_scale unless it already holds the same one.
    Returns {"built_s": seconds or None, "args": [...]}: built_s None when it was reused."""
    from django.core.management import call_command
    from django.db import connection

    from bench import scale

    ensure_database()
    call_command("migrate", verbosity=0)
    args = scale_args()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_seed_scale_args (args text)")
        cursor.execute("SELECT args FROM bench_seed_scale_args")
        row = cursor.fetchone()
    if row and row[0] == " ".join(args) and not scale.is_empty():
        return {"built_s": None, "args": args}
    log(f"building the province: seed_scale {' '.join(args)} (a few minutes) …")
    started = time.perf_counter()
    call_command("seed_scale", "--reset", *args, stdout=sys.stderr)
    with connection.cursor() as cursor:
        # What autovacuum does soon after a bulk load: the visibility map for index-only scans.
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("DELETE FROM bench_seed_scale_args")
        cursor.execute("INSERT INTO bench_seed_scale_args VALUES (%s)", [" ".join(args)])
    return {"built_s": round(time.perf_counter() - started, 1), "args": args}


# --- who ----------------------------------------------------------------------------------


def first_commune():
    from groups.models import Commune

    return Commune.objects.order_by("pk").first()


# A persona's browser that sends no CSRF cookie: the pages it asks for are drawn every time.
DRAWN = " (no CSRF cookie)"


def keeps_csrf_cookie(persona: str) -> bool:
    return not persona.endswith(DRAWN)


# The pages of issue #9, each as (label, path, persona), keyed by the name `--page` takes in
# bench/profile_pages.py; the framework floor first (bench/province.py loads it around each).
PAGES = {
    "floor": ("framework floor", "/bench/floor/", "commune police"),
    "queue": ("triage queue", "/reports/", "commune police"),
    "roster": ("member roster search", "/members/?q=nguyen+van", "commune police"),
    "checklist": ("posting checklist", "/checklist/", "area officer"),
    "dashboard": ("police dashboard", "/", "commune police"),
    # No target: the same pages drawn on every request (a browser without the CSRF cookie, for
    # which binhyen.page_cache keeps nothing), what a request costs when what it shows changed.
    "queue-drawn": ("triage queue, drawn every request", "/reports/", "commune police" + DRAWN),
    "roster-drawn": (
        "member roster search, drawn every request",
        "/members/?q=nguyen+van",
        "commune police" + DRAWN,
    ),
    # No target: the admin's member search (Django's own changelist, kept for editing), beside
    # which the roster's ratio can be read.
    "admin-members": (
        "admin member search",
        "/admin/groups/member/?q=nguyen+van",
        "commune police",
    ),
}
REFERENCE_PAGES = {
    "triage queue, drawn every request",
    "member roster search, drawn every request",
    "admin member search",
}
# Each page's throughput target, as a share of the floor around it (issue #20: every page 0.6),
# and the floor's, as a share of bare Django's (what the framework alone costs).
TARGET_SHARE: dict[str, float] = {}
DEFAULT_TARGET_SHARE = 0.6
FLOOR_SHARE_OF_BARE = 0.25


def personas() -> dict[str, Any]:
    """Users of the province's first commune, one per role, and the superuser."""
    from accounts.models import User

    code = first_commune().code
    names = {
        "commune police": f"congan-{code}",
        "area officer": f"cskv-{code}-1",
        "hamlet head": f"truongap-{code}-01",
        "party office": f"vanphong-{code}",
        "commune leader": f"lanhdao-{code}",
        "superuser": "scale-admin",
    }
    found = {u.username: u for u in User.objects.filter(username__in=names.values())}
    people = {persona: found[name] for persona, name in names.items() if name in found}
    return {**people, **{persona + DRAWN: user for persona, user in people.items()}}


def verified_client(user, csrf_cookie: bool = True):
    """A test client logged in as `user`, its second factor verified (the device seed_scale
    gave it), as after a real login with the code. `csrf_cookie=False`: a browser that never
    keeps the CSRF cookie, for which every page is drawn (binhyen.page_cache keeps nothing)."""
    from django.conf import settings
    from django.test import Client

    class Browser(Client):
        def request(self, **request):
            if not csrf_cookie:
                self.cookies.pop(settings.CSRF_COOKIE_NAME, None)
            return super().request(**request)

    client = Browser()
    client.force_login(user)
    mark_verified(client.session, user)
    return client


def mark_verified(session, user) -> None:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def session_cookie(user, csrf: bool = True) -> str:
    """A `Cookie:` value for an HTTP client (wrk, the async client): a database session of
    `user`, logged in and with the second factor verified."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.utils.crypto import get_random_string

    from accounts.middleware import LAST_SEEN_KEY, STARTED_KEY

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "accounts.backends.PortalBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    now = int(time.time())
    session[STARTED_KEY] = now
    session[LAST_SEEN_KEY] = now
    session.create()
    mark_verified(session, user)
    # And the CSRF cookie a browser holds after its first page: the pages kept drawn
    # (binhyen.page_cache) are kept per CSRF cookie, and drawn every time without one.
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    if not csrf:
        return cookie
    secret = get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS)
    return f"{cookie}; {settings.CSRF_COOKIE_NAME}={secret}"


# --- figures ------------------------------------------------------------------------------


def percentile(values: Iterable[float], share: float) -> float:
    """The nearest-rank percentile (share 0.95 = p95) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(round(share * len(ordered) + 0.5) - 1, 0)
    return ordered[min(rank, len(ordered) - 1)]


def timed(client, url: str, repeat: int, *, status: int = 200) -> dict:
    """`repeat` requests of `url` through the test client (after one to warm up): median, p95,
    the CPU time of this process (Django's share, steadier than wall time on a shared machine)
    and the number of SQL queries of the last one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    times, cpu = [], []
    count = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        assert response.status_code == status, (url, response.status_code)
        count = len(queries)
    return {
        "median_ms": round(statistics.median(times) * 1000, 1),
        "p95_ms": round(percentile(times, 0.95) * 1000, 1),
        "cpu_median_ms": round(statistics.median(cpu) * 1000, 1),
        "queries": count,
    }


def median_seconds(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def load_average() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def write_results(name: str, payload: dict, *, stamp: bool = True) -> Path:
    """bench/results/<name>-<time>.json (or <name>.json), with the load average added."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / (f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json" if stamp else f"{name}.json")
    payload = {"load_average": os.getloadavg(), **payload}
    out.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    print(f"written: {out.relative_to(ROOT)}", file=sys.stderr)
    return out
