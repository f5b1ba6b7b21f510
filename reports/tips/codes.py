"""Tracking codes of anonymous tips: shown once to the tipster, stored only as a keyed hash.

A code is 16 symbols of Crockford's base-32 alphabet (no I, L, O, U), written in four groups of
four, e.g. ``7KQ2-M9XD-4T8R-HC3W``: 80 random bits, typeable from a phone and read aloud without
confusion. Input is forgiving: case, spaces and dashes are ignored, and O/I/L read as 0/1/1.

Why HMAC-SHA256 keyed with SECRET_KEY and not a slow password hash (scrypt, Argon2): a slow hash
protects *low-entropy* secrets that people choose; these have 80 random bits, so no guessing
can cover the space whatever the hash costs. A deterministic keyed hash lets the code find its tip
through a unique index (a salted slow hash would need one expensive check per stored tip), and
without the key a copy of the database does not even let one test a guess. SECRET_KEY_FALLBACKS
keep old codes working after the key is rotated.
"""

from __future__ import annotations

import hmac
import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32
GROUPS, GROUP_SIZE = 4, 4
LENGTH = GROUPS * GROUP_SIZE
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_KEY_SALT = "binhyen.reports.tip-tracking-code"


def new_code() -> str:
    """A fresh code, e.g. "7KQ2-M9XD-4T8R-HC3W" (secrets: a CSPRNG)."""
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(symbols[i : i + GROUP_SIZE] for i in range(0, LENGTH, GROUP_SIZE))


def normalize(typed: str) -> str | None:
    """The 16 symbols of a typed code, or None when it cannot be a code."""
    symbols = "".join(typed.split()).replace("-", "").upper().translate(_READ_AS)
    if len(symbols) != LENGTH or any(char not in ALPHABET for char in symbols):
        return None
    return symbols


def _hash(symbols: str, secret: str) -> str:
    return salted_hmac(_KEY_SALT, symbols, secret=secret, algorithm="sha256").hexdigest()


def code_hash(code: str) -> str:
    """The stored form of a code: HMAC-SHA256 under the current SECRET_KEY."""
    symbols = normalize(code)
    if symbols is None:
        raise ValueError("not a tracking code")
    return _hash(symbols, settings.SECRET_KEY)


def candidate_hashes(typed: str) -> list[str]:
    """The hashes a typed code may be stored under (the current key and its fallbacks);
    empty when it cannot be a code."""
    symbols = normalize(typed)
    if symbols is None:
        return []
    secrets_ = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [_hash(symbols, secret) for secret in secrets_]


def matches(stored: str, typed: str) -> bool:
    """Constant-time check of a typed code against a stored hash (after the indexed lookup,
    so that the answer never depends on comparing strings byte by byte)."""
    return any(hmac.compare_digest(stored, candidate) for candidate in candidate_hashes(typed))
