"""`make bench`: every benchmark on the synthetic province, in one table with its floors.

Usage (from the project folder; PostgreSQL on 127.0.0.1 with trust auth and Redis, as on our
machines; wrk from Debian, which `make bench` installs):

    .venv/bin/python bench/province.py [--duration 15] [--connections 32] [--workers 3]
                                       [--worker-class sync] [--threads 1]
                                       [--skip pages,sql,import,reminders,review]

It builds (or reuses) the province database of bench/common.py (`manage.py seed_scale
--communes 95 --seed 1`, PostgreSQL `scale_province`), then measures, each figure against a
floor measured in the same run (absolute times drift on a shared machine; the ratios less so):

- pages: gunicorn on loopback as the image runs it (sync workers, `--workers` 3 = the image's
  WEB_CONCURRENCY; DEBUG off, Redis cache), loaded by
  wrk with `--connections` connections for `--duration` seconds per page: throughput and
  p50/p95/p99 of the triage queue, the member roster's search (`/members/?q=nguyen van`), the
  posting checklist and the police dashboard (the home page `/`), and, with no target, the
  admin's member search (Django's changelist, kept for editing), against the framework
  floor `/bench/floor/` (a signed-in page rendering the base template, served by the
  benchmark's own URLs, bench/urls.py), loaded before the first page,
  between every two and after the last: each page's ratio is to the mean of the two floor runs
  around it; and, as the limit of Django itself on this machine, bench/bare.py (the same
  gunicorn, Python and Django, one view returning a constant with no middleware, session,
  database or template; its own server, before and after the pages): the floor's throughput
  divided by it; and bench/stock.py, the least a signed-in Django page costs (Django's own
  middleware, the product's database session and user, a small template; its own server too);
- the peak resident memory (VmHWM) of each gunicorn worker over the load run;
- the SQL of each page executed alone (the queries the page ran, captured in process) against
  the page's own time in process;
- a member import of 10,000 rows (as the admin: the preview, then the confirmation, which saves
  the rows the preview checked) against a bare COPY of the same rows; and, as the least any
  audited import costs, reading the file plus a COPY of the rows and their audit entries,
  committed;
- one reminder run over the 1,000,000 postings against its SQL executed alone;
- the yearly review: a Celery worker (concurrency 2, Redis broker) builds the documents of
  one commune, then of all 95 (enqueued at once through `build_request`, timed until every
  build is done), against 95 × the single build spread over the worker's processes; with the
  peak memory of the worker (its main process and pool processes together).

Prints one table (figure, value, target, ratio, floor) and writes bench/results/province-*.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common

ROOT = common.ROOT
# The servers' gunicorn and celery: from BENCH_SERVER_BIN (`make bench`: a virtualenv of the
# runtime packages only, as the image has), else from the virtualenv this script runs in.
BIN = Path(os.environ.get("BENCH_SERVER_BIN") or Path(sys.executable).parent)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
FLOOR_FIGURES = ("rps", "p50_ms", "p95_ms", "p99_ms")
BARE_PATH = "/bench/bare/"  # bench/bare.py
STOCK_PATH = "/bench/stock/"  # bench/stock.py
PAGES = list(common.PAGES.values())  # (label, path, persona); the floor first
REFERENCE_PAGES = common.REFERENCE_PAGES
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "errors": %d, "status_errors": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    e.status, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end
"""


@dataclass(frozen=True)
class Target:
    """What a figure must reach: its value, or its ratio (to the floor, to a bare COPY…), at
    most or at least a limit. Each row of the table says whether it was met."""

    text: str
    of: str = "value"  # or "ratio"
    most: float | None = None
    least: float | None = None

    def verdict(self, value: float | None, ratio: float | None) -> str:
        figure = value if self.of == "value" else ratio
        if figure is None:
            return "missed"
        low_enough = self.most is None or figure <= self.most
        high_enough = self.least is None or figure >= self.least
        return "met" if low_enough and high_enough else "missed"


