"""Four eyes on a commendation: whoever proposed it cannot decide it, through the page (the
only door that decides; the admin does not list commendations)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from conftest import logged_in, make_user
from groups.models import Commune, Hamlet
from reviews import services
from reviews.models import AnnualReview, Commendation

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(police: User, commune: Commune) -> AnnualReview:
    return services.review_create(actor=police, commune=commune, year=2026)


def test_the_proposer_cannot_decide(
    party_office: User, commune: Commune, review: AnnualReview, hamlet_a: Hamlet
) -> None:
    nominate = reverse("reviews:commendation-create", args=[review.pk])
    form = {"nominee": f"hamlet:{hamlet_a.pk}", "reason": "Nhiều tin báo có giá trị."}
    assert logged_in(party_office).post(nominate, form).status_code == 302
    commendation = Commendation.objects.get(review=review)
    assert commendation.proposed_by == party_office
    decide = reverse("reviews:commendation-decide", args=[commendation.pk])
    assert logged_in(party_office).post(decide, {"approve": "1"}).status_code == 302
    commendation.refresh_from_db()
    assert (commendation.status, commendation.decided_by) == ("proposed", None)
    colleague = make_user("party_office_2", Role.PARTY_OFFICE, commune)
    assert logged_in(colleague).post(decide, {"approve": "1"}).status_code == 302
    commendation.refresh_from_db()
    assert (commendation.status, commendation.decided_by) == ("approved", colleague)


def test_the_officer_who_edited_a_review_cannot_finalise_it(
    police: User, commune: Commune, review: AnnualReview
) -> None:
    """Finalising is the review's sign-off: whoever wrote its narrative leaves it to another
    officer (page and service; the admin does not finalise)."""
    edit = reverse("reviews:edit", args=[review.pk])
    form = {"subject": review.subject, "results": "Kết quả do cán bộ viết."}
    assert logged_in(police).post(edit, form).status_code == 302
    assert list(review.editors.all()) == [police]
    finalise = reverse("reviews:finalise", args=[review.pk])
    response = logged_in(police).post(finalise, {"confirm": "on"})
    assert response.status_code == 200
    assert "cán bộ khác" in response.content.decode()
    review.refresh_from_db()
    assert review.status == AnnualReview.Status.DRAFT
    colleague = make_user("police_2", Role.COMMUNE_POLICE, commune)
    with pytest.raises(ValidationError) as error:
        services.review_finalise(actor=police, review=review)
    assert error.value.code == "editor_finalises"
    services.review_finalise(actor=colleague, review=review)
    review.refresh_from_db()
    assert (review.status, review.finalised_by) == (AnnualReview.Status.FINAL, colleague)
