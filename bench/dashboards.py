"""Time and SQL query count of each role's dashboard (the home page) at province scale.

    .venv/bin/python bench/dashboards.py [--repeat 15]

On the seed_scale province (bench/common.py: 95 communes, 1,200,000 members, 200,000 reports,
1,000,000 postings on PostgreSQL), for the users of the first commune: the commune police and
the party office and commune leader (commune-wide), an area officer and a hamlet head. Each
dashboard is asked for this month, this quarter and this year, with the cache emptied before
every request (the figures computed, not read from the cache), then once more from the cache.
Prints median/p95 and the query count, and writes bench/results/dashboards-<time>.json.
The database defaults to `dash_province` (a copy of the scale helper's `scale_province`:
`createdb -T scale_province dash_province`); BENCH_DATABASE_URL chooses another.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dash_province")

from bench import common

URLS = {
    "month": "/",
    "quarter": "/?period=quarter",
    "year": "/?period=year",
}


def measure(client, url: str, repeat: int) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    assert client.get(url).status_code == 200  # warm the connection and templates
    times, counts = [], []
    for _ in range(repeat):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        counts.append(len(queries))
    with CaptureQueriesContext(connection) as cached_queries:
        started = time.perf_counter()
        client.get(url)
        cached_ms = (time.perf_counter() - started) * 1000
    return {
        "median_ms": round(statistics.median(times) * 1000, 1),
        "p95_ms": round(common.percentile(times, 0.95) * 1000, 1),
        "queries": max(counts),
        "queries_flat": min(counts) == max(counts),
        "cached_ms": round(cached_ms, 1),
        "cached_queries": len(cached_queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    options = parser.parse_args()
    common.setup(REDIS_URL="", ALLOWED_HOSTS="testserver,localhost")
    built = common.ensure_province()
    from groups.models import Member
    from reports.models import IncidentReport

    results: dict = {
        "province": built,
        "members": Member.objects.count(),
        "reports": IncidentReport.objects.count(),
        "repeat": options.repeat,
        "load_before": common.load_average(),
        "dashboards": {},
    }
    for persona, user in common.personas().items():
        if persona == "superuser":
            continue
        client = common.verified_client(user)
        for name, url in URLS.items():
            figures = measure(client, url, options.repeat)
            results["dashboards"][f"{persona} · {name}"] = figures
            print(
                f"{persona:15} {name:8} median {figures['median_ms']:7.1f} ms  "
                f"p95 {figures['p95_ms']:7.1f} ms  {figures['queries']:3d} queries"
                f"{'' if figures['queries_flat'] else ' (varies)'}  "
                f"cached {figures['cached_ms']:6.1f} ms / {figures['cached_queries']} queries"
            )
    results["load_after"] = common.load_average()
    print(f"load average: {results['load_before']} → {results['load_after']}")
    common.write_results("dashboards", results)


if __name__ == "__main__":
    main()
