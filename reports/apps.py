from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Incident reports")

    def ready(self) -> None:
        from binhyen import page_cache

        from . import officers
        from .checks import check_informant_keys
        from .services import REPORTS_MODELS, REPORTS_TOPIC

        checks.register(check_informant_keys, checks.Tags.security, deploy=True)
        officers.connect()
        page_cache.watch(REPORTS_TOPIC, REPORTS_MODELS)
