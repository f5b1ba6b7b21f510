"""Load: a mix of pages for a fixed time at a fixed number of connections, as several personas.

Usage (from the project folder, after `make test` or `make run` installed everything):

    .venv/bin/python bench/load.py [--seconds 60] [--connections 32] [--workers 3]
                                   [--worker-class sync] [--threads 1]

Uses DATABASE_URL / REDIS_URL when set, else a throw-away SQLite file under var/bench/. It
migrates and loads the demo data (seed_demo), starts gunicorn on a free loopback port with
DEBUG off, as the image runs it (sync workers, `--workers` 3 = the Dockerfile's
WEB_CONCURRENCY; `--threads` above 1 makes gunicorn use gthread workers), and signs the demo
personas in — the commune police (`congan`, who needs the second factor: its session is
marked verified with a confirmed TOTP device, as a test login is), an area officer, a hamlet
head, the party office, the commune leader — by sessions made with Django's
test login machinery. Each of `--connections` threads keeps one connection (opened again when a
sync worker closes it after its answer) and sends,
until the time is up, requests drawn at random from the mix: the login page (anonymous), home,
the triage queue, a report's page, the member list, the posting checklist, the bulletin list,
the review list and API lists, each as the personas that may open it (a page a persona may not
open is left out of its mix after one probe, and listed). Prints, per page and in total,
requests, throughput, p50/p95/p99 latency, errors (no answer) and 5xx; writes JSON to
bench/results/. Target: zero errors, zero 5xx. Stops gunicorn by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pages import ROOT, bench_env, free_port, manage, wait_until_up

# persona → username of the demo data (seeds/users.csv)
PERSONAS = {
    "police": "congan",
    "officer": "cskv",
    "head": "truongap",
    "party": "vanphong",
    "leader": "lanhdao",
}

# page → (path, the personas it is sent as, weight in the mix); "{report}" is the persona's own
PAGES = {
    "login": ("/login/", ["anonymous"], 1),
    "home": ("/", ["police", "officer", "head", "party", "leader"], 3),
    "triage queue": ("/reports/", ["police", "officer"], 3),
    "report detail": ("/reports/{report}/", ["police", "officer", "head"], 2),
    "member list": ("/admin/groups/member/", ["police"], 1),
    "checklist": ("/checklist/", ["officer"], 2),
    "bulletin list": ("/bulletins/", ["police", "officer", "leader"], 2),
    "review list": ("/reviews/", ["police", "party", "leader"], 1),
    "api reports": ("/api/v1/reports/", ["police", "officer"], 1),
    "api postings": ("/api/v1/postings/?mine=true", ["officer"], 1),
}

# Run inside `manage.py shell`: one signed-in session per persona (the second factor marked as
# verified with a confirmed TOTP device, as the test suite's logins are), and a report in its scope.
SESSIONS = """
import json, time
from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from accounts.middleware import LAST_SEEN_KEY, STARTED_KEY
from accounts.models import User
from accounts.services import requires_two_factor
from groups.access import hamlets_for
from reports.models import IncidentReport

