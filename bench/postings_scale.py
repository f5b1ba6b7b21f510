"""The reminder run and the officer's checklist over the province's 1,000,000 postings.

Usage (from the project folder; PostgreSQL on 127.0.0.1 with trust auth, as on our machines):

    .venv/bin/python bench/postings_scale.py [--repeat 15] [--runs 3]

Runs on the province database of bench/common.py (`manage.py seed_scale`: 95 communes, about
10,000 groups, 3-4 area officers per commune each in charge of a third of its hamlets and
administering their groups (and co-administrating a neighbour's), a police lead per commune who
receives escalations, 10,000 bulletins over three years and their 1,000,000 postings: mostly
posted (a tenth late), a few skipped, the latest half pending, 1 % of the older ones still
pending, so escalated; built once, then reused).

Then it times:
- one reminder run over all officers (`reminders_send`, the service of the beat task and of
  `manage.py send_reminders`) from a clean slate, `--runs` times (the digests and notifications
  of the previous run are deleted first), and the repeated run that finds everything sent;
- the checklist page "Việc cần đăng" of an area officer and `/api/v1/postings/?mine=true`,
  `--repeat` times each, through Django's test client in process: median, p95 and SQL queries.
Results go to bench/results/.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common


def clear_reminders() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE bulletins_reminderdigest, accounts_pushdelivery, accounts_notification"
        )


def time_reminders(runs: int) -> dict:
    from django.utils import timezone

    from bulletins.services import reminders_send

    # 16:30 local today: the 16:00 slot is due, for every commune.
    now = timezone.localtime().replace(hour=16, minute=30, second=0, microsecond=0)
    times, cpu, run = [], [], None
    for _ in range(runs):
        clear_reminders()
        started, started_cpu = time.perf_counter(), time.process_time()
        run = reminders_send(now=now)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    started = time.perf_counter()
    again = reminders_send(now=now)
    repeated = time.perf_counter() - started
    return {
        "median_s": round(statistics.median(times), 2),
        "max_s": round(max(times), 2),
        "cpu_median_s": round(statistics.median(cpu), 2),
        "digests": run.digests,
        "escalations": run.escalations,
        "repeated_run_s": round(repeated, 2),
        "repeated_sent": again.digests + again.escalations,
    }


def timed(client, url: str, repeat: int) -> dict:
    return common.timed(client, url, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    common.setup()
    from django.test.utils import setup_test_environment

    from bulletins.models import Posting

    common.ensure_province()
    setup_test_environment()
    total = Posting.objects.count()
    pending = Posting.objects.filter(status="pending").count()
    reminders = time_reminders(args.runs)
    officer = common.personas()["area officer"]
    mine = Posting.objects.administered_by(officer).filter(status="pending").count()
    client = common.verified_client(officer)
    pages = [
        {"page": label, "url": url, **timed(client, url, args.repeat)}
        for label, url in (
            ("checklist page", "/checklist/"),
            ("api checklist", "/api/v1/postings/?mine=true&status=pending"),
        )
    ]
    load = common.load_average()
    print(f"{total:,} postings on PostgreSQL ({pending:,} pending); officer has {mine} to do")
    print(f"load average during the run: {load} (2 cores: figures above 2 mean contention)")
    print(
        f"reminder run over all officers: median {reminders['median_s']} s, max "
        f"{reminders['max_s']} s, CPU {reminders['cpu_median_s']} s "
        f"({reminders['digests']} digests, {reminders['escalations']} escalations); "
        f"repeated run {reminders['repeated_run_s']} s, "
        f"{reminders['repeated_sent']} sent again"
    )
    print(f"{'page':<16} {'median ms':>10} {'p95 ms':>8} {'cpu ms':>8} {'queries':>8}")
    for row in pages:
        print(
            f"{row['page']:<16} {row['median_ms']:>10} {row['p95_ms']:>8} "
            f"{row['cpu_median_ms']:>8} {row['queries']:>8}"
        )
    payload = {
        "postings": total,
        "pending": pending,
        "reminders": reminders,
        "pages": pages,
    }
    common.write_results("postings-scale", payload)


if __name__ == "__main__":
    main()
