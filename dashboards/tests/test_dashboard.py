"""The dashboards of the home page: scope, figures equal to the lists they link to, the period's
edges in Asia/Ho_Chi_Minh, flat query counts, caching."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.services import notification_send
from bulletins.tests.factories import BulletinFactory, PostingFactory, reach
from dashboards import selectors
from groups.models import Hamlet, ZaloGroup
from groups.tests.factories import MemberFactory, ZaloGroupFactory
from reports.models import Status, Urgency
from reports.tests.factories import IncidentReportFactory
from reviews.models import AnnualReview, Commendation
from reviews.tests.factories import AnnualReviewFactory, CommendationFactory

pytestmark = pytest.mark.django_db
FIGURE = re.compile(r'<a [^>]*href="([^"]+)"[^>]*data-figure="([^"]+)" data-count="(\d+)"')


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def local(*args: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def world(police: User, officer_a: User, head_b: User, hamlets: list[Hamlet], n: int = 1) -> None:
    """`n` times: in each hamlet, reports of each open status and urgency, overdue and
    unassigned ones, resolved valuable tips; members; postings due today and overdue."""
    now = timezone.now()
    for hamlet in hamlets:
        officer = officer_a if hamlet.code == "A" else police
        group = ZaloGroupFactory(hamlet=hamlet, admin_officer=officer)
        hamlet.households = 10 * n
        hamlet.save(update_fields=["households"])
        MemberFactory.create_batch(4 * n, group=group)
        for _i in range(n):
            for status in (Status.RECEIVED, Status.VERIFYING, Status.HANDLING):
                IncidentReportFactory(hamlet=hamlet, status=status, assigned_to=officer)
            IncidentReportFactory(hamlet=hamlet, urgency=Urgency.URGENT)  # unassigned
            IncidentReportFactory(hamlet=hamlet, due_at=now - datetime.timedelta(hours=1))
            IncidentReportFactory(
                hamlet=hamlet, status=Status.RESOLVED, valuable_tip=True, solved_by_tip=True
            )
            IncidentReportFactory(hamlet=hamlet, status=Status.CLOSED, valuable_tip=True)
        bulletin = reach(
            BulletinFactory(
                author=police, status="published", security_checked=True, published_at=now
            ),
            hamlet,
        )
        PostingFactory(bulletin=bulletin, group=group, due_at=now - datetime.timedelta(hours=2))
        other = reach(
            BulletinFactory(
                author=police, status="published", security_checked=True, published_at=now
            ),
            hamlet,
        )
        end_of_today = timezone.localtime().replace(hour=23, minute=59)
        PostingFactory(bulletin=other, group=group, due_at=end_of_today)
    for i in range(2):
        notification_send(
            user=police, key=f"dash:{n}:{i}", kind="report_reply", title="Tin mới", url="/"
        )
    year = timezone.localdate().year
    review = AnnualReview.objects.filter(commune=police.commune, year=year).first()
    if review is None:
        review = AnnualReviewFactory(commune=police.commune, year=year)
    CommendationFactory(
        review=review, hamlet=hamlets[0], name="Nguyễn Văn Khen", proposed_by=police
    )
    CommendationFactory(
        review=review,
        hamlet=hamlets[-1],
        name="Đã duyệt",
        status=Commendation.Status.APPROVED,
        proposed_by=police,
    )


def elsewhere(hamlet: Hamlet, marker: str = "NGOAI-PHAM-VI") -> None:
    """Another commune's data, which no dashboard of ours may count or show."""
    group = ZaloGroupFactory(hamlet=hamlet)
    MemberFactory.create_batch(3, group=group)
    IncidentReportFactory.create_batch(3, hamlet=hamlet, title=marker)


def figures(page: str) -> list[tuple[str, str, int]]:
    return [(html.unescape(h), name, int(c)) for h, name, c in FIGURE.findall(page)]


