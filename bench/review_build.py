"""The yearly review of one commune of the province: its figures and its three documents, timed.

Usage (from the project folder; PostgreSQL on 127.0.0.1 with trust auth, as on our machines):

    .venv/bin/python bench/review_build.py [--repeat 5]

Runs on the province database of bench/common.py (`manage.py seed_scale`; its first commune:
about 12,600 members and 2,100 reports over three years with their timelines; built once, then
reused). Then it times `compute_figures` (median of `--repeat`, with its query count), the
narrative, and each document (PDF, DOCX, XLSX) of the commune's review, and prints them;
targets: figures < 1 s, the three documents < 10 s. Results go to bench/results/review_build.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common


def timed(function, repeat: int) -> tuple[float, object]:
    return common.median_seconds(function, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()

    common.setup()
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from groups.models import Member
    from reports.models import IncidentReport
    from reviews import narrative
    from reviews.content import build_document, review_data
    from reviews.documents import RENDERERS
    from reviews.figures import compute_figures
    from reviews.models import AnnualReview
    from reviews.services import review_create

    common.ensure_province()
    commune = common.first_commune()
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
    common.write_results("review_build", results, stamp=False)


if __name__ == "__main__":
    main()
