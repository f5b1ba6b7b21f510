"""Guard rails of the province scale (issue #9), on data from `manage.py seed_scale`.

- Every list page runs as many SQL queries on a province ten times larger: nothing is fetched
  row by row (SQLite and PostgreSQL).
- On PostgreSQL, the queries of the pages that face the large tables (member search, triage
  queue, checklist) and of the reminder scan read them through indexes: EXPLAIN shows no
  sequential scan on groups_member, reports_incidentreport, reports_reportevent or
  bulletins_posting, on tables large enough (and ANALYZEd) for the planner's choice to mean
  something, with enable_seqscan left on.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from bench import scale
from bench.management.commands.seed_scale import Command as SeedScale
from groups.models import Commune

SHAPE = ["--communes=2", "--hamlets-per-commune=3", "--groups-per-hamlet=2", "--seed=3",
         "--end=2026-11-30", "--count-months=1", "--verbosity=0"]  # fmt: skip
# Both sizes fill more than one page of every list (the API's and the roster's pages are 50 rows,
# the admin's up to 100, a commune's share is half; the triage queue shows open reports only,
# hence more reports), so only the rows may differ: ten times more of each. A list that ends on
# its first page needs no COUNT, so a size that fits one page would run one query less.
SMALL = ["--members=240", "--reports=720", "--bulletins=120", "--postings=240"]
LARGE = ["--members=2400", "--reports=7200", "--bulletins=1200", "--postings=2400"]

# (persona, URL): the list pages, the admin's lists of the large tables and the API's lists.
LIST_PAGES = [
    ("police", "/"),
    ("police", "/reports/"),
    ("police", "/reports/?status=all&sort=urgency"),
    ("police", "/reports/?status=all&q=tb"),
    ("police", "/reports/reveals/"),
    ("police", "/bulletins/"),
    ("police", "/postings/progress/"),
    ("police", "/guides/"),
    ("police", "/questions/"),
    ("police", "/notifications/"),
    ("police", "/coverage/"),
    ("police", "/reviews/"),
    ("police", "/audit/"),
    ("police", "/members/"),
    ("police", "/members/?q=nguyen"),
    ("police", "/members/?q=nguyen&sort=-joined&page=2"),
    ("police", "/admin/groups/member/"),
    ("police", "/admin/groups/member/?q=nguyen"),
    ("police", "/admin/groups/zalogroup/"),
    ("police", "/admin/reports/incidentreport/"),
    ("police", "/admin/bulletins/posting/"),
    ("police", "/api/v1/members/"),
    ("police", "/api/v1/reports/"),
    ("police", "/api/v1/postings/"),
    ("officer", "/checklist/"),
    ("officer", "/api/v1/postings/?mine=true&status=pending"),
    ("head", "/reports/"),
    ("head", "/bulletins/"),
]


# The audit page names the rows its entries point at with one query per related model
# (accounts.audit._related_names): its count follows which models the page's 50 entries touch,
# which the schema bounds, not the amount of data.
SCHEMA_BOUND = {("police", "/audit/")}


def _people() -> dict[str, User]:
    code = Commune.objects.order_by("pk").first().code
    return {
        "police": User.objects.get(username=f"congan-{code}"),
        "officer": User.objects.get(username=f"cskv-{code}-1"),
        "head": User.objects.get(username=f"truongap-{code}-01"),
    }


def _counts() -> dict[tuple[str, str], int]:
    from bulletins.models import Posting

    people = _people()
    # Some of the officer's postings still to do at either size (an empty list skips queries).
    mine = Posting.objects.administered_by(people["officer"]).order_by("pk")[:5]
    Posting.objects.filter(pk__in=list(mine.values_list("pk", flat=True))).update(
        status="pending", posted_at=None, posted_by=None, skip_reason=""
    )
    counts = {}
    for persona, url in LIST_PAGES:
        client = Client()
        client.force_login(people[persona])
        client.get(url)  # sessions, caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (persona, url, response.status_code)
        counts[(persona, url)] = len(queries)
    return counts


@pytest.mark.django_db
def test_list_pages_run_as_many_queries_on_ten_times_the_data():
    call_command(SeedScale(), *SHAPE, *SMALL)
    small = _counts()
    call_command(SeedScale(), "--reset", *SHAPE, *LARGE)
    large = _counts()
    grown = {
        page: (small[page], large[page])
        for page in small
        if large[page] > small[page]
        and not (page in SCHEMA_BOUND and large[page] <= small[page] + len(apps.get_models()))
    }
    assert not grown, f"queries grow with the data (small, large): {grown}"


# --- EXPLAIN on PostgreSQL ----------------------------------------------------------------

LARGE_TABLES = ("groups_member", "reports_incidentreport", "reports_reportevent",
                "bulletins_posting")  # fmt: skip
MODERATE = ["--communes=12", "--hamlets-per-commune=6", "--groups-per-hamlet=5", "--seed=5",
            "--members=60000", "--reports=24000", "--bulletins=720", "--postings=21600",
            "--count-months=1", "--verbosity=0"]  # fmt: skip


@pytest.fixture(scope="module")
def moderate_province(django_db_setup, django_db_blocker):
    """A province of 12 communes (60,000 members, 24,000 reports, 21,600 postings), committed
    for the module's tests and removed after them."""
    if connection.vendor != "postgresql":
        yield None
        return
    with django_db_blocker.unblock():
        call_command(SeedScale(), "--reset", *MODERATE)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    yield True
    with django_db_blocker.unblock():
        scale.reset()


