"""Load the illustrative demo commune from seeds/: hamlets, people's groups, Zalo groups, about
5,000 synthetic members, and demo users for every role.

Idempotent: rows are matched by code or username, members are added only to an empty roster, and
a demo user's password is set only when the user is created, so a second run changes nothing.
"""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts.models import User
from accounts.roles import STAFF_ROLES, Role
from groups import demo
from groups.models import Commune, Hamlet
from groups.services import member_counts_record
from reviews import demo as reviews_demo


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
                added = demo.seed_members()
                member_counts_record()
                reviews_demo.seed_review(commune)  # a draft of this year's review
            self.stdout.write(
                self.style.SUCCESS(f"Demo data loaded: {commune}, {added} new members.")
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
        shown = ("congan", "cskv", "truongap", "vanphong", "lanhdao")
        for row in demo.read_csv("users.csv"):
            if row["username"] in shown:
                self.stdout.write(f"  {row['username']:<10} {Role(row['role']).label}")
        self.stdout.write("  (also cskv2-cskv4 and truongap02-truongap12 for the other hamlets)")
        if not settings.DEBUG:
            self.stdout.write(self.style.WARNING("DEBUG is off: the demo password is refused."))
