"""Load the illustrative demo commune from seeds/, every wing of it (so the command lives with
the dashboards, the one app that reads them all): hamlets, people's groups, Zalo groups, about
5,000 synthetic members, demo users for every role, and a year of incident reports.

Idempotent: rows are matched by code or username, members are added only to an empty roster, and
a demo user's password is set only when the user is created, so a second run changes nothing.
"""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandParser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import demo as accounts_demo
from accounts.audit import AuditedCommand
from accounts.models import User
from accounts.roles import Role
from bulletins import demo as bulletins_demo
from groups import demo
from groups.models import Commune
from groups.services import member_counts_record
from reports import demo as reports_demo
from reviews import demo as reviews_demo


class Command(AuditedCommand):
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
                    accounts_demo.seed_user(row, commune, password_hash)
                    for row in demo.read_csv("users.csv")
                ]
                self.assign_group_admins(users)
                accounts_demo.seed_second_factor(users)
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

    def print_logins(self) -> None:
        self.stdout.write(f"Demo logins (password for all: {settings.DEMO_PASSWORD}):")
        shown = ("congan", "congan2", "cskv", "truongap", "vanphong", "lanhdao")
        for row in demo.read_csv("users.csv"):
            if row["username"] in shown:
                self.stdout.write(f"  {row['username']:<10} {Role(row['role']).label}")
        self.stdout.write("  (also cskv2-cskv4 and truongap02-truongap12 for the other hamlets)")
        if settings.DEBUG and TOTPDevice.objects.filter(name=accounts_demo.DEMO_DEVICE).exists():
            self.stdout.write(
                "  congan and congan2 need a second factor: add the key "
                f"{settings.DEMO_TOTP_KEY} to an authenticator app, or run "
                "`python manage.py demo_code` for the current code."
            )
        if not settings.DEBUG:
            self.stdout.write(self.style.WARNING("DEBUG is off: the demo password is refused."))
