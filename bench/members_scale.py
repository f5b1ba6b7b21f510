"""The member roster, the admin's member list and the member API over the province's 1,200,000
members on PostgreSQL.

Usage (from the project folder; PostgreSQL on 127.0.0.1 with trust auth, as on our machines):

    .venv/bin/python bench/members_scale.py [--repeat 15]

Runs on the province database of bench/common.py (`manage.py seed_scale`: 95 communes,
about 10,000 groups and 1,200,000 members; built once, a few minutes, then reused). Then, in
process through Django's test client, it times each page `--repeat` times and prints the
median, p95 and the number of SQL queries, for a commune police officer (scope: one commune,
about 1/95 of the members) and a superuser (scope: every member); equal query counts for the
two scopes show that they do not grow with the data. Results go to bench/results/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import common


def users():
    people = common.personas()
    return {"commune police": people["commune police"], "superuser": people["superuser"]}


def timed(client, url: str, repeat: int) -> dict:
    return common.timed(client, url, repeat)


PAGES = [
    ("roster", "/members/"),
    ("roster search name", "/members/?q=nguyen+van+an"),
    ("roster search phone", "/members/?q=0590+123+4"),
    ("roster filter group", "/members/?active=yes&group={group}"),
    ("roster sort joined", "/members/?sort=-joined"),
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
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", default="", help="run only pages whose label contains this")
    args = parser.parse_args()

    common.setup()
    from django.test.utils import setup_test_environment

    from groups.models import Member, ZaloGroup

    common.ensure_province()
    setup_test_environment()  # lets the test client run outside the test runner
    group = ZaloGroup.objects.order_by("pk").first()
    total = Member.objects.count()
    rows = []
    for persona, user in users().items():
        client = common.verified_client(user)
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
    common.write_results("members-scale", {"members": total, "rows": rows})


if __name__ == "__main__":
    main()
