"""The triage queue and /api/v1/reports/ over the province's 200,000 reports on PostgreSQL, and
50 concurrent filings.

Usage (from the project folder; PostgreSQL on 127.0.0.1 with trust auth, as on our machines):

    .venv/bin/python bench/reports_scale.py [--repeat 15]

Runs on the province database of bench/common.py (`manage.py seed_scale`: 95 communes, 200,000
reports over three years, every category, channel and status, some overdue; built once, then
reused). Then, in process through Django's test client, it times each page `--repeat` times and
prints the median, p95 and the number of SQL queries, for a commune police officer (scope: one
commune, 1/95 of the reports) and a superuser (every report); equal query counts for both show
that they do not grow with the data.
Last, 50 threads file a report each at the same moment (report_create, one connection each),
and the script checks that they got 50 distinct, consecutive codes. Results go to bench/results/.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common

FILINGS = 50


def users():
    people = common.personas()
    return {"commune police": people["commune police"], "superuser": people["superuser"]}


def timed(client, url: str, repeat: int) -> dict:
    return common.timed(client, url, repeat)


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

    from groups.models import Hamlet
    from reports.models import IncidentReport
    from reports.services import report_create

    police = common.personas()["commune police"]
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
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", default="", help="run only pages whose label contains this")
    args = parser.parse_args()

    common.setup()
    from django.test.utils import setup_test_environment

    from groups.models import Hamlet
    from reports.models import IncidentReport

    common.ensure_province()
    setup_test_environment()  # lets the test client run outside the test runner
    people = users()
    hamlet = Hamlet.objects.filter(commune_id=people["commune police"].commune_id).first()
    total = IncidentReport.objects.count()
    rows = []
    for persona, user in people.items():
        client = common.verified_client(user)
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
    common.write_results("reports-scale", {"reports": total, "rows": rows, "filings": filings})


if __name__ == "__main__":
    main()
