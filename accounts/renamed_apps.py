"""Third-party apps that declare no name of their own, under Vietnamese names.

The admin titles an app without a verbose_name with its label ("Axes", "Otp_Totp"). These
configurations, named in settings.INSTALLED_APPS instead of the apps' modules, are the public way
Django gives a project to rename an app it does not own. (A module of their own: a second
AppConfig in accounts/apps.py would stop Django picking AccountsConfig for "accounts".)
"""

from axes.apps import AppConfig as AxesConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.apps import DefaultConfig as StaticOTPConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPConfig


class LoginLockoutConfig(AxesConfig):
    verbose_name = _("Login lockout")


class TOTPDevicesConfig(TOTPConfig):
    verbose_name = _("Authenticator apps")


class RecoveryCodesConfig(StaticOTPConfig):
    verbose_name = _("Recovery codes")
