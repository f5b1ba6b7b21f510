"""The yearly review of the demo commune: its figures and its three documents, timed.

Usage (from the project folder; PostgreSQL on 127.0.0.1 with trust auth, as on our machines):

    .venv/bin/python bench/review_build.py [--reports 4000] [--repeat 5]

Builds (once, then reuses) the database `binhyen_bench_reviews` (override with DATABASE_URL):
the demo commune of `seed_demo` (about 5,000 members) and `--reports` incident reports spread
over this year and the last, with their timelines (resolved, reopened, closed). Then it times
`compute_figures` (median of `--repeat`, with its query count), the narrative, and each document
(PDF, DOCX, XLSX) of the commune's review, and prints them; targets: figures < 1 s, the three
documents < 10 s. Results go to bench/results/review_build.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/binhyen_bench_reviews")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ENV_FILE", "")
os.environ.setdefault("DATA_DIR", "var/bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "binhyen.settings")
os.environ["LOG_LEVEL"] = "ERROR"
os.environ["DEBUG"] = "1"  # seed_demo's demo password is refused otherwise


def ensure_database() -> None:
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres",
        autocommit=True,
    ) as conn:  # fmt: skip
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname=%s", [db["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


def seed_reports(count: int) -> None:
    """`count` reports over this year and the last, a third resolved, some reopened."""
    from django.utils import timezone

    from groups.models import Commune
    from reports.models import Category, Channel, IncidentReport, ReportEvent, Status

    rng = random.Random(2026)  # noqa: S311 -- reproducible test data, not secrets
    commune = Commune.objects.get(code="25387")
    hamlets = list(commune.hamlets.all())
    start = timezone.make_aware(datetime.datetime(timezone.localdate().year - 1, 1, 1))
    span = (timezone.now() - start).total_seconds()
    reports, plans = [], []
    for index in range(count):
        created = start + datetime.timedelta(seconds=rng.random() * span)
        valuable = rng.random() < 0.25
        status = rng.choice([Status.RESOLVED, Status.CLOSED, Status.HANDLING, Status.RECEIVED])
        reports.append(
            IncidentReport(
                commune=commune,
                hamlet=rng.choice(hamlets),
                code=f"TB-BENCH-{index:06d}",
                category=rng.choice(Category.values),
                channel=rng.choice(Channel.values),
                title="Tin báo thử",
                description="Dữ liệu thử cho bench.",
                status=status,
                valuable_tip=valuable,
                solved_by_tip=valuable and rng.random() < 0.4,
                created_at=created,
                due_at=created + datetime.timedelta(days=7),
            )
        )
        plans.append((status, created, rng.random() < 0.1))
    created_reports = IncidentReport.objects.bulk_create(reports, batch_size=2000)
    events = []
    for report, (status, created, reopened) in zip(created_reports, plans, strict=True):
        if status in (Status.RESOLVED, Status.CLOSED) or reopened:
            at = created + datetime.timedelta(hours=rng.randint(2, 400))
            events.append(
                ReportEvent(
                    report=report, kind="status_changed", to_status="resolved", created_at=at
                )
            )
            if reopened and status not in (Status.RESOLVED, Status.CLOSED):
                events.append(
                    ReportEvent(
                        report=report,
                        kind="status_changed",
                        to_status="handling",
                        created_at=at + datetime.timedelta(hours=5),
                    )
                )
    ReportEvent.objects.bulk_create(events, batch_size=5000)


def prepare(reports: int) -> None:
    from django.core.management import call_command

    from groups.models import Commune
    from reports.models import IncidentReport

    call_command("migrate", verbosity=0)
    if not Commune.objects.filter(code="25387").exists():
        call_command("seed_demo", verbosity=0)
    if not IncidentReport.objects.filter(code__startswith="TB-BENCH-").exists():
        seed_reports(reports)


def timed(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()

    import django

    django.setup()
    ensure_database()
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from groups.models import Commune, Member
    from reports.models import IncidentReport
    from reviews import narrative
    from reviews.content import build_document, review_data
    from reviews.documents import RENDERERS
    from reviews.figures import compute_figures
    from reviews.models import AnnualReview
    from reviews.services import review_create

    prepare(options.reports)
    commune = Commune.objects.get(code="25387")
    year = timezone.localdate().year
    review = AnnualReview.objects.filter(commune=commune, year=year).first() or review_create(
        actor=None, commune=commune, year=year
    )
    results: dict[str, object] = {
        "members": Member.objects.filter(group__hamlet__commune=commune).count(),
        "reports": IncidentReport.objects.filter(commune=commune).count(),
        "hamlets": commune.hamlets.count(),
    }
    with CaptureQueriesContext(connection) as queries:
        compute_figures(commune, kind=review.period_kind, year=year)
    results["figure_queries"] = len(queries)
    reset_queries()
    results["figures_s"], figures = timed(
        lambda: compute_figures(commune, kind=review.period_kind, year=year), options.repeat
    )
    results["narrative_s"], _text = timed(
        lambda: narrative.generate(figures, commune), options.repeat
    )
    document = build_document(review_data(review))
    total = 0.0
    for kind, render in RENDERERS.items():
        seconds, content = timed(
            lambda render=render: render(document), max(1, options.repeat // 2)
        )
        results[f"{kind}_s"] = seconds
        results[f"{kind}_bytes"] = len(content)
        total += seconds
    results["documents_s"] = total
    for key, value in results.items():
        shown = f"{value:.3f}" if isinstance(value, float) else value
        print(f"{key:>16}: {shown}")
    print(f"targets: figures < 1 s ({results['figures_s']:.3f}), documents < 10 s ({total:.3f})")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "review_build.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
