"""Report codes: TB-<year>-<number>, per commune and year, unique and without gaps."""

from __future__ import annotations

import datetime
import threading
from unittest import mock

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from conftest import make_user
from reports.models import IncidentReport, ReportCounter
from reports.tests.factories import file_report

pytestmark = pytest.mark.django_db


def test_codes_count_up_per_commune(police, outsider, hamlet_a, hamlet_b, hamlet_elsewhere):
    year = timezone.localdate().year
    ours = [file_report(police, hamlet).code for hamlet in (hamlet_a, hamlet_b, hamlet_a)]
    theirs = file_report(outsider, hamlet_elsewhere).code
    assert ours == [f"TB-{year}-00001", f"TB-{year}-00002", f"TB-{year}-00003"]
    assert theirs == f"TB-{year}-00001"


def test_a_new_year_starts_at_one(police, hamlet_a) -> None:
    file_report(police, hamlet_a)
    next_year = timezone.now().replace(month=6, day=1) + datetime.timedelta(days=366)
    with mock.patch("reports.services.timezone.now", return_value=next_year):
        report = file_report(police, hamlet_a)
    assert report.code == f"TB-{timezone.localtime(next_year).year}-00001"


def test_a_failed_filing_leaves_no_gap(police, hamlet_a) -> None:
    file_report(police, hamlet_a)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        file_report(police, hamlet_a)
        raise Boom
    assert file_report(police, hamlet_a).code.endswith("-00002")
    assert ReportCounter.objects.get().last == 2


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_filings_get_fifty_consecutive_codes(commune, hamlet_a) -> None:
    """Threads with their own connections file at the same moment: the counter row lock makes
    them take turns, so the numbers are exactly 1..50."""
    officer: User = make_user("officer_threads", Role.AREA_OFFICER, commune, [hamlet_a])
    count = 50
    barrier = threading.Barrier(count)
    codes: list[str] = []
    errors: list[BaseException] = []

    def file() -> None:
        try:
            barrier.wait(timeout=30)
            codes.append(file_report(officer, hamlet_a).code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=file) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    year = timezone.localdate().year
    assert sorted(codes) == [f"TB-{year}-{n:05d}" for n in range(1, count + 1)]
    assert IncidentReport.objects.count() == count
