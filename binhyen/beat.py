"""Celery beat's scheduler: django-celery-beat's database scheduler, keeping the admin's word.

django-celery-beat writes every entry of settings.CELERY_BEAT_SCHEDULE over its row each time
beat starts (`update_or_create`), so a time a commune changed in the admin (Periodic tasks) would
silently come back to the default at the next restart. Here only the entries missing from the
database are created from settings (as the post-migrate step in bulletins/apps.py does); after
that the database, edited in the admin, is the schedule.
"""

from __future__ import annotations

from typing import Any

from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler


class Scheduler(DatabaseScheduler):
    def update_from_dict(self, mapping: dict[str, Any]) -> None:
        existing = set(
            PeriodicTask.objects.filter(name__in=list(mapping)).values_list("name", flat=True)
        )
        missing = {name: entry for name, entry in mapping.items() if name not in existing}
        # The rows already there are read with the rest of the database at beat's first tick.
        super().update_from_dict(missing)
