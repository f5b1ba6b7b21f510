"""System checks of the reports app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning


def check_informant_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Deploy: the informants' key must be its own secret, not derived from SECRET_KEY."""
    if not getattr(settings, "INFORMANT_KEYS_DERIVED", False):
        return []
    return [
        Warning(
            "INFORMANT_KEYS is not set: informant identities are encrypted with a key derived "
            "from SECRET_KEY, so changing SECRET_KEY would make them unreadable, and whoever "
            "knows SECRET_KEY can read them.",
            hint="Generate a key with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`, set INFORMANT_KEYS to it and keep a copy "
            "apart from the database backups.",
            id="reports.W001",
        )
    ]
