"""Encryption of informants' identities at rest: Fernet tokens, keys from settings.

settings.INFORMANT_KEYS lists the keys newest first: new values are encrypted with the first,
and a value encrypted with any listed key still decrypts, so a key is rotated by prepending a
new one (and later re-encrypting, see `rotate`).

cryptography (about 7 MiB) is imported when a value is first encrypted or decrypted, so that a
web worker which never opens an identity does not carry it (#20: a worker's memory).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    from cryptography.fernet import Fernet, MultiFernet

    return MultiFernet([Fernet(key) for key in keys])


def _fernet() -> MultiFernet:
    # Keyed on the key list itself: a changed setting (rotation, tests) takes effect at once.
    return _multifernet(tuple(settings.INFORMANT_KEYS))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """Raises cryptography.fernet.InvalidToken when no listed key opens the token."""
    return _fernet().decrypt(token.encode("ascii")).decode()


def rotate(token: str) -> str:
    """The same value re-encrypted with the newest key."""
    return _fernet().rotate(token.encode("ascii")).decode("ascii")