def at_most(limit: float, unit: str = "") -> Target:
    return Target(f"≤ {limit:g}{unit}", most=limit)


def ratio_at_least(share: float, of_what: str) -> Target:
    return Target(f"≥ {share:g} {of_what}", of="ratio", least=share)


def ratio_at_most(times: float, of_what: str) -> Target:
    return Target(f"≤ {times:g}× {of_what}", of="ratio", most=times)


NO_TARGET = Target("")


class Table:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(
        self, figure: str, value, unit: str, target: Target = NO_TARGET, ratio=None,
        floor: str = "",
    ) -> dict:  # fmt: skip
        verdict = target.verdict(value, ratio) if target.text else ""
        row = {"figure": figure, "value": value, "unit": unit, "target": target.text,
               "ratio": ratio, "floor": floor, "verdict": verdict}  # fmt: skip
        self.rows.append(row)
        print(f"  {figure}: {value} {unit} {verdict}", file=sys.stderr)
        return row

    def print(self) -> None:
        head = f"{'figure':<52} {'value':>14} {'target':>14} {'ratio':>7} {'verdict':>7}  floor"
        print(head)
        print("-" * len(head))
        for row in self.rows:
            value = row["value"]
            shown = f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
            ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}"
            print(
                f"{row['figure']:<52} {shown + ' ' + row['unit']:>14} {row['target']:>14} "
                f"{ratio:>7} {row['verdict']:>7}  {row['floor']}"
            )
        missed = [row["figure"] for row in self.rows if row["verdict"] == "missed"]
        met = sum(row["verdict"] == "met" for row in self.rows)
        print(
            f"\n{met} targets met, {len(missed)} missed"
            + (": " + "; ".join(missed) if missed else ".")
        )


# --- processes ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(**extra: str) -> dict[str, str]:
    return {**os.environ, **common.bench_environment(), "DEBUG": "0", "REDIS_URL": REDIS_URL,
            "LOG_LEVEL": "WARNING", **extra}  # fmt: skip


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def status_kib(pid: int, field: str) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def pss_kib(pid: int) -> int:
    """A process's proportional set size: its private pages, and its share of those it shares
    (a preloaded gunicorn worker shares most of its code with the master and its siblings)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    """Samples a process tree's resident memory every 0.2 s: the peak of the sum, each
    process's own peak (VmHWM) and its peak proportional share (PSS)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.stop, self.peak_total_kib = pid, threading.Event(), 0
        self.peak_each_kib: dict[int, int] = {}
        self.peak_pss_kib: dict[int, int] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            pids = [self.pid, *children(self.pid)]
            total = 0
            for pid in pids:
                total += status_kib(pid, "VmRSS")
                self.peak_each_kib[pid] = max(
                    self.peak_each_kib.get(pid, 0), status_kib(pid, "VmHWM")
                )
                self.peak_pss_kib[pid] = max(self.peak_pss_kib.get(pid, 0), pss_kib(pid))
            self.peak_total_kib = max(self.peak_total_kib, total)
            self.stop.wait(0.2)


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- pages under load ---------------------------------------------------------------------


