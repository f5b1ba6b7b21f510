"""The demo commune's draft review of the current year: figures and narrative from the demo data,
documents built on demand from its page. Idempotent: an existing review is left alone."""

from __future__ import annotations

from django.utils import timezone

from groups.models import Commune

from .models import AnnualReview
from .services import review_create


def seed_review(commune: Commune) -> AnnualReview:
    year = timezone.localdate().year
    found = AnnualReview.objects.filter(commune=commune, year=year).first()
    return found or review_create(actor=None, commune=commune, year=year)
