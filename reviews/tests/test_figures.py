"""Each figure of the review against the hand-computed fixture of factories.world_2026, and a
query count that does not grow with the data."""

from __future__ import annotations

from typing import Any

import pytest

from groups.models import Commune, Hamlet
from groups.tests.factories import MemberFactory, ZaloGroupFactory
from reports.tests.factories import IncidentReportFactory
from reviews.figures import compute_figures
from reviews.models import PeriodKind
from reviews.tests.factories import local

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(commune: Commune, fixture_2026: dict[str, Any]) -> dict[str, Any]:
    return compute_figures(commune, kind=PeriodKind.CALENDAR, year=2026)


def by_hamlet(section: dict[str, Any], hamlet: Hamlet) -> dict[str, Any]:
    return section["by_hamlet"][str(hamlet.pk)]


def test_period_and_hamlets(figures: dict, hamlet_a: Hamlet, hamlet_b: Hamlet) -> None:
    assert figures["period"] == {
        "kind": "calendar",
        "year": 2026,
        "start": "2026-01-01",
        "end": "2026-12-31",
    }
    assert figures["previous_period"]["start"] == "2025-01-01"
    assert [h["name"] for h in figures["hamlets"]] == [hamlet_a.name, hamlet_b.name]


def test_groups(figures: dict, hamlet_a: Hamlet, hamlet_b: Hamlet) -> None:
    now, before = (
        figures["sections"]["groups"]["current"],
        figures["sections"]["groups"]["previous"],
    )
    # B: one group archived in June 2026 (audit log), one created archived (no log).
    assert by_hamlet(now, hamlet_a) == {"new": 1, "total": 2, "archived": 0}
    assert by_hamlet(now, hamlet_b) == {"new": 1, "total": 0, "archived": 1}
    assert now["total"] == {"new": 2, "total": 2, "archived": 1}
    assert by_hamlet(before, hamlet_a) == {"new": 1, "total": 1, "archived": 0}
    assert by_hamlet(before, hamlet_b) == {"new": 1, "total": 1, "archived": 0}


def test_members_and_coverage(figures: dict, hamlet_a: Hamlet, hamlet_b: Hamlet) -> None:
    now = figures["sections"]["members"]["current"]
    before = figures["sections"]["members"]["previous"]
    # Joined 2026: four (one left again); left: the one who left mid-year and that one.
    # Active at the end: four; households covered: "Số 1" (twice) and "Số 2"; the security
    # team member covers none.
    assert by_hamlet(now, hamlet_a) == {
        "joined": 4,
        "left": 2,
        "total": 4,
        "covered": 2,
        "households": 10,
        "coverage": 20.0,
    }
    # B's only group is archived today: its member is not counted at the end of either year.
    assert by_hamlet(now, hamlet_b) == {
        "joined": 0,
        "left": 0,
        "total": 0,
        "covered": 0,
        "households": 5,
        "coverage": 0.0,
    }
    assert now["total"]["coverage"] == 13.3  # 2 of 15, floored
    assert by_hamlet(before, hamlet_a)["total"] == 2  # the member who left in 2026 was there
    assert by_hamlet(before, hamlet_a)["covered"] == 2
    assert by_hamlet(before, hamlet_b)["joined"] == 1


def test_reports(figures: dict, hamlet_a: Hamlet, hamlet_b: Hamlet) -> None:
    now = figures["sections"]["reports"]["current"]
    a = by_hamlet(now, hamlet_a)
    assert {k: a[k] for k in ("received", "valuable_tips", "solved_by_tip", "anonymous_tips")} == {
        "received": 3,
        "valuable_tips": 2,
        "solved_by_tip": 1,
        "anonymous_tips": 1,
    }
    # The reopened report is not resolved; the one resolved twice is, with its last resolution.
    assert a["resolved"] == 2
    assert a["median_hours"] == 144.0  # median of 48 h and 240 h
    assert a["overdue"] == 2  # still open past its deadline; resolved after it
    assert a["by_category"]["crime"] == 2
    assert a["by_category"]["social_evils"] == 1
    assert a["by_channel"] == {
        "zalo_group": 1,
        "zalo_private": 0,
        "in_person": 0,
        "phone": 1,
        "web_form": 0,
        "anonymous_tip": 1,
    }
    b = by_hamlet(now, hamlet_b)
    assert (b["received"], b["resolved"], b["overdue"], b["median_hours"]) == (2, 0, 0, None)
    assert now["total"]["received"] == 5
    assert now["total"]["anonymous_tips"] == 2
    assert now["total"]["by_category"]["fire"] == 1
    assert now["total"]["median_hours"] == 144.0
    # The report of 31/12/2025 23:30 local time belongs to 2025.
    before = figures["sections"]["reports"]["previous"]
    assert by_hamlet(before, hamlet_a)["received"] == 1
    assert before["total"]["resolved"] == 0