out = {}
for persona, username in json.loads(PERSONAS).items():
    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    session = client.session
    if requires_two_factor(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:  # seed_demo gives none with DEBUG off; a random key, as tests do
            device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[STARTED_KEY] = session[LAST_SEEN_KEY] = int(time.time())
    session.save()
    report = IncidentReport.objects.filter(hamlet__in=hamlets_for(user)).order_by("-pk").first()
    out[persona] = {
        "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
        "report": report.pk if report else None,
    }
print("SESSIONS=" + json.dumps(out))
"""


def sessions(env: dict[str, str]) -> dict[str, dict]:
    code = f"PERSONAS = {json.dumps(json.dumps(PERSONAS))}\n{SESSIONS}"
    done = subprocess.run(
        [ROOT / ".venv" / "bin" / "python", "manage.py", "shell", "-c", code],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    line = next(line for line in done.stdout.splitlines() if line.startswith("SESSIONS="))
    return json.loads(line.removeprefix("SESSIONS="))


class Connection:
    """One keep-alive HTTP connection, reopened when the server closed it."""

    def __init__(self, port: int) -> None:
        self.port, self.conn = port, None

    def get(self, path: str, cookie: str) -> int:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                response = self.conn.getresponse()
                response.read()
                if response.will_close:
                    self.conn.close()
                    self.conn = None
                return response.status
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server closed between requests: not an error of
                # the page; retried once on a new connection.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def plan(port: int, people: dict[str, dict]) -> tuple[list[tuple], list[str]]:
    """The weighted mix of (page, persona, path, cookie), each probed once; what was left out."""
    mix, left_out = [], []
    probe = Connection(port)
    for page, (template, personas, weight) in PAGES.items():
        for persona in personas:
            person = people.get(persona, {"cookie": "", "report": None})
            if "{report}" in template and person["report"] is None:
                left_out.append(f"{page} as {persona}: no report in scope")
                continue
            path = template.format(report=person["report"])
            status = probe.get(path, person["cookie"])
            if status != 200:
                left_out.append(f"{page} as {persona}: {status}")
                continue
            mix.extend([(page, persona, path, person["cookie"])] * weight)
    return mix, left_out


def run_load(port: int, mix: list[tuple], seconds: float, connections: int) -> dict[str, list]:
    samples: dict[str, list] = defaultdict(list)  # page → [(seconds, status)], status 0 = error
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 (which page next, not a secret)
        conn, mine = Connection(port), defaultdict(list)
        while time.monotonic() < stop_at:
            page, _persona, path, cookie = rng.choice(mix)
            started = time.perf_counter()
            try:
                status = conn.get(path, cookie)
            except OSError:
                status, conn = 0, Connection(port)
            mine[page].append((time.perf_counter() - started, status))
        with lock:
            for page, rows in mine.items():
                samples[page].extend(rows)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


def summary(rows: list[tuple[float, int]], seconds: float) -> dict:
    times = sorted(t for t, _ in rows)
    cuts = statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else times * 99
    statuses: dict[str, int] = defaultdict(int)
    for _, status in rows:
        statuses[str(status)] += 1
    return {
        "requests": len(rows),
        "rps": round(len(rows) / seconds, 1),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "errors": statuses.get("0", 0),
        "5xx": sum(n for status, n in statuses.items() if status.startswith("5")),
        "statuses": dict(sorted(statuses.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument("--threads", type=int, default=1, help="threads a worker (>1: gthread)")
    args = parser.parse_args()

    env = bench_env()
    if "sqlite" in env["DATABASE_URL"]:
        env["DATABASE_URL"] = env["DATABASE_URL"].replace("bench.sqlite3", "load.sqlite3")
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    manage(env, "seed_demo", "--verbosity", "0")
    people = sessions(env)
    port = free_port()
    server = subprocess.Popen(
        [ROOT / ".venv" / "bin" / "gunicorn", "binhyen.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--threads", str(args.threads),
         "--worker-class", args.worker_class,
         "--keep-alive", "5", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        wait_until_up(port, time.monotonic() + 60)
        mix, left_out = plan(port, people)
        started = time.monotonic()
        samples = run_load(port, mix, args.seconds, args.connections)
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    rows = {page: summary(samples[page], elapsed) for page in PAGES if samples.get(page)}
    total = summary([row for page in samples.values() for row in page], elapsed)
    database = env["DATABASE_URL"].split(":", 1)[0]
    # gunicorn itself turns sync workers with more than one thread into gthread workers.
    threaded = args.worker_class == "gthread" or args.threads > 1
    kind = f"gthread workers × {args.threads} threads" if threaded else "sync workers"
    print(
        f"gunicorn {args.workers} {kind}, {args.connections} "
        f"connections, {elapsed:.0f} s, {database}, {len(people)} personas + anonymous"
    )
    print(f"{'page':<15} {'requests':>8} {'rps':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'errors':>6} {'5xx':>5}")  # fmt: skip
    for page, row in [*rows.items(), ("TOTAL", total)]:
        print(
            f"{page:<15} {row['requests']:>8} {row['rps']:>7} {row['p50_ms']:>8} "
            f"{row['p95_ms']:>8} {row['p99_ms']:>8} {row['errors']:>6} {row['5xx']:>5}"
        )
    for line in left_out:
        print(f"  left out after the probe: {line}")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    out = results / f"load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    report = {
        "args": vars(args),
        "web_server": f"{args.workers} {kind}",
        "database": database,
        "seconds": round(elapsed, 1),
        "pages": rows,
        "total": total,
        "left_out": left_out,
    }
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"written: {out.relative_to(ROOT)}", file=sys.stderr)
    if total["errors"] or total["5xx"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
