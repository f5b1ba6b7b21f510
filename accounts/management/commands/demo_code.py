"""Print the current two-factor code of the demo accounts (DEBUG only): `make run`'s demo police
account needs one, and a tester may have no authenticator app at hand."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import DEMO_DEVICE


class Command(BaseCommand):
    help = "Print the current TOTP code of each demo account's demo device (DEBUG only)."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("Only with DEBUG on: demo devices exist for local demos only.")
        devices = TOTPDevice.objects.filter(name=DEMO_DEVICE).select_related("user")
        if not devices:
            raise CommandError("No demo device: run `python manage.py seed_demo` with DEBUG on.")
        for device in devices:
            code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
            self.stdout.write(f"{device.user.username}: {code:0{device.digits}d}")
