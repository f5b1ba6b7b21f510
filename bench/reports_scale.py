"""The triage queue and /api/v1/reports/ over 200,000 reports on PostgreSQL, and 50 concurrent
filings.

Usage (from the project folder; PostgreSQL on 127.0.0.1 with trust auth, as on our machines):

    .venv/bin/python bench/reports_scale.py [--reports 200000] [--repeat 15] [--keep]

Rebuilds the database `binhyen_reports_bench` (override with DATABASE_URL) from empty: 20
communes × 10 hamlets, the reports spread over them and over a year (70 % closed, every
category, channel and urgency, some overdue), loaded with COPY, each with its creation event.
`--keep` reuses a database that already holds enough reports. Then, in process through Django's
test client, it times each page `--repeat` times and prints the median, p95 and the number of
SQL queries, for a commune police officer (scope: one commune, 1/20 of the reports) and a
superuser (every report); equal query counts for both show that they do not grow with the data.
Last, 50 threads file a report each at the same moment (report_create, one connection each),
and the script checks that they got 50 distinct, consecutive codes. Results go to bench/results/.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/binhyen_reports_bench")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ENV_FILE", "")
os.environ.setdefault("DATA_DIR", "var/bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "binhyen.settings")
os.environ["LOG_LEVEL"] = "ERROR"

COMMUNES, HAMLETS_PER_COMMUNE, FILINGS = 20, 10, 50
YEAR_SECONDS = 365 * 24 * 3600


def ensure_database() -> None:
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres",
        autocommit=True,
    ) as conn:  # fmt: skip
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [db["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def _copy_line(values: list[object]) -> str:
    def cell(value: object) -> str:
        if value is None:
            return "\\N"
        return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")

    return "\t".join(cell(value) for value in values) + "\n"


def build(reports: int, keep: bool) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from groups.models import Commune, Hamlet
    from groups.normalize import search_key
    from reports.demo import TEXTS
    from reports.models import Category, Channel, IncidentReport, ReportCounter, Status

    call_command("migrate", verbosity=0)
    if keep and IncidentReport.objects.count() >= reports:
        return
    print(f"building {reports:,} reports …", file=sys.stderr)
    started = time.perf_counter()
    with connection.cursor() as cursor:  # a bench database: start from empty, fast
        cursor.execute("TRUNCATE groups_commune, accounts_user RESTART IDENTITY CASCADE")
    communes = Commune.objects.bulk_create(
        Commune(code=f"R{c:03d}", name=f"Xã Thử {c}") for c in range(COMMUNES)
    )
    hamlets = Hamlet.objects.bulk_create(
        Hamlet(commune=c, code=f"{c.code}-{h:02d}", name=f"Ấp {h} {c.name}", households=1000)
        for c in communes
        for h in range(HAMLETS_PER_COMMUNE)
    )
    rng = random.Random(4)  # noqa: S311 (reproducible bench data)
    now = timezone.now()
    start = now.timestamp() - YEAR_SECONDS
    # Receipt times in order, so that codes follow them per commune and year, as filing does.
    moments = sorted(start + rng.random() * YEAR_SECONDS for _ in range(reports))
    categories = list(Category.values)
    channels = [c for c in Channel.values if c != Channel.ZALO_GROUP]
    open_statuses = [Status.RECEIVED, Status.VERIFYING, Status.HANDLING]
    counters: dict[tuple[int, int], int] = {}
    buffer = io.StringIO()
    for i, moment in enumerate(moments):
        hamlet = hamlets[rng.randrange(len(hamlets))]
        created = timezone.datetime.fromtimestamp(moment, tz=timezone.get_current_timezone())
        key = (hamlet.commune_id, created.year)
        counters[key] = counters.get(key, 0) + 1
        code = f"TB-{created.year}-{counters[key]:05d}"
        category = categories[i % len(categories)]
        title, description = rng.choice(TEXTS[category])
        title = f"{title} {i}"
        urgent = rng.random() < 0.15
        due = created + timezone.timedelta(hours=24 if urgent else 168)
        old = (now - created).days > 20
        status = (
            rng.choice([Status.CLOSED] * 8 + [Status.RESOLVED, Status.UNFOUNDED])
            if old and rng.random() < 0.8
            else rng.choice(open_statuses)
        )
        closed = due if status == Status.CLOSED else None
        buffer.write(
            _copy_line([
                hamlet.commune_id, code, hamlet.pk, None, category, title, description,
                created.isoformat(), "", None, None, rng.choice(channels), None,
                "urgent" if urgent else "normal", None, status, None, due.isoformat(),
                "f", "f", "", closed.isoformat() if closed else None, created.isoformat(),
                created.isoformat(), search_key(f"{code} {title} {description}"),
            ])
        )  # fmt: skip
    columns = (
        "commune_id, code, hamlet_id, people_group_id, category, title, description, "
        "occurred_at, location, latitude, longitude, channel, zalo_group_id, urgency, "
        "filed_by_id, status, assigned_to_id, due_at, valuable_tip, solved_by_tip, outcome, "
        "closed_at, created_at, updated_at, search_text"
    )
    buffer.seek(0)
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY reports_incidentreport ({columns}) FROM STDIN") as copy,
    ):
        for line in buffer:
            copy.write(line)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO reports_reportevent "
            "(report_id, kind, created_at, from_status, to_status, text, shared) "
            "SELECT id, 'created', created_at, '', 'received', '', true "
            "FROM reports_incidentreport"
        )
    ReportCounter.objects.bulk_create(
        ReportCounter(commune_id=commune_id, year=year, last=last)
        for (commune_id, year), last in counters.items()
    )
    with connection.cursor() as cursor:
        # What autovacuum does soon after a bulk load: statistics, and the visibility map that
        # lets the capped counts read indexes only.
        cursor.execute("VACUUM ANALYZE")
    print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def users():
    from django.contrib.auth.models import Group

    from accounts.models import User
    from groups.models import Commune

    police, _ = User.objects.get_or_create(
        username="bench-police",
        defaults={"is_staff": True, "commune": Commune.objects.order_by("pk").first()},
    )
    police.groups.add(Group.objects.get(name="commune_police"))
    root, _ = User.objects.get_or_create(
        username="bench-root", defaults={"is_staff": True, "is_superuser": True}
    )
    return {"commune police": police, "superuser": root}


def timed(client, url: str, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm caches and connection
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return {
        "median_ms": round(statistics.median(times) * 1000, 1),
        "p95_ms": round(times[max(int(len(times) * 0.95) - 1, 0)] * 1000, 1),
        "queries": len(queries),
    }


PAGES = [
    ("queue (open, newest)", "/reports/"),
    ("queue all statuses", "/reports/?status=all"),
    ("queue overdue", "/reports/?overdue=yes"),
    ("queue urgent by due", "/reports/?urgency=urgent&sort=due"),
    ("queue sort status", "/reports/?status=all&sort=status"),
    ("queue sort urgency", "/reports/?sort=urgency"),
    ("queue hamlet", "/reports/?status=all&hamlet={hamlet}"),
    ("queue unassigned", "/reports/?assignee=none"),
    ("queue search", "/reports/?status=all&q=trom+xe"),
    ("queue search code", "/reports/?status=all&q=tb-2026-0004"),
    ("queue page 20", "/reports/?status=all&page=20"),
    ("api list", "/api/v1/reports/"),
    ("api filter overdue", "/api/v1/reports/?overdue=true"),
    ("api search", "/api/v1/reports/?search=trom"),
]


def concurrent_filings() -> dict:
    """FILINGS threads file at once for one hamlet: distinct, consecutive codes?"""
    from django.db import connection

    from accounts.models import User
    from groups.models import Hamlet
    from reports.models import IncidentReport
    from reports.services import report_create

    police = User.objects.get(username="bench-police")
    hamlet = Hamlet.objects.filter(commune_id=police.commune_id).order_by("pk").first()
    barrier = threading.Barrier(FILINGS)
    codes: list[str] = []
    errors: list[str] = []

    def file(n: int) -> None:
        try:
            barrier.wait()
            report = report_create(
                actor=police, hamlet=hamlet, category="crime", title=f"Đồng thời {n}",
                description="bench", channel="phone", urgency="normal",
            )  # fmt: skip
            codes.append(report.code)
        except Exception as exc:  # reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=file, args=(n,)) for n in range(FILINGS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    numbers = sorted(int(code.rsplit("-", 1)[1]) for code in codes)
    consecutive = (
        numbers == list(range(numbers[0], numbers[0] + len(numbers))) if numbers else False
    )
    IncidentReport.objects.filter(title__startswith="Đồng thời ").delete()
    return {
        "filings": FILINGS,
        "distinct_codes": len(set(codes)),
        "consecutive": consecutive,
        "errors": errors[:3],
        "seconds": round(seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="reuse a database already built")
    parser.add_argument("--only", default="", help="run only pages whose label contains this")
    args = parser.parse_args()

    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    from groups.models import Hamlet
    from reports.models import IncidentReport

    ensure_database()
    build(args.reports, args.keep)
    setup_test_environment()  # lets the test client run outside the test runner
    people = users()
    hamlet = Hamlet.objects.filter(commune_id=people["commune police"].commune_id).first()
    total = IncidentReport.objects.count()
    rows = []
    for persona, user in people.items():
        client = Client()
        client.force_login(user)
        for label, url in PAGES:
            if args.only not in label:
                continue
            figures = timed(client, url.format(hamlet=hamlet.pk), args.repeat)
            rows.append({"persona": persona, "page": label, "url": url, **figures})
    filings = concurrent_filings()
    print(f"{total:,} reports on PostgreSQL, {args.repeat} requests per page, in process")
    print(f"{'persona':<15} {'page':<22} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for row in rows:
        print(
            f"{row['persona']:<15} {row['page']:<22} {row['median_ms']:>10} "
            f"{row['p95_ms']:>8} {row['queries']:>8}"
        )
    print(
        f"{filings['filings']} concurrent filings: {filings['distinct_codes']} distinct codes, "
        f"consecutive: {filings['consecutive']}, {filings['seconds']} s, "
        f"errors: {filings['errors']}"
    )
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    out = results / f"reports-scale-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {"reports": total, "rows": rows, "filings": filings}, indent=2, ensure_ascii=False
        )
    )


if __name__ == "__main__":
    main()