def listed(client: Client, url: str) -> int:
    """How many rows the list at `url` says it holds."""
    response = client.get(url)
    assert response.status_code == 200, url
    if url.startswith("/api/"):
        return response.json()["count"]
    text = response.content.decode()
    for pattern in (
        r'data-testid="count" data-count="(\d+)"',
        r'data-testid="pending-count" data-count="(\d+)"',
        r'data-testid="totals" data-total="\d+" data-on-time="(\d+)"',
        r'data-testid="totals"[^>]*data-members="(\d+)"',
        r'data-testid="hamlet-summary"[^>]*data-members="(\d+)"',
    ):
        found = re.search(pattern, text)
        if found:
            return int(found[1])
    if "/notifications/" in url:
        return text.count("data-notification=")
    return text.count('data-testid="report-row"')


def _login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


# --- access -----------------------------------------------------------------------------------


def test_anonymous_goes_to_the_login(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- each role's figures equal the lists they link to -------------------------------------------


@pytest.mark.parametrize("who", ["police", "officer_a"])
def test_police_figures_equal_their_lists(
    client: Client, personas, hamlet_a, hamlet_b, hamlet_elsewhere, who: str
) -> None:
    world(personas["police"], personas["officer_a"], personas["head_b"], [hamlet_a, hamlet_b])
    elsewhere(hamlet_elsewhere)
    user = personas[who]
    page = _login(client, user).get("/").content.decode()
    found = figures(page)
    names = {name for _h, name, _c in found}
    assert {
        "open",
        "overdue",
        "unassigned",
        "received",
        "postings-today",
        "postings-overdue",
    } <= names
    assert {"status-received", "urgency-urgent"} <= names
    hamlets = 2 if who == "police" else 1
    counts = {name: count for _h, name, count in found}
    # Known answers: per hamlet 5 open reports, 1 overdue, 2 unassigned, 7 received this month.
    assert counts["open"] == 5 * hamlets
    assert counts["overdue"] == 1 * hamlets
    assert counts["unassigned"] == 2 * hamlets
    assert counts["received"] == 7 * hamlets
    assert counts["postings-overdue"] == 1  # only the groups the user runs
    assert counts["notifications"] == (2 if who == "police" else 0)
    assert counts["postings-today"] >= 1
    for href, name, count in found:
        assert listed(client, href) == count, (name, href)
    assert "NGOAI-PHAM-VI" not in page
    assert hamlet_elsewhere.name not in page
    if who == "officer_a":
        assert hamlet_b.name not in page


def test_police_hamlet_filter_narrows_every_figure(
    client: Client, police, officer_a, head_b, hamlet_a, hamlet_b
) -> None:
    world(police, officer_a, head_b, [hamlet_a, hamlet_b])
    page = _login(client, police).get(f"/?hamlet={hamlet_b.pk}").content.decode()
    counts = {name: count for _h, name, count in figures(page)}
    assert counts["open"] == 5 and counts["received"] == 7
    for href, name, count in figures(page):
        assert listed(client, href) == count, (name, href)
    # A hamlet out of scope counts as not given (the officer's own scope stays).
    page = _login(client, officer_a).get(f"/?hamlet={hamlet_b.pk}").content.decode()
    assert {name: c for _h, name, c in figures(page)}["open"] == 5


def test_hamlet_head_sees_their_hamlet_only(
    client: Client, police, officer_a, head_b, hamlet_a, hamlet_b, hamlet_elsewhere
) -> None:
    world(police, officer_a, head_b, [hamlet_a, hamlet_b])
    elsewhere(hamlet_elsewhere)
    IncidentReportFactory.create_batch(2, hamlet=hamlet_b, filed_by=head_b, title="Của tôi")
    IncidentReportFactory(hamlet=hamlet_a, filed_by=officer_a, title="KHONG-CUA-AP-B")
    page = _login(client, head_b).get("/").content.decode()
    assert 'data-testid="file-report"' in page
    assert "Của tôi" in page and "KHONG-CUA-AP-B" not in page
    assert hamlet_a.name not in page and hamlet_elsewhere.name not in page
    found = figures(page)
    assert {name: c for _h, name, c in found}["mine"] == 2
    for href, name, count in found:
        assert listed(client, href) == count, (name, href)
    coverage = re.search(rf'data-figure="coverage-{hamlet_b.pk}" data-percent="([\d.]*)"', page)
    hamlet_page = client.get(f"/coverage/{hamlet_b.pk}/").content.decode()
    assert f'data-percent="{coverage[1]}"' in hamlet_page


@pytest.mark.parametrize("who", ["party_office", "leader"])
def test_leadership_figures_equal_their_lists(
    client: Client, personas, hamlet_a, hamlet_b, hamlet_elsewhere, who: str
) -> None:
    world(personas["police"], personas["officer_a"], personas["head_b"], [hamlet_a, hamlet_b])
    elsewhere(hamlet_elsewhere)
    for hamlet in (hamlet_a, hamlet_b):  # last year's, for the comparison
        IncidentReportFactory(hamlet=hamlet, created_at=timezone.now().replace(
            year=timezone.now().year - 1), valuable_tip=True)  # fmt: skip
    page = _login(client, personas[who]).get("/?period=year").content.decode()
    found = figures(page)
    counts = {name: count for _h, name, count in found}
    assert counts["received"] == 14 and counts["valuable"] == 4 and counts["solved"] == 2
    assert counts["members"] == 8
    assert {"received", "valuable", "solved", "members", "postings-on-time"} <= set(counts)
    for href, name, count in found:
        assert listed(client, href) == count, (name, href)
    assert 'data-figure="awaiting" data-count="1"' in page and "Nguyễn Văn Khen" in page
    shown = re.search(r'data-figure="coverage" data-percent="([\d.]*)"', page)[1]
    totals = client.get("/coverage/").content.decode()
    assert re.search(r'data-testid="totals"[^>]*data-percent="([\d.]*)"', totals)[1] == shown
    # One hamlet: every figure and its list narrowed alike.
    page = client.get(f"/?period=year&hamlet={hamlet_b.pk}").content.decode()
    found = figures(page)
    assert {name: c for _h, name, c in found}["received"] == 7
    for href, name, count in found:
        assert listed(client, href) == count, (name, href)
    assert "NGOAI-PHAM-VI" not in page and hamlet_elsewhere.name not in page


def test_outsider_sees_nothing_of_ours(
    client: Client, police, officer_a, head_b, hamlet_a, hamlet_b, outsider
) -> None:
    world(police, officer_a, head_b, [hamlet_a, hamlet_b])
    page = _login(client, outsider).get("/?period=year").content.decode()
    counts = {name: count for _h, name, count in figures(page)}
    assert counts["open"] == 0 and counts["received"] == 0
    assert hamlet_a.name not in page and hamlet_b.name not in page


# --- the period's edges -------------------------------------------------------------------------


def test_periods_from_the_query_string() -> None:
    today = datetime.date(2026, 5, 17)
    month = selectors.period_from({}, today)
    assert (month.first, month.last) == (datetime.date(2026, 5, 1), datetime.date(2026, 5, 31))
    quarter = selectors.period_from({"period": "quarter"}, today)
    assert (quarter.first, quarter.last) == (datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
    year = selectors.period_from({"period": "year"}, today)
    assert (year.first, year.last) == (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    custom = selectors.period_from({"period": "custom", "from": "2026-02-03", "to": "2026-03-04"})
    assert (custom.first, custom.last) == (datetime.date(2026, 2, 3), datetime.date(2026, 3, 4))
    # A custom period back to front or unreadable falls back to this month.
    assert selectors.period_from({"period": "custom", "from": "2026-03-04", "to": "2026-02-03"},
                                 today).kind == "month"  # fmt: skip
    assert selectors.period_from({"period": "custom", "from": "x"}, today).kind == "month"
    assert str(month.start) == "2026-05-01 00:00:00+07:00"
    assert str(month.end) == "2026-06-01 00:00:00+07:00"
    leap = selectors.Period("custom", datetime.date(2028, 2, 29), datetime.date(2028, 2, 29))
    assert leap.year_before().first == datetime.date(2027, 2, 28)


def test_period_edges_are_local_days(client: Client, police, hamlet_a, hamlet_b) -> None:
    """23:30 on 31 January in Hanoi time is 16:30 UTC: it is January's, not February's; 00:10
    on 1 January local (17:10 UTC on 31 December) is the new year's."""
    inside = [local(2026, 1, 31, 23, 30), local(2026, 1, 1, 0, 10), local(2026, 1, 15, 12)]
    outside = [local(2025, 12, 31, 23, 50), local(2026, 2, 1, 0, 5)]
    for moment in inside + outside:
        IncidentReportFactory(hamlet=hamlet_a, created_at=moment)
    query = "period=custom&from=2026-01-01&to=2026-01-31"
    page = _login(client, police).get(f"/?{query}").content.decode()
    found = {name: (href, count) for href, name, count in figures(page)}
    assert found["received"][1] == 3
    assert listed(client, found["received"][0]) == 3
    assert found["month-2026-01"][1] == 3
    assert "month-2026-02" not in found


# --- queries, caching ----------------------------------------------------------------------------


def _queries(client: Client, user: User, url: str, django_assert_max_num_queries) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # steady state: the user's access is cached after a first request
    cache.clear()  # the dashboard's figures are counted, not read from the cache
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    ("who", "url"),
    [("police", "/"), ("officer_a", "/"), ("head_b", "/"), ("party_office", "/?period=year")],
)
def test_query_count_is_flat(
    client: Client, personas, hamlet_a, hamlet_b, who: str, url: str, django_assert_max_num_queries
) -> None:
    user = personas[who]
    _login(client, user)
    world(personas["police"], personas["officer_a"], personas["head_b"], [hamlet_a, hamlet_b])
    IncidentReportFactory(hamlet=hamlet_b, filed_by=personas["head_b"])
    small = _queries(client, user, url, django_assert_max_num_queries)
    more = [Hamlet.objects.create(commune=hamlet_a.commune, code=f"H{i}", name=f"Ấp {i}")
            for i in range(3)]  # fmt: skip
    world(
        personas["police"],
        personas["officer_a"],
        personas["head_b"],
        [hamlet_a, hamlet_b, *more],
        n=4,
    )
    IncidentReportFactory.create_batch(20, hamlet=hamlet_b, filed_by=personas["head_b"])
    large = _queries(client, user, url, django_assert_max_num_queries)
    assert small == large
    assert large <= 25


def test_cached_figures_and_key_per_scope(
    client: Client, police, officer_a, hamlet_a, hamlet_b
) -> None:
    _login(client, police)
    client.get("/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as cached:
        client.get("/")
    with CaptureQueriesContext(connection) as other_hamlet:
        client.get(f"/?hamlet={hamlet_a.pk}")
    assert len(cached.captured_queries) < len(other_hamlet.captured_queries)
    scope = selectors.scope_for(police, {})
    period = selectors.period_from({})
    key = selectors.cache_key(police, selectors.POLICE, scope, period)
    assert str(police.pk) in key and period.first.isoformat() in key
    assert selectors.CACHE_SECONDS <= 60
    narrowed = selectors.scope_for(police, {"hamlet": str(hamlet_a.pk)})
    assert selectors.cache_key(police, selectors.POLICE, narrowed, period) != key
    other = selectors.cache_key(
        officer_a, selectors.POLICE, selectors.scope_for(officer_a, {}), period
    )
    assert other != key


def test_no_archived_group_postings_on_progress_total(client, police, hamlet_a) -> None:
    """The progress page's total (the leadership's link) counts active groups only, as the
    dashboard does."""
    group = ZaloGroupFactory(hamlet=hamlet_a, status=ZaloGroup.Status.ARCHIVED)
    bulletin = reach(
        BulletinFactory(author=police, status="published", security_checked=True), hamlet_a
    )
    PostingFactory(bulletin=bulletin, group=group)
    today = timezone.localdate().isoformat()
    page = _login(client, police).get(f"/postings/progress/?from={today}&to={today}")
    assert 'data-total="0"' in page.content.decode()


# --- a period still running is compared with the same days a year before -----------------------


def test_a_running_period_is_compared_with_its_elapsed_days() -> None:
    december = selectors.period_from({}, datetime.date(2026, 12, 4))
    assert december.elapsed(datetime.date(2026, 12, 4)).last == datetime.date(2026, 12, 4)
    before = december.compared(datetime.date(2026, 12, 4))
    assert (before.first, before.last) == (datetime.date(2025, 12, 1), datetime.date(2025, 12, 4))
    ended = selectors.period_from({}, datetime.date(2026, 11, 30))
    assert ended.compared(datetime.date(2026, 12, 4)).last == datetime.date(2025, 11, 30)
    trend = december.trend(datetime.date(2026, 12, 4))
    assert (trend.first, trend.last) == (datetime.date(2026, 1, 1), datetime.date(2026, 12, 4))
    assert len(trend.months()) == 12
    longer = selectors.Period("custom", datetime.date(2024, 3, 1), datetime.date(2026, 2, 10))
    assert longer.trend(datetime.date(2026, 12, 4)).first == datetime.date(2024, 3, 1)


def test_leadership_compares_like_with_like(client: Client, party_office, hamlet_a) -> None:
    """Four days into a period, its figures stand against the same four days a year before,
    the page says so, and the trend still shows the last 12 months."""
    today = timezone.localdate()
    first, last = today - datetime.timedelta(days=3), today + datetime.timedelta(days=10)
    year_ago = selectors.Period("custom", first, today).year_before()
    IncidentReportFactory(hamlet=hamlet_a, created_at=local(*today.timetuple()[:3], 9))
    IncidentReportFactory(
        hamlet=hamlet_a, created_at=local(*year_ago.last.timetuple()[:3], 9), valuable_tip=True
    )
    later = year_ago.last + datetime.timedelta(days=2)  # in last year's period, not yet in ours
    IncidentReportFactory(hamlet=hamlet_a, created_at=local(*later.timetuple()[:3], 9))
    query = f"period=custom&from={first.isoformat()}&to={last.isoformat()}"
    page = _login(client, party_office).get(f"/?{query}").content.decode()
    assert 'data-testid="elapsed-note"' in page
    assert f"{first:%d/%m/%Y} – {today:%d/%m/%Y}" in page
    assert f"{year_ago.first:%d/%m/%Y} – {year_ago.last:%d/%m/%Y}" in page
    scope = selectors.scope_for(party_office, {})
    period = selectors.period_from(
        {"period": "custom", "from": first.isoformat(), "to": last.isoformat()}
    )
    data = selectors.dashboard(party_office, selectors.LEADERSHIP, scope, period)
    assert data["received"] == (1, 1)
    assert data["valuable"] == (0, 1)
    trend = selectors.leadership_trend(data)
    assert len(trend) >= 12
    assert trend[-1]["total"] == 1 and trend[-1]["before_total"] == 1


def test_what_the_user_just_did_is_counted_on_the_next_request(
    client: Client, head_b, hamlet_b
) -> None:
    """The dashboard is cached, but never past the user's own last change: a hamlet head who
    files a report sees it counted on the next page."""
    _login(client, head_b)
    mine = lambda: {name: c for _h, name, c in figures(client.get("/").text)}["mine"]  # noqa: E731
    assert mine() == 0
    response = client.post(
        "/reports/new/",
        {"hamlet": hamlet_b.pk, "category": "crime", "title": "Mất trộm xe",
         "description": "Mất xe máy trước nhà.", "urgency": "normal"},
    )  # fmt: skip
    assert response.status_code == 302, response.content[:500]
    assert mine() == 1
