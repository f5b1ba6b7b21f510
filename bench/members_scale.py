"""Member changelist and member API search over 1,000,000 members on PostgreSQL.

Usage (from the project folder; PostgreSQL on 127.0.0.1 with trust auth, as on our machines):

    .venv/bin/python bench/members_scale.py [--members 1000000] [--repeat 15]

Builds (once, then reuses) the database `binhyen_bench_members` (override with DATABASE_URL):
95 communes × 10 hamlets × 10 Zalo groups and the members spread over them, loaded with COPY.
Then, in process through Django's test client, it times each page `--repeat` times and prints
the median, p95 and the number of SQL queries, for a commune police officer (scope: one commune,
about 1/95 of the members) and a superuser (scope: every member); equal query counts for the two
scopes show that they do not grow with the data. Results go to bench/results/.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/binhyen_bench_members")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ENV_FILE", "")
os.environ.setdefault("DATA_DIR", "var/bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "binhyen.settings")
os.environ["LOG_LEVEL"] = "ERROR"

COMMUNES, HAMLETS_PER_COMMUNE, GROUPS_PER_HAMLET = 95, 10, 10


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


def build(members: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from groups.models import Commune, Hamlet, Member, ZaloGroup
    from groups.normalize import search_key

    call_command("migrate", verbosity=0)
    if Member.objects.count() >= members:
        return
    print(f"building {members:,} members …", file=sys.stderr)
    started = time.perf_counter()
    with connection.cursor() as cursor:  # a bench database: start from empty, fast
        cursor.execute("TRUNCATE groups_commune, accounts_user RESTART IDENTITY CASCADE")
    communes = Commune.objects.bulk_create(
        Commune(code=f"B{c:03d}", name=f"Xã Thử {c}") for c in range(COMMUNES)
    )
    hamlets = Hamlet.objects.bulk_create(
        Hamlet(commune=c, code=f"{c.code}-{h:02d}", name=f"Ấp {h} {c.name}", households=1000)
        for c in communes
        for h in range(HAMLETS_PER_COMMUNE)
    )
    groups = ZaloGroup.objects.bulk_create(
        ZaloGroup(hamlet=h, code=f"{h.code}-{g}", name=f"Nhóm {g} {h.name}")
        for h in hamlets
        for g in range(GROUPS_PER_HAMLET)
    )
    parts = json.loads((ROOT / "seeds" / "names.json").read_text(encoding="utf-8"))
    rng = random.Random(1)  # noqa: S311 (reproducible bench data)
    buffer = io.StringIO()
    for i in range(members):
        sex = rng.choice(("male", "female"))
        name = " ".join(
            (rng.choice(parts["family"]), rng.choice(parts[f"middle_{sex}"]),
             rng.choice(parts[f"given_{sex}"]))
        )  # fmt: skip
        group = groups[i % len(groups)]
        household = f"Số {i // 3}"
        buffer.write(
            f"{group.pk}\t{name}\t{search_key(name)}\t+8459{i:07d}\t\thousehold\t{household}\t"
            f"{search_key(household)}\t2025-09-01\tnow\tnow\n"
        )
    buffer.seek(0)
    columns = (
        "group_id, full_name, name_key, phone, zalo_name, role, household, household_key, "
        "joined_on, created_at, updated_at"
    )
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY groups_member ({columns}, notes) FROM STDIN") as copy,
    ):
        for line in buffer:
            copy.write(line.rstrip("\n") + "\t\n")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def users():
    from django.contrib.auth.models import Group

    from accounts.models import User
    from groups.models import Commune

    police, _ = User.objects.get_or_create(
        username="bench-police", defaults={"is_staff": True, "commune": Commune.objects.first()}
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
        "p95_ms": round(times[int(len(times) * 0.95) - 1] * 1000, 1),
        "queries": len(queries),
    }


PAGES = [
    ("admin changelist", "/admin/groups/member/"),
    ("admin search name", "/admin/groups/member/?q=nguyen+van+an"),
    ("admin search phone", "/admin/groups/member/?q=0590+123+4"),
    ("admin filter group", "/admin/groups/member/?active=yes&group={group}"),
    ("api list", "/api/v1/members/"),
    ("api search name", "/api/v1/members/?search=tran+thi+thuy"),
    ("api search phone", "/api/v1/members/?search=%2B84590999"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", default="", help="run only pages whose label contains this")
    args = parser.parse_args()

    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    from groups.models import Member, ZaloGroup

    ensure_database()
    build(args.members)
    setup_test_environment()  # lets the test client run outside the test runner
    group = ZaloGroup.objects.order_by("pk").first()
    total = Member.objects.count()
    rows = []
    for persona, user in users().items():
        client = Client()
        client.force_login(user)
        for label, url in PAGES:
            if args.only not in label:
                continue
            figures = timed(client, url.format(group=group.pk), args.repeat)
            rows.append({"persona": persona, "page": label, "url": url, **figures})
    print(f"{total:,} members on PostgreSQL, {args.repeat} requests per page, in process")
    print(f"{'persona':<15} {'page':<20} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for row in rows:
        print(
            f"{row['persona']:<15} {row['page']:<20} {row['median_ms']:>10} "
            f"{row['p95_ms']:>8} {row['queries']:>8}"
        )
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    out = results / f"members-scale-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"members": total, "rows": rows}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
