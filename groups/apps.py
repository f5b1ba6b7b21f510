from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = _("Hamlets and Zalo groups")

    def ready(self) -> None:
        from binhyen import page_cache

        from .services import REGISTER_MODELS, REGISTER_TOPIC

        page_cache.watch(REGISTER_TOPIC, REGISTER_MODELS)
