from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """Each role's home page: reads every wing (reports, bulletins, reviews, the register),
    writes nothing. It also composes the demo data of every wing (`manage.py seed_demo`)."""

    name = "dashboards"
    verbose_name = _("Dashboards")
