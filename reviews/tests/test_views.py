"""The review pages through the HTTP client: who may do what (police build and finalise, the
party office downloads and approves, the leader reads, hamlet heads and area officers are
refused, another commune sees nothing), then the database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from binhyen.celery import app as celery_app
from binhyen.tests.test_private_files import assert_served_privately
from groups.models import Commune, Hamlet
from groups.tests.factories import ZaloGroupFactory
from reports.tests.factories import IncidentReportFactory
from reviews import services
from reviews.content import review_data
from reviews.models import (
    AnnualReview,
    Commendation,
    ReviewBuild,
    SafetyAssessment,
    SafetyCriterion,
)
from reviews.tests.factories import AnnualReviewFactory, build_with_files, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager() -> Iterator[None]:
    """Tasks run in the test's process: what leaves the project (the broker) is not used."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def client_of(user: User | None) -> Client:
    client = Client()
    if user:
        client.force_login(user)
    return client


@pytest.fixture
def review(police: User, commune: Commune, fixture_2026: dict[str, Any]) -> AnnualReview:
    return services.review_create(actor=police, commune=commune, year=2026)


@pytest.fixture
def built(review: AnnualReview) -> ReviewBuild:
    return build_with_files(review, "views")


def test_party_office_lists_and_downloads(party_office: User, built: ReviewBuild) -> None:
    client = client_of(party_office)
    page = client.get(reverse("reviews:list"))
    assert page.status_code == 200
    assert reverse("reviews:download", args=[built.pk, "pdf"]) in page.content.decode()
    for fmt, signature in (("pdf", b"%PDF"), ("docx", b"PK"), ("xlsx", b"PK")):
        response = client.get(reverse("reviews:download", args=[built.pk, fmt]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(signature)
        assert "attachment" in response["Content-Disposition"]
        assert_served_privately(response)
    assert client.get(reverse("reviews:detail", args=[built.review_id])).status_code == 200


@pytest.mark.parametrize("name", ["head_b", "officer_a"])
def test_hamlet_heads_and_area_officers_are_refused(
    name: str, personas: dict[str, User], built: ReviewBuild
) -> None:
    client = client_of(personas[name])
    for url in (
        reverse("reviews:list"),
        reverse("reviews:detail", args=[built.review_id]),
        reverse("reviews:download", args=[built.pk, "pdf"]),
    ):
        assert client.get(url).status_code == 403, url


def test_another_commune_sees_nothing_and_anonymous_logs_in(
    outsider: User, built: ReviewBuild
) -> None:
    for url in (
        reverse("reviews:detail", args=[built.review_id]),
        reverse("reviews:download", args=[built.pk, "pdf"]),
        reverse("reviews:build-status", args=[built.pk]),
    ):
        assert client_of(outsider).get(url).status_code == 404, url
        assert client_of(None).get(url).status_code == 302, url
    assert built.review.pk not in [r.pk for r in AnnualReview.objects.visible_to(outsider)]


def test_police_create_a_draft_once_per_year(
    police: User, commune: Commune, fixture_2026: dict
) -> None:
    client = client_of(police)
    data = {"year": 2026, "period_kind": "calendar"}
    response = client.post(reverse("reviews:create"), data)
    review = AnnualReview.objects.get(commune=commune, year=2026)
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:detail", args=[review.pk])
    assert "13,3%" in review.results  # pre-filled from the figures
    assert review.subject == "Kết quả thực hiện Mô hình “Zalo kết nối bình yên” năm 2026"
    again = client.post(reverse("reviews:create"), data, follow=True)
    assert AnnualReview.objects.filter(commune=commune, year=2026).count() == 1
    assert "2026" in again.content.decode()
    assert SafetyAssessment.objects.filter(year=2026).count() == 2


def test_party_office_cannot_create_or_edit(party_office: User, review: AnnualReview) -> None:
    client = client_of(party_office)
    assert client.post(reverse("reviews:create"), {"year": 2027}).status_code == 403
    edit = reverse("reviews:edit", args=[review.pk])
    assert client.post(edit, {"subject": "x"}).status_code == 403
    assert client.post(reverse("reviews:build", args=[review.pk])).status_code == 403
    assert client.get(reverse("reviews:finalise", args=[review.pk])).status_code == 403


def test_police_edit_the_narrative(police: User, review: AnnualReview) -> None:
    form = {name: getattr(review, name) for name in ("subject", "situation", "results")}
    form.update(situation="Tình hình ổn định.", subject="Sơ kết năm 2026")
    response = client_of(police).post(reverse("reviews:edit", args=[review.pk]), form)
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.situation == "Tình hình ổn định."
    assert review.leadership == ""  # a field left empty in the form is saved empty


def test_build_runs_in_the_worker_with_progress(
    police: User, review: AnnualReview, eager: None, django_capture_on_commit_callbacks
) -> None:
    client = client_of(police)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reviews:build", args=[review.pk]))
    assert response.status_code == 302
    build = review.builds.get()
    assert (build.status, build.progress, build.final) == ("done", 100, False)
    status = client.get(reverse("reviews:build-status", args=[build.pk])).content.decode()
    assert reverse("reviews:download", args=[build.pk, "docx"]) in status
    assert "hx-get" not in status  # done: the page stops polling
    assert build.pdf.path.startswith(str(build.pdf.storage.location))
    assert "/private/reviews/" in build.pdf.path


def test_a_pending_build_is_polled_and_not_duplicated(police: User, review: AnnualReview) -> None:
    first = services.build_request(actor=police, review=review)
    second = services.build_request(actor=police, review=review)
    assert first.pk == second.pk
    status = client_of(police).get(reverse("reviews:build-status", args=[first.pk]))
    assert 'hx-trigger="every 2s"' in status.content.decode()
    assert services.build_run(first.pk).status == "done"
    assert services.build_run(first.pk) is None  # claimed once: a redelivery does nothing


def test_a_build_left_running_by_a_dead_worker_is_taken_over_by_its_redelivery(
    police: User, review: AnnualReview
) -> None:
    build = services.build_request(actor=police, review=review)
    ReviewBuild.objects.filter(pk=build.pk).update(status=ReviewBuild.Status.RUNNING)
    assert services.build_run(build.pk) is None  # a second message leaves it to its runner
    assert services.build_run(build.pk, resume=True).status == "done"  # the runner died
    assert services.build_run(build.pk, resume=True) is None  # done: never built twice


def test_finalise_freezes_and_numbers(
    police: User, review: AnnualReview, hamlet_a: Hamlet, eager: None,
    django_capture_on_commit_callbacks,
) -> None:  # fmt: skip
    client = client_of(police)
    url = reverse("reviews:finalise", args=[review.pk])
    assert client.post(url, {}).status_code == 200  # not confirmed: the form again
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.number) == ("final", 1)
    snapshot = review.snapshot
    assert snapshot["final"] is True
    assert snapshot["figures"]["sections"]["reports"]["current"]["total"]["received"] == 5
    final_build = review.builds.get(final=True)
    assert final_build.status == "done"
    # New data after finalising changes nothing of the review.
    IncidentReportFactory.create_batch(3, hamlet=hamlet_a, created_at=local(2026, 8, 1))
    ZaloGroupFactory(hamlet=hamlet_a, created_on=local(2026, 8, 1).date())
    review.refresh_from_db()
    assert review.snapshot == snapshot
    assert review_data(review) == snapshot
    detail = client.get(reverse("reviews:detail", args=[review.pk])).content.decode()
    assert "Đã ban hành, số 1" in detail
    # And it can no longer be edited.
    client.post(reverse("reviews:edit", args=[review.pk]), {"subject": "Khác"})
    review.refresh_from_db()
    assert review.subject != "Khác"


def test_numbers_follow_on_within_the_year(
    police: User, commune: Commune, review: AnnualReview
) -> None:
    services.review_finalise(actor=police, review=review)
    other = services.review_create(actor=police, commune=commune, year=2025)
    services.review_finalise(actor=police, review=other)
    other.refresh_from_db()
    assert other.number == 2
    third = services.review_create(actor=police, commune=commune, year=2024)
    with pytest.raises(ValidationError) as error:
        services.review_finalise(actor=police, review=third, number=2)
    assert error.value.code == "number_taken"


def test_party_office_may_not_finalise(party_office: User, review: AnnualReview) -> None:
    with pytest.raises(PermissionDenied):
        services.review_finalise(actor=party_office, review=review)
    assert (
        client_of(party_office)
        .post(reverse("reviews:finalise", args=[review.pk]), {"confirm": "on"})
        .status_code
        == 403
    )


def test_nominate_and_decide(
    police: User, party_office: User, head_b: User, review: AnnualReview, hamlet_a: Hamlet
) -> None:
    url = reverse("reviews:commendation-create", args=[review.pk])
    form = {"nominee": f"hamlet:{hamlet_a.pk}", "reason": "Nhiều tin báo có giá trị."}
    assert client_of(police).post(url, form).status_code == 302
    commendation = Commendation.objects.get(review=review)
    assert (commendation.name, commendation.status) == (hamlet_a.name, "proposed")
    decide = reverse("reviews:commendation-decide", args=[commendation.pk])
    assert client_of(police).post(decide, {"approve": "1"}).status_code == 403
    assert client_of(head_b).post(decide, {"approve": "1"}).status_code == 403
    assert client_of(party_office).post(decide, {"approve": "1"}).status_code == 302
    commendation.refresh_from_db()
    assert (commendation.status, commendation.decided_by) == ("approved", party_office)
    assert review_data(review)["commendations"] == [
        {
            "individual": False,
            "kind": "Ấp",
            "name": hamlet_a.name,
            "reason": "Nhiều tin báo có giá trị.",
        }
    ]


def test_suggestions_count_tips_and_never_name_informants(
    party_office: User, review: AnnualReview, hamlet_a: Hamlet
) -> None:
    page = client_of(party_office).get(reverse("reviews:detail", args=[review.pk]))
    text = page.content.decode()
    assert "2 tin báo có giá trị của ấp trong kỳ" in text
    from reports.tests.factories import MARKER

    assert MARKER not in text
    suggestions = services.commendation_suggestions(review, review_data(review)["figures"])
    assert {s["kind"] for s in suggestions} >= {"hamlet"}
    assert suggestions[0]["target"] == hamlet_a


def test_nominee_of_another_commune_is_refused(
    police: User, review: AnnualReview, hamlet_elsewhere: Hamlet
) -> None:
    with pytest.raises(ValidationError):
        services.commendation_nominate(
            actor=police, review=review, nominee_kind="hamlet", target=hamlet_elsewhere, reason="x"
        )
    form = {"nominee": f"hamlet:{hamlet_elsewhere.pk}", "reason": "x"}
    url = reverse("reviews:commendation-create", args=[review.pk])
    assert client_of(police).post(url, form).status_code == 200  # not a choice: the form again
    assert not Commendation.objects.exists()


def test_safety_checklist(
    police: User, party_office: User, head_b: User, review: AnnualReview, hamlet_b: Hamlet
) -> None:
    assessment = SafetyAssessment.objects.get(hamlet=hamlet_b, year=2026)
    url = reverse("reviews:safety", args=[assessment.pk])
    criteria = list(SafetyCriterion.objects.filter(active=True))
    assert len(criteria) == 6  # seeded from DOMAIN.md
    some = {f"met_{criteria[0].pk}": "on", "result": "passed", "evidence": "Biên bản"}
    client_of(police).post(url, some)
    assessment.refresh_from_db()
    assert assessment.result == "pending"  # "met" needs every criterion
    every = {f"met_{c.pk}": "on" for c in criteria} | {"result": "passed", "evidence": "Biên bản"}
    assert client_of(police).post(url, every).status_code == 302
    assessment.refresh_from_db()
    assert (assessment.result, assessment.evidence) == ("passed", "Biên bản")
    assert assessment.checks.filter(met=True).count() == 6
    assert client_of(party_office).get(url).status_code == 200
    assert client_of(party_office).post(url, every).status_code == 403
    assert client_of(head_b).get(url).status_code == 403
    assert review_data(review)["figures"]["sections"]["safety"]["current"]["total"]["passed"] == 2


def _reviews(commune: Commune, count: int) -> None:
    for year in range(2000, 2000 + count):
        review = AnnualReviewFactory(commune=commune, year=year)
        ReviewBuild.objects.create(review=review, status="done")


def test_list_query_count_is_flat(
    party_office: User, commune: Commune, django_assert_max_num_queries
) -> None:
    client = client_of(party_office)
    _reviews(commune, 2)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("reviews:list")).status_code == 200
    for year in range(2010, 2030):
        ReviewBuild.objects.create(
            review=AnnualReviewFactory(commune=commune, year=year), status="done"
        )
    with django_assert_max_num_queries(12):
        assert client.get(reverse("reviews:list")).status_code == 200


