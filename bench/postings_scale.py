"""The reminder run and the officer's checklist over 1,000,000 postings on PostgreSQL.

Usage (from the project folder; PostgreSQL on 127.0.0.1 with trust auth, as on our machines):

    .venv/bin/python bench/postings_scale.py [--postings 1000000] [--repeat 15]

Builds (once, then reuses) the database `binhyen_bench_postings` (override with DATABASE_URL):
95 communes × 10 hamlets × 10 Zalo groups, 4 area officers per commune, each in charge of 2-3
hamlets and administering their groups (plus co-administrating a neighbour's), a police lead per
commune who receives escalations, and about 105 published bulletins per commune sent
to all its groups, their postings loaded with COPY: mostly posted (some late), the latest
bulletins half pending, 1 % of the older ones still pending (overdue, so escalated).

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
import datetime
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/binhyen_bench_postings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ENV_FILE", "")
os.environ.setdefault("DATA_DIR", "var/bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "binhyen.settings")
os.environ["LOG_LEVEL"] = "ERROR"

COMMUNES, HAMLETS_PER_COMMUNE, GROUPS_PER_HAMLET, OFFICERS_PER_COMMUNE = 95, 10, 10, 4


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


def build(postings: int) -> None:
    from django.contrib.auth.models import Group, Permission
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from bulletins.models import Bulletin, BulletinHamlet, Posting, Status
    from groups.models import Commune, Hamlet, ZaloGroup

    call_command("migrate", verbosity=0)
    if Posting.objects.count() >= postings * 0.99:
        return
    print(f"building about {postings:,} postings …", file=sys.stderr)
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
    officer_role = Group.objects.get(name="area_officer")
    police_role = Group.objects.get(name="commune_police")
    officers, leads = {}, []
    for commune in communes:
        for o in range(OFFICERS_PER_COMMUNE):
            officers[(commune.pk, o)] = User(
                username=f"cskv-{commune.code}-{o}", commune=commune, is_staff=True,
                email=f"cskv{o}@{commune.code.lower()}.example",
            )  # fmt: skip
        leads.append(User(username=f"lead-{commune.code}", commune=commune, is_staff=True))
    User.objects.bulk_create([*officers.values(), *leads])
    officer_role.user_set.add(*officers.values())
    police_role.user_set.add(*leads)
    escalations = Permission.objects.get(codename="receive_escalations")
    User.user_permissions.through.objects.bulk_create(
        User.user_permissions.through(user_id=lead.pk, permission_id=escalations.pk)
        for lead in leads
    )
    # Officer o of a commune is in charge of the hamlets h with h % 4 == o and administers their
    # groups; each group has the next officer as co-administrator, whose scope includes it.
    groups, scopes = [], User.hamlets.through
    for hamlet in hamlets:
        h = int(hamlet.code.rsplit("-", 1)[1])
        officer = officers[(hamlet.commune_id, h % OFFICERS_PER_COMMUNE)]
        for g in range(GROUPS_PER_HAMLET):
            groups.append(
                ZaloGroup(hamlet=hamlet, code=f"{hamlet.code}-{g}", name=f"Nhóm {g} {hamlet.name}",
                          admin_officer=officer)
            )  # fmt: skip
    ZaloGroup.objects.bulk_create(groups)
    scopes.objects.bulk_create(
        scopes(user_id=officers[(hamlet.commune_id, (h + k) % OFFICERS_PER_COMMUNE)].pk,
               hamlet_id=hamlet.pk)
        for hamlet in hamlets
        for h in [int(hamlet.code.rsplit("-", 1)[1])]
        for k in (0, 1)
    )  # fmt: skip
    co = ZaloGroup.co_admins.through
    number = {hamlet.pk: int(hamlet.code.rsplit("-", 1)[1]) for hamlet in hamlets}
    neighbour = {
        g.pk: officers[(g.hamlet.commune_id, (number[g.hamlet_id] + 1) % OFFICERS_PER_COMMUNE)]
        for g in groups
    }
    co.objects.bulk_create(co(zalogroup_id=pk, user_id=user.pk) for pk, user in neighbour.items())
    group_officer = {g.pk: g.admin_officer.pk for g in groups}
    by_commune: dict[int, list[int]] = {}
    for group in groups:
        by_commune.setdefault(group.hamlet.commune_id, []).append(group.pk)
    per_commune = postings // (COMMUNES * HAMLETS_PER_COMMUNE * GROUPS_PER_HAMLET) + 1
    now = timezone.now()
    bulletins = []
    for commune in communes:
        author, approver = officers[(commune.pk, 0)], leads[communes.index(commune)]
        for b in range(per_commune):
            at = now - datetime.timedelta(days=3 * (per_commune - b), hours=b % 7)
            bulletins.append(
                Bulletin(
                    commune=commune, title=f"Bản tin {b}", theme="crime_tricks",
                    body="<p>Cảnh giác lừa đảo 🙏</p>", zalo_text="Cảnh giác lừa đảo 🙏",
                    author=author, approved_by=approver, status=Status.PUBLISHED,
                    security_checked=True, published_at=at, created_at=at,
                )
            )  # fmt: skip
    Bulletin.objects.bulk_create(bulletins, batch_size=2000)
    hamlet_ids: dict[int, list[int]] = {}
    for hamlet in hamlets:
        hamlet_ids.setdefault(hamlet.commune_id, []).append(hamlet.pk)
    reached = [
        BulletinHamlet(bulletin=b, hamlet_id=h) for b in bulletins for h in hamlet_ids[b.commune_id]
    ]
    BulletinHamlet.objects.bulk_create(reached, batch_size=5000)
    buffer = io.StringIO()
    for i, bulletin in enumerate(bulletins):
        latest = i % per_commune >= per_commune - 2
        due = bulletin.published_at + datetime.timedelta(hours=24)
        tail = f"\t\t\t\t{bulletin.published_at.isoformat()}\n"  # no reason, proof; created
        for j, group_id in enumerate(by_commune[bulletin.commune_id]):
            roll = (i * 7919 + j * 104729) % 100
            if (latest and roll < 50) or roll == 0:
                buffer.write(
                    f"{bulletin.pk}\t{group_id}\t{due.isoformat()}\tpending\t\\N\t\\N{tail}"
                )
                continue
            hours = 30 if roll > 88 else 2 + roll % 20
            posted = (bulletin.published_at + datetime.timedelta(hours=hours)).isoformat()
            officer = group_officer[group_id]
            buffer.write(
                f"{bulletin.pk}\t{group_id}\t{due.isoformat()}\tposted\t{posted}\t{officer}{tail}"
            )
    buffer.seek(0)
    columns = "bulletin_id, group_id, due_at, status, posted_at, posted_by_id"
    with connection.cursor() as cursor, cursor.copy(
        f"COPY bulletins_posting ({columns}, skip_reason, proof_url, proof_image, created_at) "
        "FROM STDIN"
    ) as copy:  # fmt: skip
        copy.write(buffer.getvalue())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def clear_reminders() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE bulletins_reminderdigest, accounts_notification")


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
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm caches and connection
    times, cpu = [], []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return {
        "median_ms": round(statistics.median(times) * 1000, 1),
        "p95_ms": round(times[int(len(times) * 0.95) - 1] * 1000, 1),
        # CPU time of this process (Django's share, without the database's): steadier than wall
        # time on a machine shared with other work.
        "cpu_median_ms": round(statistics.median(cpu) * 1000, 1),
        "queries": len(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    from accounts.models import User
    from bulletins.models import Posting

    ensure_database()
    build(args.postings)
    setup_test_environment()
    total = Posting.objects.count()
    pending = Posting.objects.filter(status="pending").count()
    reminders = time_reminders(args.runs)
    officer = User.objects.filter(username__startswith="cskv-").order_by("pk").first()
    mine = Posting.objects.administered_by(officer).filter(status="pending").count()
    client = Client()
    client.force_login(officer)
    pages = [
        {"page": label, "url": url, **timed(client, url, args.repeat)}
        for label, url in (
            ("checklist page", "/checklist/"),
            ("api checklist", "/api/v1/postings/?mine=true&status=pending"),
        )
    ]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
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
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    out = results / f"postings-scale-{time.strftime('%Y%m%d-%H%M%S')}.json"
    payload = {
        "postings": total,
        "pending": pending,
        "load_average": os.getloadavg(),
        "reminders": reminders,
        "pages": pages,
    }
    out.write_text(json.dumps(payload, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
