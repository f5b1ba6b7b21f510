"""Four eyes on a commendation: whoever proposed it cannot decide it, through the page (the
only door that decides; the admin does not list commendations)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from conftest import make_user
from groups.models import Commune, Hamlet
from reviews import services
from reviews.models import AnnualReview, Commendation

pytestmark = pytest.mark.django_db


def page(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def review(police: User, commune: Commune) -> AnnualReview:
    return services.review_create(actor=police, commune=commune, year=2026)


def test_the_proposer_cannot_decide(
    party_office: User, commune: Commune, review: AnnualReview, hamlet_a: Hamlet
) -> None:
    nominate = reverse("reviews:commendation-create", args=[review.pk])
    form = {"nominee": f"hamlet:{hamlet_a.pk}", "reason": "Nhiều tin báo có giá trị."}
    assert page(party_office).post(nominate, form).status_code == 302
    commendation = Commendation.objects.get(review=review)
    assert commendation.proposed_by == party_office
    decide = reverse("reviews:commendation-decide", args=[commendation.pk])
    assert page(party_office).post(decide, {"approve": "1"}).status_code == 302
    commendation.refresh_from_db()
    assert (commendation.status, commendation.decided_by) == ("proposed", None)
    colleague = make_user("party_office_2", Role.PARTY_OFFICE, commune)
    assert page(colleague).post(decide, {"approve": "1"}).status_code == 302
    commendation.refresh_from_db()
    assert (commendation.status, commendation.decided_by) == ("approved", colleague)