def test_detail_query_count_is_flat(
    party_office: User, review: AnnualReview, hamlet_a: Hamlet, django_assert_max_num_queries
) -> None:
    client = client_of(party_office)
    url = reverse("reviews:detail", args=[review.pk])
    with django_assert_max_num_queries(60):
        client.get(url)
    IncidentReportFactory.create_batch(20, hamlet=hamlet_a, created_at=local(2026, 4, 1))
    for index in range(5):
        Hamlet.objects.create(commune=review.commune, code=f"Q{index}", name=f"Ấp Q{index}")
    with django_assert_max_num_queries(60):
        assert client.get(url).status_code == 200


def who_can_texts(page: str) -> list[str]:
    import re

    found = re.findall(r'data-testid="who-can">(.*?)</p>', page, re.S)
    return [re.sub(r"<[^>]+>|\s+", " ", text) for text in found]


def test_the_review_names_who_takes_each_next_step(
    police: User, party_office: User, review: AnnualReview, hamlet_a: Hamlet
) -> None:
    """The party office waits on the police for the documents and the finalising, and is told
    so by name; the police wait on the party office for the nominations they proposed."""
    url = reverse("reviews:detail", args=[review.pk])
    steps = who_can_texts(client_of(party_office).get(url).text)
    assert any("tạo văn bản" in step and str(police) in step for step in steps)
    assert any("ban hành" in step and "Công an xã" in step for step in steps)
    listing = client_of(party_office).get(reverse("reviews:list")).text
    assert 'data-testid="builders"' in listing and "Công an xã" in listing
    assert who_can_texts(client_of(police).get(url).text) == []  # they act themselves
    assert 'data-testid="builders"' not in client_of(police).get(reverse("reviews:list")).text
    create = reverse("reviews:commendation-create", args=[review.pk])
    client_of(police).post(create, {"nominee": f"hamlet:{hamlet_a.pk}", "reason": "Tốt."})
    steps = who_can_texts(client_of(police).get(url).text)
    assert any("khen thưởng" in step and str(party_office) in step for step in steps)
