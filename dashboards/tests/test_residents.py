"""The residents' word on the dashboards: the police's and the leadership's show the share of
resolved reports the reporter confirmed and the average satisfaction, per hamlet and category,
beside a year before; the police's "said not resolved" leads to the queue's same rows."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from accounts.models import User
from conftest import logged_in
from groups.models import Hamlet
from reports.services import report_feedback_give, report_transition
from reports.tests.factories import file_report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_cached_dashboards() -> None:
    cache.clear()


def answered(police: User, head_b: User, hamlet_b: Hamlet, resolved: str, satisfaction: int):
    report = file_report(head_b, hamlet_b)
    for status in ("verifying", "handling", "resolved"):
        report_transition(actor=police, report=report, to_status=status)
    report_feedback_give(
        actor=head_b, report=report, resolved=resolved, satisfaction=satisfaction, comment="Qz9"
    )
    return report


def test_the_police_and_the_leadership_see_the_residents_word(
    police: User, head_b: User, leader: User, hamlet_b: Hamlet
) -> None:
    answered(police, head_b, hamlet_b, "yes", 5)
    answered(police, head_b, hamlet_b, "partly", 4)
    answered(police, head_b, hamlet_b, "no", 1)  # reopened: not resolved any more
    for user in (police, leader):
        page = logged_in(user).get("/?period=year").content.decode()
        assert 'data-testid="residents-word"' in page
        total = re.search(r'data-residents-row="total".*?</tr>', page, re.S).group(0)
        assert 'data-share="50' in total  # 1 of the 2 resolved
        assert 'data-satisfaction="3.3"' in total  # (5 + 4 + 1) / 3
        assert "Qz9" not in page  # counts only, never a comment
    page = logged_in(police).get("/?period=year").content.decode()
    link = re.search(r'href="([^"]+)" data-figure="residents-unresolved" data-count="1"', page)
    assert link, "the police's figure links to the queue"
    queue = logged_in(police).get(link.group(1).replace("&amp;", "&")).content.decode()
    assert queue.count('data-testid="report-row"') == 1