def test_the_reporters_word(figures: dict, hamlet_a: Hamlet, hamlet_b: Hamlet) -> None:
    """Each report's last answer: r1 yes 5/5, r2 (reopened) no 1/5, r3 partly 4/5."""
    section = figures["sections"]["feedback"]["current"]
    expected = {
        "resolved": 2,  # r1, r3 (r2 was reopened)
        "confirmed": 1,  # r1
        "answered": 3,
        "said_unresolved": 1,  # r2
        "satisfaction_sum": 10,
        "confirmed_share": 50.0,
        "satisfaction": 3.3,
    }
    assert {key: section["total"][key] for key in expected} == expected
    assert by_hamlet(section, hamlet_a)["confirmed_share"] == 50.0
    empty = by_hamlet(section, hamlet_b)
    assert (empty["answered"], empty["confirmed_share"], empty["satisfaction"]) == (0, None, None)
    crime = section["total"]["by_category"]["crime"]
    assert (crime["resolved"], crime["confirmed"], crime["satisfaction"]) == (2, 1, 4.5)
    evils = section["total"]["by_category"]["social_evils"]
    assert (evils["said_unresolved"], evils["satisfaction"], evils["confirmed_share"]) == (
        1,
        1.0,
        None,
    )
    before = figures["sections"]["feedback"]["previous"]["total"]
    assert (before["answered"], before["confirmed_share"]) == (0, None)  # none resolved


def test_safety(figures: dict, hamlet_a: Hamlet, hamlet_b: Hamlet) -> None:
    now, before = (
        figures["sections"]["safety"]["current"],
        figures["sections"]["safety"]["previous"],
    )
    # "Đạt" is every criterion met (the fixture recorded no checklist).
    assert by_hamlet(now, hamlet_a) == {"result": "passed", "met": [1, 2, 3, 4, 5, 6], "missed": []}
    assert by_hamlet(now, hamlet_b) == {"result": "pending", "met": [], "missed": []}
    assert now["total"] == {"pending": 1, "passed": 1, "failed": 0, "hamlets": 2}
    assert before["total"]["failed"] == 1


def test_other_communes_are_not_counted(
    commune: Commune, hamlet_elsewhere: Hamlet, fixture_2026: dict
) -> None:
    IncidentReportFactory(hamlet=hamlet_elsewhere, created_at=local(2026, 4, 1))
    figures = compute_figures(commune, kind=PeriodKind.CALENDAR, year=2026)
    assert figures["sections"]["reports"]["current"]["total"]["received"] == 5
    assert str(hamlet_elsewhere.pk) not in figures["sections"]["reports"]["current"]["by_hamlet"]


def test_circular_124_window(commune: Commune, fixture_2026: dict, hamlet_a: Hamlet) -> None:
    figures = compute_figures(commune, kind=PeriodKind.RESIDENTIAL_AREA, year=2026)
    assert (figures["period"]["start"], figures["period"]["end"]) == ("2025-11-01", "2026-10-31")
    # 01/11/2025–31/10/2026 holds the report of 31/12/2025 as well.
    assert figures["sections"]["reports"]["current"]["total"]["received"] == 6


def _grow(commune: Commune, hamlets: int, per_hamlet: int) -> None:
    for index in range(hamlets):
        hamlet = Hamlet.objects.create(commune=commune, code=f"G{index}", name=f"Ấp G{index}")
        group = ZaloGroupFactory(hamlet=hamlet)
        MemberFactory.create_batch(per_hamlet, group=group)
        IncidentReportFactory.create_batch(per_hamlet, hamlet=hamlet, created_at=local(2026, 4, 1))


def test_query_count_does_not_depend_on_the_data(
    commune: Commune, django_assert_num_queries, fixture_2026: dict
) -> None:
    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            compute_figures(commune, kind=PeriodKind.CALENDAR, year=2026)
        return len(queries)

    small = count()
    _grow(commune, hamlets=5, per_hamlet=8)
    assert count() == small
    assert small <= 38  # the safety section's criteria and checks: two per period; feedback: two
