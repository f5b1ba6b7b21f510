"""A finalised review is never written again, whatever the door (the doors of the app are
listed in reviews/services.py): its snapshot is what was signed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User
from conftest import logged_in
from reviews import services
from reviews.models import AnnualReview, Commendation

pytestmark = pytest.mark.django_db


@pytest.fixture
def final(police: User, commune, fixture_2026) -> AnnualReview:
    review = services.review_create(actor=police, commune=commune, year=2026)
    services.review_finalise(actor=police, review=review)
    review.refresh_from_db()
    return review


def page_edit(user: User, review: AnnualReview, head_b: User) -> object:
    return logged_in(user).post(reverse("reviews:edit", args=[review.pk]), {"subject": "Khác"})


def page_nominate(user: User, review: AnnualReview, head_b: User) -> object:
    url = reverse("reviews:commendation-create", args=[review.pk])
    return logged_in(user).post(url, {"nominee": f"hamlet_head:{head_b.pk}", "reason": "Tốt"})


def service_update(user: User, review: AnnualReview, head_b: User) -> object:
    try:
        services.review_update(actor=user, review=review, subject="Khác")
    except ValidationError as error:
        return error
    return None


def service_nominate(user: User, review: AnnualReview, head_b: User) -> object:
    try:
        services.commendation_nominate(
            actor=user, review=review, nominee_kind="hamlet_head", target=head_b, reason="Tốt"
        )
    except ValidationError as error:
        return error
    return None


DOORS: dict[str, Callable] = {
    "page-edit": page_edit,
    "page-nominate": page_nominate,
    "service-update": service_update,
    "service-nominate": service_nominate,
}


@pytest.mark.parametrize("door", DOORS)
def test_a_finalised_review_is_never_written_again(police, head_b, final, door) -> None:
    outcome = DOORS[door](police, final, head_b)
    assert outcome is not None
    assert getattr(outcome, "status_code", 403) in {200, 302, 403}  # never a 500
    final.refresh_from_db()
    assert final.subject != "Khác" and final.is_final
    assert not Commendation.objects.filter(review=final).exists()
