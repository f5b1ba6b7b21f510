"""In-process CPU cost of the pages of issue #9, with the functions where it goes.

Usage (a copy of the province, since the logins write sessions):

    createdb -h 127.0.0.1 -U postgres -T scale_province perf_province   # once
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/perf_province \\
        .venv/bin/python bench/profile_pages.py [--repeat 20] [--top 25] [--page queue]

For each page of bench/province.py (the framework floor, the triage queue, the member roster's
search, the posting checklist, the police dashboard, the admin's member search) it sends
`repeat` requests through Django's test client in this process (after two to warm up; the
pages in turn, one request each per round; DEBUG off, no test instrumentation of the
templates) and prints the median CPU time of this process per request (`time.process_time`,
steadier than wall time on a shared machine) with the first page's (the floor's) divided by
it, the median wall time, the SQL query count, and then, under cProfile, the functions with the
most cumulative time (`--top`), the functions most often on a sampled stack (`--sample`), or
the CPU time of each stage (`--stages`: template tags, changelist steps, SQL compilation and
execution, permission and session loads). JSON: bench/results/profile_pages-*.json.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

ROOT = common.ROOT

PAGES = common.PAGES  # key: (label, path, persona)


def sampled(call, times: int, top: int) -> str:
    """`call()` `times` times, its stack sampled every millisecond of CPU time (SIGPROF):
    each function's share of the samples it was on the stack in (inclusive, once per sample)."""
    import collections
    import signal

    counts: collections.Counter = collections.Counter()
    total = 0

    def on_sample(_signum, frame) -> None:
        nonlocal total
        total += 1
        seen = set()
        while frame is not None:
            code = frame.f_code
            where = f"{code.co_filename.split('site-packages/')[-1]}:{code.co_name}"
            if where not in seen:
                seen.add(where)
                counts[where] += 1
            frame = frame.f_back

    signal.signal(signal.SIGPROF, on_sample)
    signal.setitimer(signal.ITIMER_PROF, 0.001, 0.001)
    try:
        for _ in range(times):
            call()
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
    lines = [f"  {total} samples (1 ms of CPU each) over {times} requests"]
    for where, count in counts.most_common(top):
        lines.append(f"  {100 * count / max(total, 1):5.1f} %  {where.replace(str(ROOT), '')}")
    return "\n".join(lines)


