from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _install_beat_schedule(sender: AppConfig, **kwargs: object) -> None:
    """Copy settings.CELERY_BEAT_SCHEDULE into django-celery-beat's tables after migrate, so
    the schedules are in the admin before beat first starts. Only missing entries are created:
    a timing changed in the admin is kept (and beat keeps it too: binhyen/beat.py)."""
    from django.conf import settings
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import ModelEntry

    using = kwargs.get("using", "default")
    existing = set(PeriodicTask.objects.using(using).values_list("name", flat=True))
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        if name not in existing:
            ModelEntry.from_entry(name, **entry)


class BulletinsConfig(AppConfig):
    name = "bulletins"
    verbose_name = _("Bulletins")

    def ready(self) -> None:
        from binhyen import page_cache

        from .services import POSTINGS_MODELS, POSTINGS_TOPIC

        page_cache.watch(POSTINGS_TOPIC, POSTINGS_MODELS)
        post_migrate.connect(
            _install_beat_schedule, sender=self, dispatch_uid="bulletins.beat_schedule"
        )
