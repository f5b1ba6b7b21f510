"""The demo commune's draft review of the current year: figures and narrative from the demo data,
documents built on demand from its page, signed by the demo party secretary. Idempotent: an
existing review or settings row is left alone."""

from __future__ import annotations

from django.utils import timezone

from groups.models import Commune

from .models import AnnualReview, ReviewSettings
from .services import review_create

# The name under "T/M ĐẢNG ỦY / BÍ THƯ" (a demo name; each commune sets its own in the admin).
DEMO_SIGNER = "Nguyễn Văn Thuận"


def seed_settings(commune: Commune) -> ReviewSettings:
    settings = ReviewSettings.for_commune(commune)
    if settings.pk is None:
        settings.signer_name = DEMO_SIGNER
        settings.save()
    return settings


def seed_review(commune: Commune) -> AnnualReview:
    seed_settings(commune)
    year = timezone.localdate().year
    found = AnnualReview.objects.filter(commune=commune, year=year).first()
    return found or review_create(actor=None, commune=commune, year=year)
