"""Build a commune's review documents from the command line, in this process (no worker).

    python manage.py build_review --commune 25387 --year 2026

Creates the draft when the commune has no review of that year, builds the PDF, DOCX and XLSX
(from the snapshot when the review is finalised) and prints where the files are.
"""

from __future__ import annotations

from django.core.management.base import CommandError, CommandParser

from accounts.audit import AuditedCommand
from groups.models import Commune
from reviews import services
from reviews.models import AnnualReview, PeriodKind, ReviewBuild


class Command(AuditedCommand):
    help = "Build the yearly review's PDF, DOCX and XLSX of a commune and print their paths."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--commune", required=True, help="The commune's administrative code.")
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument(
            "--period",
            choices=PeriodKind.values,
            help="For a new review: the period (default: the commune's setting).",
        )

    def handle(
        self, *args: object, commune: str, year: int, period: str | None, **options: object
    ) -> None:
        found = Commune.objects.filter(code=commune).first()
        if found is None:
            raise CommandError(f"No commune with code {commune}.")
        review = AnnualReview.objects.filter(commune=found, year=year).first()
        if review is None:
            review = services.review_create(
                actor=None, commune=found, year=year, period_kind=period
            )
            self.stdout.write(f"Draft review created: {review} (#{review.pk}).")
        build = services.build_create(actor=None, review=review)
        build = services.build_run(build.pk)
        if build is None or build.status != ReviewBuild.Status.DONE:
            raise CommandError(f"The build failed: {build.error if build else 'not claimed'}")
        state = "finalised" if review.is_final else "draft"
        self.stdout.write(self.style.SUCCESS(f"Review {review} ({state}) built:"))
        for kind in ReviewBuild.FORMATS:
            self.stdout.write(f"  {getattr(build, kind).path}")