def _seq_scans(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return [
        line.strip() for line in plan.splitlines()
        if re.search(rf"Seq Scan on ({'|'.join(LARGE_TABLES)})\b", line)
    ]  # fmt: skip


def _explain_all(queries: list[dict]) -> dict[str, list[str]]:
    """The SELECTs among `queries` whose plan reads a large table sequentially."""
    found = {}
    for query in queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT") or not any(
            table in sql for table in LARGE_TABLES
        ):
            continue
        scans = _seq_scans(sql)
        if scans:
            found[sql[:300]] = scans
    return found


PLANNED_PAGES = [
    ("police", "/members/?q=nguyen+van"),  # the roster's search, by name
    ("police", "/members/?q=0590+12"),  # and by phone
    ("police", "/admin/groups/member/?q=nguyen+van"),  # the admin's member search
    ("police", "/api/v1/members/?search=tran+thi"),
    ("police", "/reports/"),  # the triage queue
    ("police", "/reports/?status=all&sort=due"),
    ("police", "/reports/?status=all&q=trom+xe"),
    ("police", "/api/v1/reports/"),
    ("officer", "/checklist/"),
    ("officer", "/api/v1/postings/?mine=true&status=pending"),
]


@pytest.mark.needs_postgres
@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "url"), PLANNED_PAGES)
def test_key_pages_read_the_large_tables_through_indexes(moderate_province, persona, url):
    client = Client()
    client.force_login(_people()[persona])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert not _explain_all(queries.captured_queries)


def _plans(queries: list[dict], table: str) -> str:
    """The EXPLAIN output of each SELECT among `queries` that reads `table`."""
    plans = []
    with connection.cursor() as cursor:
        for query in queries:
            if query["sql"].lstrip().upper().startswith("SELECT") and table in query["sql"]:
                cursor.execute(f"EXPLAIN {query['sql']}")
                plans.extend(row[0] for row in cursor.fetchall())
    return "\n".join(plans)


PROVINCE_WIDE_MEMBER_INDEXES = (
    "member_name_key_trgm",
    "member_phone_trgm",
    "member_name_order_idx",
)
MEMBER_LISTS = [
    "/members/",
    "/members/?q=nguyen+van",
    "/members/?q=0590+12",
    "/admin/groups/member/",
    "/admin/groups/member/?q=nguyen+van",
    "/admin/groups/member/?q=0590+12",
    "/api/v1/members/?search=tran+thi",
    "/api/v1/members/?ordering=-full_name",
]


@pytest.mark.needs_postgres
@pytest.mark.django_db
@pytest.mark.parametrize("url", MEMBER_LISTS)
def test_a_communes_member_lists_read_its_own_groups_first(moderate_province, url):
    """One commune's members are read through its groups (groups.models.read_in_scope), not
    through the province-wide name, phone and trigram indexes, whose scans cover every other
    commune's members too."""
    client = Client()
    client.force_login(_people()["police"])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    plans = _plans(queries.captured_queries, "groups_member")
    assert "groups_member" in plans
    assert not [name for name in PROVINCE_WIDE_MEMBER_INDEXES if name in plans], plans
    assert not _explain_all(queries.captured_queries)


@pytest.mark.needs_postgres
@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/members/?q=nguyen+van", "/admin/groups/member/?q=nguyen+van"])
def test_a_province_wide_member_search_uses_the_trigram_index(moderate_province, url):
    client = Client()
    client.force_login(User.objects.filter(is_superuser=True).first())
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert "member_name_key_trgm" in _plans(queries.captured_queries, "groups_member")


@pytest.mark.needs_postgres
@pytest.mark.django_db
def test_the_reminder_scan_reads_the_postings_through_indexes(moderate_province):
    from django.utils import timezone

    from bulletins.services import reminders_send

    now = timezone.localtime().replace(hour=16, minute=30, second=0, microsecond=0)
    with CaptureQueriesContext(connection) as queries:
        reminders_send(now=now)
    assert len(queries) > 0
    assert not _explain_all(queries.captured_queries)


@pytest.mark.needs_postgres
@pytest.mark.django_db
def test_the_check_sees_a_sequential_scan_when_there_is_one(moderate_province):
    """The tables are large enough for the planner to prefer an index: a filter on a column
    without one is read sequentially (and is seen), the same filter on an indexed column not."""
    from groups.models import Member

    assert Member.objects.count() == 60_000

    def sql(queryset) -> str:
        text, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            return cursor.mogrify(text, params)

    assert _seq_scans(sql(Member.objects.filter(zalo_name="x")))
    assert not _seq_scans(sql(Member.objects.filter(phone="+84590000001")))
