"""Load the demo commune from seeds/: its hamlets and one user per role.

Idempotent: rows are matched by code or username, and a demo user's password is set only when
the user is created, so a second run changes nothing.
"""

import csv
import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts.models import User
from accounts.roles import STAFF_ROLES, Role
from groups.models import Commune, Hamlet

SEEDS = settings.BASE_DIR / "seeds"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def seed_commune() -> Commune:
    data = json.loads((SEEDS / "commune.json").read_text(encoding="utf-8"))
    commune, _ = Commune.objects.update_or_create(
        code=data["code"], defaults={"name": data["name"], "province": data["province"]}
    )
    for row in read_csv(SEEDS / "hamlets.csv"):
        Hamlet.objects.update_or_create(
            code=row["code"], defaults={"commune": commune, "name": row["name"]}
        )
    return commune


def seed_user(row: dict[str, str], commune: Commune) -> User:
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
        user.set_password(settings.DEMO_PASSWORD)
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role.value))
        codes = [code for code in row["hamlets"].split(";") if code]
        user.hamlets.set(Hamlet.objects.filter(code__in=codes))
    return user


class Command(BaseCommand):
    help = "Load the illustrative demo commune (Xã Thuận Lợi), its hamlets and demo users."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when a commune already exists."
        )

    def handle(self, *args: object, if_empty: bool = False, **options: object) -> None:
        if if_empty and Commune.objects.exists():
            self.stdout.write("Database already has data: demo data not loaded.")
        else:
            with transaction.atomic():
                commune = seed_commune()
                for row in read_csv(SEEDS / "users.csv"):
                    seed_user(row, commune)
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {commune}."))
        self.print_logins()

    def print_logins(self) -> None:
        self.stdout.write(f"Demo logins (password for all: {settings.DEMO_PASSWORD}):")
        for row in read_csv(SEEDS / "users.csv"):
            self.stdout.write(f"  {row['username']:<10} {Role(row['role']).label}")
        if not settings.DEBUG:
            self.stdout.write(self.style.WARNING("DEBUG is off: the demo password is refused."))
