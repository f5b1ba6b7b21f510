"""Load the illustrative demo commune from seeds/: hamlets, people's groups, Zalo groups, about
5,000 synthetic members, demo users for every role, and a year of incident reports.

Idempotent: rows are matched by code or username, members are added only to an empty roster, and
a demo user's password is set only when the user is created, so a second run changes nothing.
"""

from base64 import b32decode

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.roles import STAFF_ROLES, Role
from accounts.services import requires_two_factor
from bulletins import demo as bulletins_demo
from groups import demo
from groups.models import Commune, Hamlet
from groups.services import member_counts_record
from reports import demo as reports_demo
from reviews import demo as reviews_demo

DEMO_DEVICE = "demo"


def seed_user(row: dict[str, str], commune: Commune, password_hash: str) -> User:
    role = Role(row["role"])
    user, created = User.objects.get_or_create(
        username=row["username"],
        defaults={
            "full_name": row["full_name"],
            "commune": commune,
            "is_staff": role in STAFF_ROLES,
        },
    )
    if created:
        user.password = password_hash
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role.value))
        codes = [code for code in row["hamlets"].split(";") if code]
        user.hamlets.set(Hamlet.objects.filter(code__in=codes))
        if role == Role.HAMLET_HEAD:
            Hamlet.objects.filter(code__in=codes).update(head=user)
    return user


class Command(BaseCommand):
    help = "Load the illustrative demo commune (Xã Thuận Lợi): register, roster and demo users."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when a commune already exists."
        )

    def handle(self, *args: object, if_empty: bool = False, **options: object) -> None:
        if if_empty and Commune.objects.exists():
            self.stdout.write("Database already has data: demo data not loaded.")
        else:
            with transaction.atomic():
                commune = demo.seed_commune()
                demo.seed_groups()
                # One hash for all demo users: hashing is slow on purpose, and this is a demo.
                password_hash = make_password(settings.DEMO_PASSWORD)
                users = [
                    seed_user(row, commune, password_hash) for row in demo.read_csv("users.csv")
                ]
                self.assign_group_admins(users)
                self.seed_demo_second_factor(users)
                added = demo.seed_members()
                member_counts_record()
                reports = reports_demo.seed_reports()
                bulletins_demo.seed_bulletins(commune)  # a year of bulletins and postings
                reviews_demo.seed_review(commune)  # a draft of this year's review
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo data loaded: {commune}, {added} new members, {reports} new reports."
                )
            )
        self.print_logins()

    def assign_group_admins(self, users: list[User]) -> None:
        """Each group is administered by the area officer of its hamlet (first run only)."""
        from groups.models import ZaloGroup

        for user in users:
            if user.groups.filter(name=Role.AREA_OFFICER).exists():
                ZaloGroup.objects.filter(hamlet__in=user.hamlets.all(), admin_officer=None).update(
                    admin_officer=user
                )

    def seed_demo_second_factor(self, users: list[User]) -> None:
        """With DEBUG on, accounts that need two-factor authentication get a device with the
        published DEMO_TOTP_KEY: the demo is tried in a browser without a phone (`manage.py
        demo_code` prints the current code). Never with DEBUG off, where such a key would be a
        back door; there the demo password is refused anyway."""
        if not settings.DEBUG:
            return
        key = b32decode(settings.DEMO_TOTP_KEY).hex()
        for user in users:
            if requires_two_factor(user):
                TOTPDevice.objects.get_or_create(
                    user=user, name=DEMO_DEVICE, defaults={"key": key, "confirmed": True}
                )

    def print_logins(self) -> None:
        self.stdout.write(f"Demo logins (password for all: {settings.DEMO_PASSWORD}):")
        shown = ("congan", "cskv", "truongap", "vanphong", "lanhdao")
        for row in demo.read_csv("users.csv"):
            if row["username"] in shown:
                self.stdout.write(f"  {row['username']:<10} {Role(row['role']).label}")
        self.stdout.write("  (also cskv2-cskv4 and truongap02-truongap12 for the other hamlets)")
        if settings.DEBUG and TOTPDevice.objects.filter(name=DEMO_DEVICE).exists():
            self.stdout.write(
                f"  congan needs a second factor: add the key {settings.DEMO_TOTP_KEY} to an "
                "authenticator app, or run `python manage.py demo_code` for the current code."
            )
        if not settings.DEBUG:
            self.stdout.write(self.style.WARNING("DEBUG is off: the demo password is refused."))