def wrk(port: int, path: str, cookie: str, *, duration: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    command = [
        "wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", "--timeout",
        "10s", "-s", script.name, "-H", f"Cookie: {cookie}", f"http://127.0.0.1:{port}{path}",
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    found = re.search(r"WRK_JSON (\{.*\})", output)
    if not found:
        raise SystemExit(f"wrk gave no figures:\n{output}")
    figures = json.loads(found.group(1))
    seconds = figures["duration_us"] / 1e6
    return {
        "requests": figures["requests"],
        "rps": round(figures["requests"] / seconds, 1),
        "errors": figures["errors"],
        "p50_ms": round(figures["p50_us"] / 1000, 1),
        "p95_ms": round(figures["p95_us"] / 1000, 1),
        "p99_ms": round(figures["p99_us"] / 1000, 1),
        "max_ms": round(figures["max_us"] / 1000, 1),
    }


def check_page(port: int, path: str, cookie: str) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        status = opener.open(request, timeout=30).status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != 200:
        raise SystemExit(f"{path} answers {status}, not 200: the load run would measure that")


@contextlib.contextmanager
def gunicorn(args, ready_path: str, **env: str) -> Iterator[tuple[int, subprocess.Popen]]:
    """gunicorn on a free loopback port as the image runs it, once `ready_path` answers."""
    port = free_port()
    server = subprocess.Popen(
        [BIN / "gunicorn", "binhyen.wsgi", "--bind", f"127.0.0.1:{port}", "--workers",
         str(args.workers), "--threads", str(args.threads), "--worker-class", args.worker_class,
         "--log-level", "warning", "--timeout", "60"],
        cwd=ROOT, env=server_environment(**env),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=5)
                break
            time.sleep(0.5)
        yield port, server
    finally:
        stop_process(server)


def bare_django(args) -> dict:
    """One load run of bench/bare.py: Django with no middleware, session or template."""
    return reference_run(args, "bare Django", BARE_PATH, "bench.bare")


def stock_django(args, cookie: str) -> dict:
    """One load run of bench/stock.py: a signed-in page with Django's own middleware only."""
    return reference_run(args, "stock Django signed in", STOCK_PATH, "bench.stock", cookie)


def reference_run(args, label: str, path: str, settings: str, cookie: str = "") -> dict:
    with gunicorn(args, path, DJANGO_SETTINGS_MODULE=settings) as (port, _server):
        check_page(port, path, cookie)
        wrk(port, path, cookie, duration=2, connections=args.connections)
        time.sleep(3)
        run = wrk(port, path, cookie, duration=args.duration, connections=args.connections)
    print(f"  {label}: {run}", file=sys.stderr)
    return run


def medians(runs: list[dict]) -> dict:
    """Each of FLOOR_FIGURES, the median over `runs` (load runs of one page)."""
    return {key: statistics.median(run[key] for run in runs) for key in FLOOR_FIGURES}


def pages_under_load(table: Table, args, results: dict) -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: `make bench` installs it (apt-get install wrk).")
    people = common.personas()
    cookies = {
        persona: common.session_cookie(user, csrf=common.keeps_csrf_cookie(persona))
        for persona, user in people.items()
    }
    # Django's own limit, before and after the pages (its own server: nothing else runs then).
    bares = [bare_django(args)]
    floor_cookie = cookies[PAGES[0][2]]  # the stock page signs in as the floor does
    stocks = [stock_django(args, floor_cookie)]
    sampler = None
    with gunicorn(args, "/login/") as (port, server):
        try:
            for _label, path, persona in PAGES:
                check_page(port, path, cookies[persona])
            sampler = Sampler(server.pid)
            sampler.start()

            def load(label: str, path: str, persona: str) -> dict:
                # A short warm-up (caches, connections), then the measured run.
                wrk(port, path, cookies[persona], duration=2, connections=args.connections)
                time.sleep(3)  # the requests the warm-up left queued in gunicorn drain first
                run = wrk(port, path, cookies[persona], duration=args.duration,
                          connections=args.connections)  # fmt: skip
                print(f"  {label}: {run}", file=sys.stderr)
                return {**run, "path": path}

            # The floor runs before the first page, between every two and after the last: each
            # page is compared with the floor just around it, since what else runs on a shared
            # machine changes within minutes.
            floors = [load(*PAGES[0])]
            figures = {}
            for page in PAGES[1:]:
                figures[page[0]] = load(*page)
                floors.append(load(*PAGES[0]))
        finally:
            if sampler:
                sampler.stop.set()
                sampler.join()
    stocks.append(stock_django(args, floor_cookie))
    bares.append(bare_django(args))
    bare, stock, floor = medians(bares), medians(stocks), medians(floors)
    results["bare_django"] = {**bare, "runs": bares}
    results["stock_django"] = {**stock, "runs": stocks}
    results["pages"] = {PAGES[0][0]: {**floor, "runs": floors}, **figures}
    table.add(
        f"floor /bench/floor/ throughput ({args.connections} conn.)", floor["rps"], "req/s",
        NO_TARGET, 1.0, f"median of {len(floors)} runs",
    )  # fmt: skip
    table.add("floor p95", floor["p95_ms"], "ms", at_most(300, " ms"), 1.0, "itself")
    table.add(
        f"bare Django {BARE_PATH} throughput (reference)", bare["rps"], "req/s",
        ratio_at_least(common.FLOOR_SHARE_OF_BARE, "(floor ÷ this)"),
        round(floor["rps"] / bare["rps"], 2), "floor ÷ bare Django (median of 2 runs)",
    )  # fmt: skip
    table.add(
        f"stock Django signed in {STOCK_PATH} throughput (reference)", stock["rps"], "req/s",
        NO_TARGET, round(stock["rps"] / bare["rps"], 2),
        f"÷ bare Django; floor ÷ this {floor['rps'] / stock['rps']:.2f} (median of 2 runs)",
    )  # fmt: skip
    errors, requests = (sum(run[key] for run in floors) for key in ("errors", "requests"))
    table.add("floor errors", errors, "", at_most(0), None, f"of {requests:,}")
    for index, (label, _path, _persona) in enumerate(PAGES[1:]):
        page = figures[label]
        around = {key: (floors[index][key] + floors[index + 1][key]) / 2 for key in FLOOR_FIGURES}
        page["floor_around"] = around
        reference = label in REFERENCE_PAGES
        share = common.TARGET_SHARE.get(label, common.DEFAULT_TARGET_SHARE)
        target = NO_TARGET if reference else ratio_at_least(share, "floor")
        table.add(
            f"{label} throughput", page["rps"], "req/s", target,
            round(page["rps"] / around["rps"], 2), f"floor around it {around['rps']:.0f} req/s",
        )  # fmt: skip
        table.add(
            f"{label} p50 / p99", page["p50_ms"], "ms", NO_TARGET, None, f"p99 {page['p99_ms']} ms"
        )
        table.add(
            f"{label} p95", page["p95_ms"], "ms", NO_TARGET if reference else at_most(300, " ms"),
            round(page["p95_ms"] / around["p95_ms"], 2), f"floor p95 {around['p95_ms']:.0f} ms",
        )  # fmt: skip
        table.add(
            f"{label} errors", page["errors"], "", at_most(0), None, f"of {page['requests']:,}"
        )
    workers = {pid: kib for pid, kib in sampler.peak_each_kib.items() if pid != server.pid}
    peak = max(workers.values(), default=0) / 1024
    results["web_worker_peak_rss_mib"] = round(peak, 1)
    # gunicorn itself turns sync workers with more than one thread into gthread workers.
    threaded = args.worker_class == "gthread" or args.threads > 1
    server_kind = f"gthread workers × {args.threads} threads" if threaded else "sync workers"
    results["web_server"] = f"{len(workers)} {server_kind}"
    table.add("web worker peak RSS (load run)", round(peak, 1), "MiB", at_most(100, " MiB"), None,
              results["web_server"])  # fmt: skip
    pss = max((k for pid, k in sampler.peak_pss_kib.items() if pid != server.pid), default=0)
    results["web_worker_peak_pss_mib"] = round(pss / 1024, 1)
    # What one more worker costs: RSS counts in full the pages it shares with the others.
    table.add("web worker peak PSS (load run, reference)", round(pss / 1024, 1), "MiB",
              NO_TARGET, None, "its share of what the workers share")  # fmt: skip


# --- the SQL of each page alone -----------------------------------------------------------


def sql_alone(table: Table, results: dict, repeat: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    people = common.personas()
    figures = {}
    for label, path, persona in PAGES:
        client = common.verified_client(
            people[persona], csrf_cookie=common.keeps_csrf_cookie(persona)
        )
        page = common.timed(client, path, repeat)
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        selects = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper()
                   .startswith(("SELECT", "WITH"))]  # fmt: skip
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            with connection.cursor() as cursor:
                for sql in selects:
                    cursor.execute(sql)
                    cursor.fetchall()
            times.append(time.perf_counter() - began)
        sql_ms = round(statistics.median(times) * 1000, 1)
        figures[label] = {**page, "sql_ms": sql_ms, "selects": len(selects)}
        table.add(
            f"{label}: its SQL alone", sql_ms, "ms", NO_TARGET,
            round(sql_ms / page["median_ms"], 2),
            f"page {page['median_ms']} ms, {page['queries']} queries",
        )  # fmt: skip
        if path == PAGES[0][1]:  # what every signed-in page pays
            table.add(
                f"{label}: SQL queries per request", page["queries"], "", at_most(2), None, ""
            )
    results["sql"] = figures


# --- member import vs COPY ----------------------------------------------------------------


def import_vs_copy(table: Table, results: dict, rows: int) -> None:
    from django.db import connection, transaction

    from bench import import_members as bench_import
    from groups.models import Member

    actor, groups = bench_import.setup_register(rows)
    try:
        content = bench_import.workbook(rows, groups)
        # as the admin: the upload's preview, then the confirmation, which saves what the
        # preview checked
        steps = bench_import.preview_and_confirm(content, actor)
        assert steps[-1][-1], "the confirmation saved nothing"
        import_s = sum(read + check for _step, read, check, _cpu, _counts, _saved in steps)
        _step, read_s, *_rest = steps[0]  # the preview's reading of the file
        members = Member.objects.filter(group__in=groups)
        assert members.count() == rows, members.count()
        saved = _saved_rows(members)
        with transaction.atomic():
            sid = transaction.savepoint()
            _delete_saved(connection, saved)
            copy_s = _copy_rows(connection, saved[:1])
            transaction.savepoint_rollback(sid)
        # What no audited import can go below: the same rows and their audit entries, copied
        # and committed (the bare COPY above is rolled back, so writes no audit and no commit).
        _delete_saved(connection, saved)
        began = time.perf_counter()
        with transaction.atomic():
            _copy_rows(connection, saved)
        audited_s = time.perf_counter() - began
    finally:
        bench_import.cleanup()
    results["import"] = {
        "rows": rows,
        "import_s": round(import_s, 2),
        "copy_s": round(copy_s, 3),
        "read_s": round(read_s, 3),
        "audited_copy_s": round(audited_s, 3),
    }
    table.add(
        f"member import, {rows:,} rows (preview + commit)", round(import_s, 2), "s",
        ratio_at_most(3, "bare COPY"), round(import_s / copy_s, 1), f"bare COPY {copy_s:.2f} s",
    )  # fmt: skip
    table.add(
        "  its least: the file read, then rows and audit COPY, committed (reference)",
        round(read_s + audited_s, 2), "s", NO_TARGET, round((read_s + audited_s) / copy_s, 1),
        f"read {read_s:.2f} s + COPY and commit {audited_s:.2f} s",
    )  # fmt: skip


# (table, columns, rows) of each table an import writes to: its members, their audit entries.
Saved = list[tuple[str, list[str], list[tuple]]]


def _saved_rows(members) -> Saved:
    """The imported members and their audit entries, every column, as stored."""
    from auditlog.models import LogEntry
    from psycopg.types.json import Jsonb

    saved = []
    entries = LogEntry.objects.get_for_model(members.model).filter(
        object_id__in=members.values("pk")
    )
    for model, queryset in ((members.model, members), (LogEntry, entries)):
        fields = model._meta.concrete_fields
        json_at = {i for i, f in enumerate(fields) if f.get_internal_type() == "JSONField"}
        rows = [
            tuple(Jsonb(v) if i in json_at and v is not None else v for i, v in enumerate(row))
            for row in queryset.values_list(*(f.attname for f in fields))
        ]
        saved.append((model._meta.db_table, [f.column for f in fields], rows))
    return saved


def _delete_saved(connection, saved: Saved) -> None:
    with connection.cursor() as cursor:
        for table, _columns, rows in reversed(saved):  # the audit entries first
            ids = [row[0] for row in rows]  # the id: the first concrete field
            cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [ids])  # noqa: S608 (our names)


def _copy_rows(connection, saved: Saved) -> float:
    """COPY each table's rows as they are; the seconds it took."""
    began = time.perf_counter()
    with connection.cursor() as cursor:
        for table, columns, rows in saved:
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    return time.perf_counter() - began


# --- reminders ----------------------------------------------------------------------------


def reminder_run(table: Table, results: dict) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.postings_scale import clear_reminders
    from bulletins.models import Posting
    from bulletins.services import reminders_send

    now = timezone.localtime().replace(hour=16, minute=30, second=0, microsecond=0)
    clear_reminders()
    with CaptureQueriesContext(connection) as captured:
        began = time.perf_counter()
        run = reminders_send(now=now)
        seconds = time.perf_counter() - began
    selects = [q["sql"] for q in captured.captured_queries
               if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]  # fmt: skip
    began = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in selects:
            cursor.execute(sql)
            cursor.fetchall()
    sql_s = time.perf_counter() - began
    postings = Posting.objects.count()
    results["reminders"] = {
        "postings": postings, "seconds": round(seconds, 2), "sql_s": round(sql_s, 2),
        "digests": run.digests, "escalations": run.escalations, "queries": len(captured),
    }  # fmt: skip
    table.add(
        f"reminder run over {postings:,} postings", round(seconds, 2), "s", NO_TARGET,
        round(seconds / sql_s, 1) if sql_s else None,
        f"its {len(selects)} SELECTs alone {sql_s:.2f} s; {run.digests} digests",
    )  # fmt: skip


# --- the yearly review in the worker ------------------------------------------------------


def yearly_review(table: Table, results: dict, concurrency: int) -> None:
    from django.db.models import ProtectedError
    from django.utils import timezone

    from groups.models import Commune
    from reviews.models import AnnualReview, ReviewBuild
    from reviews.services import build_request, review_create

    year = timezone.localdate().year
    communes = list(Commune.objects.order_by("pk"))
    # The drafts of an earlier run go, so that every run times the same work.
    with contextlib.suppress(ProtectedError):
        AnnualReview.objects.filter(year=year, commune__in=communes).delete()
    began = time.perf_counter()
    reviews = []
    for commune in communes:  # the drafts (figures and narrative), in this process
        review = AnnualReview.objects.filter(commune=commune, year=year).first()
        reviews.append(review or review_create(actor=None, commune=commune, year=year))
    drafts_s = time.perf_counter() - began
    from binhyen.celery import app

    # Tasks left queued by the earlier steps (the reminder run's e-mails) are not the review's.
    app.control.purge()
    env = server_environment(CELERY_WORKER_CONCURRENCY=str(concurrency))
    worker = subprocess.Popen(
        [BIN / "celery", "-A", "binhyen", "worker", "--loglevel", "WARNING", "--concurrency",
         str(concurrency), "-Q", "celery,documents,reminders", "--without-heartbeat",
         "--without-gossip", "--without-mingle", "-n", f"bench-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    sampler = Sampler(worker.pid)
    sampler.start()

    def build_all(selected: list[AnnualReview]) -> float:
        from django.conf import settings

        assert settings.CELERY_BROKER_URL.startswith("redis"), "the bench needs REDIS_URL"
        started = time.perf_counter()
        builds = [build_request(actor=None, review=review).pk for review in selected]
        while True:
            statuses = list(
                ReviewBuild.objects.filter(pk__in=builds).values_list("status", flat=True)
            )
            failed = statuses.count(ReviewBuild.Status.FAILED)
            if failed:
                raise SystemExit(f"{failed} review builds failed")
            if statuses.count(ReviewBuild.Status.DONE) == len(builds):
                return time.perf_counter() - started
            if time.perf_counter() - started > 1800:
                raise SystemExit("the review builds did not finish in 30 minutes")
            time.sleep(0.25)

    try:
        time.sleep(3)  # the worker's start
        one_s = build_all(reviews[:1])
        all_s = build_all(reviews)
    finally:
        sampler.stop.set()
        sampler.join()
        stop_process(worker)
    expected = one_s * len(reviews) / concurrency
    results["review"] = {
        "drafts_s": round(drafts_s, 1), "one_s": round(one_s, 1), "all_s": round(all_s, 1),
        "communes": len(reviews), "concurrency": concurrency,
        "worker_peak_total_mib": round(sampler.peak_total_kib / 1024, 1),
        "worker_peak_process_mib": round(max(sampler.peak_each_kib.values()) / 1024, 1),
    }  # fmt: skip
    table.add(
        f"review drafts (figures + narrative), {len(reviews)} communes", round(drafts_s, 1), "s",
        NO_TARGET, None, "in process, one after the other",
    )  # fmt: skip
    table.add(
        "yearly review, one commune (worker)", round(one_s, 1), "s", at_most(5, " s"), 1.0, "itself"
    )
    table.add(
        f"yearly review, all {len(reviews)} communes (worker)", round(all_s, 1), "s",
        at_most(300, " s"),
        round(all_s / expected, 2), f"{len(reviews)} × one ÷ {concurrency} = {expected:.0f} s",
    )  # fmt: skip
    table.add(
        "Celery worker peak RSS (province review)", round(sampler.peak_total_kib / 1024, 1),
        "MiB", at_most(1024, " MiB"), None,
        f"main + {concurrency} processes; largest {results['review']['worker_peak_process_mib']}",
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per page")
    parser.add_argument("--connections", type=int, default=32)
    # As the image runs gunicorn (Dockerfile: sync workers, WEB_CONCURRENCY=3). Sync workers
    # take each request from the one accept queue in turn; gthread workers keep each keep-alive
    # connection on the worker that accepted it, so the busier worker's connections wait longer
    # (p95 1.3–2.2 × p50 against 1.1 × with sync workers; throughput 5–15 % lower).
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument("--threads", type=int, default=1, help="threads a worker (>1: gthread)")
    parser.add_argument("--repeat", type=int, default=10, help="in-process repeats (SQL alone)")
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--skip", default="", help="comma-separated: pages,sql,import,…")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    common.setup(REDIS_URL=REDIS_URL)
    began = time.perf_counter()
    table, results = Table(), {"args": vars(args)}
    built = common.ensure_province()
    results["province"] = built
    from bulletins.models import Posting
    from groups.models import Commune, Hamlet, Member, ZaloGroup
    from reports.models import IncidentReport

    counts = {
        "communes": Commune.objects.count(), "hamlets": Hamlet.objects.count(),
        "groups": ZaloGroup.objects.count(), "members": Member.objects.count(),
        "reports": IncidentReport.objects.count(), "postings": Posting.objects.count(),
    }  # fmt: skip
    results["counts"] = counts
    if built["built_s"] is not None:
        table.add("province built (seed_scale)", built["built_s"], "s", at_most(600, " s"))
    steps = {
        "pages": lambda: pages_under_load(table, args, results),
        "sql": lambda: sql_alone(table, results, args.repeat),
        "import": lambda: import_vs_copy(table, results, args.import_rows),
        "reminders": lambda: reminder_run(table, results),
        "review": lambda: yearly_review(table, results, args.concurrency),
    }
    for name, step in steps.items():
        if name in skip:
            continue
        print(f"{name} …", file=sys.stderr)
        step()
    results["table"] = table.rows
    results["seconds"] = round(time.perf_counter() - began, 1)
    print()
    print(
        f"Province: {counts['communes']} communes, {counts['hamlets']:,} hamlets, "
        f"{counts['groups']:,} groups, {counts['members']:,} members, "
        f"{counts['reports']:,} reports, {counts['postings']:,} postings "
        f"({'built in ' + str(built['built_s']) + ' s' if built['built_s'] else 'reused'})."
    )
    print(f"Load average at the end: {common.load_average()} (2 cores).")
    table.print()
    common.write_results("province", results)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
