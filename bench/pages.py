"""Throughput and latency of the login page and a logged-in home page, on gunicorn.

Usage (from the project folder, after `make test` or `make run` installed everything):

    .venv/bin/python bench/pages.py [--requests 2000] [--concurrency 16] [--workers 2]

Uses DATABASE_URL / REDIS_URL when set, else a throw-away SQLite file under var/bench/. It loads
the demo data, creates a bench user with a random password, starts gunicorn on a free loopback
port with DEBUG off, logs in once, then sends a bounded number of requests per page from a
thread pool and prints requests per second and p50/p95/p99 latency. Bounded in count and in
time (each request times out after 10 s); it stops gunicorn by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env() -> dict[str, str]:
    env = {
        **os.environ,
        "DEBUG": "0",
        "ENV_FILE": "",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "DATA_DIR": "var/bench",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
    }
    if "DATABASE_URL" not in os.environ:
        (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'bench.sqlite3'}"
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare(env: dict[str, str], password: str) -> None:
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    manage(env, "seed_demo", "--verbosity", "0")
    code = (
        "from accounts.models import User; from django.contrib.auth.models import Group; "
        "u, _ = User.objects.get_or_create(username='bench', defaults={'is_staff': True}); "
        f"u.set_password({password!r}); u.commune_id = 1; u.save(); "
        "u.groups.add(Group.objects.get(name='commune_police'))"
    )
    manage(env, "shell", "-c", code)


def wait_until_up(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


def login(port: int, password: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/login/")
    response = conn.getresponse()
    page = response.read().decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie", "")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urlencode({"username": "bench", "password": password, "csrfmiddlewaretoken": token})
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={csrf_cookie}",
    }
    conn.request("POST", "/login/", body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie", ""))
    if response.status != 302 or not session:
        raise SystemExit(f"login failed: {response.status}")
    return f"sessionid={session.group(1)}"


def one_request(port: int, path: str, cookie: str) -> tuple[float, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return time.perf_counter() - started, response.status


def measure(port: int, path: str, cookie: str, total: int, concurrency: int) -> dict:
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda _: one_request(port, path, cookie), range(total)))
    elapsed = time.perf_counter() - started
    times = sorted(t for t, _ in results)
    quantiles = statistics.quantiles(times, n=100)
    return {
        "path": path,
        "requests": total,
        "statuses": sorted({status for _, status in results}),
        "rps": round(total / elapsed, 1),
        "p50_ms": round(quantiles[49] * 1000, 1),
        "p95_ms": round(quantiles[94] * 1000, 1),
        "p99_ms": round(quantiles[98] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    env = bench_env()
    password = secrets.token_urlsafe(16)
    prepare(env, password)
    port = free_port()
    server = subprocess.Popen(
        [ROOT / ".venv" / "bin" / "gunicorn", "binhyen.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--threads", "4", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        wait_until_up(port, time.monotonic() + 60)
        cookie = login(port, password)
        pages = [("/login/", ""), ("/", cookie)]
        rows = [measure(port, path, c, args.requests, args.concurrency) for path, c in pages]
    finally:
        server.terminate()
        server.wait(timeout=30)
    database = env["DATABASE_URL"].split(":", 1)[0]
    print(f"gunicorn {args.workers} workers × 4 threads, {args.concurrency} clients, {database}")
    print(f"{'page':<10} {'rps':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses")
    for row in rows:
        print(
            f"{row['path']:<10} {row['rps']:>8} {row['p50_ms']:>8} {row['p95_ms']:>8} "
            f"{row['p99_ms']:>8}  {row['statuses']}"
        )
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    out = results / f"pages-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"args": vars(args), "database": database, "pages": rows}, indent=2))
    print(f"written: {out.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
