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
        from .models import IncidentReport, ReportFeedback

        checks.register(check_informant_keys, checks.Tags.security, deploy=True)
        officers.connect()
        # The pages that list reports (the queue) show their rows and the residents' word.
        page_cache.watch("reports", [IncidentReport, ReportFeedback])
