from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender: AppConfig, **kwargs: object) -> None:
    # post_migrate is sent once per app with models, in INSTALLED_APPS order, each time after
    # that app's permissions were created: only after the last of them do all of them exist.
    if sender is not [config for config in apps.get_app_configs() if config.models_module][-1]:
        return
    from .roles import sync_role_permissions

    sync_role_permissions()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        post_migrate.connect(_sync_roles, dispatch_uid="accounts.sync_roles")
        from django.contrib.auth.signals import user_logged_in

        from .middleware import session_started

        user_logged_in.connect(session_started, dispatch_uid="accounts.session_started")
        from . import access

        access.connect()
        from django.core import checks

        from .push import check_vapid_keys

        checks.register(check_vapid_keys)