def stage_times(call, times: int) -> str:
    """`call()` `times` times with the CPU time of some stages of a request added up: each
    template tag and include, the admin changelist's steps, SQL compilation and execution, the
    permission and session loads. A stage called within itself (a subquery's compilation) is
    counted once, by its outermost call; different stages overlap (a tag runs SQL)."""
    import collections
    import contextlib

    from django.contrib.admin.views.main import ChangeList
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.backends.utils import CursorWrapper
    from django.db.models.sql.compiler import SQLCompiler
    from django.template import library, loader_tags
    from django.template.backends.django import Template

    def tag_name(node) -> str:
        return getattr(node.func, "__name__", "?")

    stages = [  # (class, method, the stage's name: text, or a function of the instance)
        (Template, "render", "template (all of it)"),
        (library.InclusionNode, "render", lambda node: f"{{% {tag_name(node)} %}}"),
        (library.SimpleNode, "render", lambda node: f"{{% {tag_name(node)} %}}"),
        (loader_tags.IncludeNode, "render", lambda node: f"include {node.template.token}"),
        (ChangeList, "__init__", "changelist: set-up (all of it)"),
        (ChangeList, "get_filters", "changelist: filters"),
        (ChangeList, "get_queryset", "changelist: queryset"),
        (SQLCompiler, "execute_sql", "SQL: compile, run, fetch"),
        (SQLCompiler, "as_sql", "SQL: compile"),
        (CursorWrapper, "_execute", "SQL: run"),
        (ModelBackend, "get_all_permissions", "permissions"),
        (SessionStore, "load", "session load"),
    ]
    totals: collections.Counter = collections.Counter()
    depth: collections.Counter = collections.Counter()

    def timed(method, name):
        def inner(self, *args, **kwargs):
            key = name(self) if callable(name) else name
            depth[key] += 1
            began = time.process_time()
            try:
                return method(self, *args, **kwargs)
            finally:
                depth[key] -= 1
                if not depth[key]:
                    totals[key] += time.process_time() - began

        return inner

    with contextlib.ExitStack() as undo:
        for cls, attr, name in stages:
            method = cls.__dict__[attr]
            setattr(cls, attr, timed(method, name))
            undo.callback(setattr, cls, attr, method)
        began = time.process_time()
        for _ in range(times):
            call()
        whole = time.process_time() - began
    lines = [f"  {1000 * whole / times:7.2f} ms  the whole request (CPU, {times} requests)"]
    for key, seconds in totals.most_common(25):
        lines.append(f"  {1000 * seconds / times:7.2f} ms  {key}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--top", type=int, default=0, help="print the N costliest functions")
    parser.add_argument("--page", action="append", choices=sorted(PAGES), help="only these")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (tottime, …)")
    parser.add_argument(
        "--sample",
        type=int,
        default=0,
        help="print the N functions most often on the stack, sampled every ms of CPU time "
        "(no cProfile overhead: what each function's share really is)",
    )
    parser.add_argument(
        "--stages",
        action="store_true",
        help="print the CPU time of each template tag, changelist step, SQL compilation and run",
    )
    parser.add_argument(
        "--sql", action="store_true", help="print the SQL of each page's last request"
    )
    parser.add_argument(
        "--dump", type=Path, help="write each page's HTML (CSRF tokens blanked) to this folder"
    )
    args = parser.parse_args()

    common.setup(REDIS_URL="redis://127.0.0.1:6379/6")
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    people = common.personas()
    keys = args.page or list(PAGES)
    clients, responses = {}, {}
    for key in keys:
        _label, path, persona = PAGES[key]
        clients[key] = common.verified_client(
            people[persona], csrf_cookie=common.keeps_csrf_cookie(persona)
        )
        for _ in range(2):
            responses[key] = clients[key].get(path)
            assert responses[key].status_code == 200, (path, responses[key].status_code)
    # The pages in turn, one request each per round: what slows a shared machine for a while
    # slows every page alike, so their ratios hold better than their times.
    cpu = {key: [] for key in keys}
    wall = {key: [] for key in keys}
    queries, statements = {}, {}
    for _ in range(args.repeat):
        for key in keys:
            with CaptureQueriesContext(connection) as captured:
                began, began_cpu = time.perf_counter(), time.process_time()
                clients[key].get(PAGES[key][1])
                cpu[key].append(time.process_time() - began_cpu)
                wall[key].append(time.perf_counter() - began)
            queries[key] = len(captured)
            statements[key] = [query["sql"] for query in captured.captured_queries]
    results = {}
    for key in keys:
        label, path, _persona = PAGES[key]
        client, response = clients[key], responses[key]
        figures = {
            "cpu_ms": round(statistics.median(cpu[key]) * 1000, 1),
            # The least is the steadiest figure on a machine others share.
            "cpu_min_ms": round(min(cpu[key]) * 1000, 1),
            "wall_ms": round(statistics.median(wall[key]) * 1000, 1),
            "queries": queries[key],
            "bytes": len(response.content),
        }
        if key != keys[0]:
            figures["cpu_ratio_to_first"] = round(
                statistics.median(cpu[keys[0]]) / statistics.median(cpu[key]), 2
            )
        results[key] = figures
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            html = re.sub(r'(csrfmiddlewaretoken" value=")[^"]*', r"\1", response.content.decode())
            (args.dump / f"{key}.html").write_text(html)
        ratio = figures.get("cpu_ratio_to_first")
        print(
            f"{label:<24} cpu {figures['cpu_ms']:>7} ms (least {figures['cpu_min_ms']:>5})  "
            f"wall {figures['wall_ms']:>7} ms  "
            f"{figures['queries']:>3} queries  {figures['bytes']:>7} bytes"
            + (f"  {PAGES[keys[0]][0]} ÷ this {ratio}" if ratio else ""),
            flush=True,
        )
        if args.top:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(5):
                client.get(path)
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
            print(out.getvalue())
        if args.sample:
            print(sampled(functools.partial(client.get, path), 20, args.sample))
        if args.stages:
            print(stage_times(functools.partial(client.get, path), args.repeat))
        if args.sql:
            print("\n".join(f"  {n}. {sql[:300]}" for n, sql in enumerate(statements[key], 1)))
    common.write_results("profile_pages", {"repeat": args.repeat, "pages": results})


if __name__ == "__main__":
    main()
