"""The demo users of `manage.py seed_demo`: one per row of seeds/users.csv, with their role,
hamlets and, with DEBUG on, a published second factor."""

from __future__ import annotations

from base64 import b32decode

from django.conf import settings
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from groups.models import Commune, Hamlet

from .models import User
from .roles import STAFF_ROLES, Role
from .services import requires_two_factor

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


def seed_second_factor(users: list[User]) -> None:
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
