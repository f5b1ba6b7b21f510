"""The yearly job: the draft of the ending period, once per period, with its documents queued;
stale builds sent again; the command line."""

from __future__ import annotations

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import Notification, User
from groups.models import Commune
from reviews import services
from reviews.models import AnnualReview, PeriodKind, ReviewBuild, ReviewSettings, ending_period_year

pytestmark = pytest.mark.django_db


def test_the_ending_period() -> None:
    first_december = datetime.date(2026, 12, 1)
    assert ending_period_year(PeriodKind.CALENDAR, first_december) == 2026
    assert ending_period_year(PeriodKind.RESIDENTIAL_AREA, first_december) == 2026
    assert ending_period_year(PeriodKind.COMMUNE, first_december) == 2026
    assert ending_period_year(PeriodKind.RESIDENTIAL_AREA, datetime.date(2027, 1, 5)) == 2026


def test_the_job_is_scheduled_on_the_first_of_december() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["prepare-yearly-reviews"]
    assert entry["task"] == "reviews.prepare_yearly_reviews"
    schedule = entry["schedule"]
    assert (schedule.month_of_year, schedule.day_of_month) == ({12}, {1})


def test_yearly_job_creates_one_draft_per_period(
    commune: Commune, other_commune: Commune, hamlet_a, police: User, party_office: User
) -> None:
    settings_other = ReviewSettings.for_commune(other_commune)
    settings_other.period_kind = PeriodKind.COMMUNE
    settings_other.save()
    created = services.reviews_prepare_yearly(today=datetime.date(2026, 12, 1))
    assert {(r.commune, r.year, r.period_kind) for r in created} == {
        (commune, 2026, "calendar"),
        (other_commune, 2026, "commune"),
    }
    review = AnnualReview.objects.get(commune=commune)
    assert review.status == "draft"
    assert review.builds.filter(status="queued").count() == 1
    assert review.results  # pre-filled
    # Run again (a second beat, a redelivery): nothing new.
    assert services.reviews_prepare_yearly(today=datetime.date(2026, 12, 1)) == []
    assert AnnualReview.objects.filter(commune=commune, year=2026).count() == 1
    assert ReviewBuild.objects.filter(review=review).count() == 1


def test_the_party_office_and_police_are_notified_once(
    commune: Commune, police: User, party_office: User, head_b: User, leader: User,
    django_capture_on_commit_callbacks,
) -> None:  # fmt: skip
    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.reviews_prepare_yearly(today=datetime.date(2026, 12, 1))
    notified = Notification.objects.filter(kind="review_draft")
    assert sorted(n.user.username for n in notified) == ["party", "police"]
    review = AnnualReview.objects.get(commune=commune, year=2026)
    assert notified.first().url == f"/reviews/{review.pk}/"
    assert "2026" in notified.first().title


def test_recipients_are_the_party_office_and_police(
    commune: Commune, police: User, party_office: User, head_b: User, leader: User
) -> None:
    assert services._recipients(commune) == [police, party_office]


def test_stale_builds_are_sent_again(commune: Commune, monkeypatch) -> None:
    review = AnnualReview.objects.create(
        commune=commune,
        year=2026,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        subject="x",
    )
    old = ReviewBuild.objects.create(review=review)
    ReviewBuild.objects.filter(pk=old.pk).update(
        created_at=old.created_at - datetime.timedelta(hours=1)
    )
    ReviewBuild.objects.create(review=review)  # fresh: its task is on its way
    lost = ReviewBuild.objects.create(review=review, status="running")
    ReviewBuild.objects.filter(pk=lost.pk).update(
        created_at=old.created_at - datetime.timedelta(hours=2)
    )
    sent = []
    from reviews import tasks

    monkeypatch.setattr(tasks.build_review_documents, "delay", lambda pk: sent.append(pk))
    # A broker that is down is not an error: the next scan tries again.
    assert services.builds_requeue_stale() == 1
    assert sent == [old.pk]
    lost.refresh_from_db()
    assert lost.status == "failed"  # its worker died: a new build may be asked for


def test_build_review_command(commune: Commune, fixture_2026: dict, tmp_path: Path) -> None:
    out = StringIO()
    call_command("build_review", commune=commune.code, year=2026, stdout=out)
    text = out.getvalue()
    review = AnnualReview.objects.get(commune=commune, year=2026)
    build = review.builds.get()
    for kind in ("pdf", "docx", "xlsx"):
        path = Path(getattr(build, kind).path)
        assert str(path) in text
        assert path.exists() and path.stat().st_size > 1000
        assert str(tmp_path) in str(path)  # under DATA_DIR/private, not static
