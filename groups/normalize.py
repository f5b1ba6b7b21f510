"""Canonical forms for phone numbers and names, so that what is stored and searched is comparable.

Pure functions without Django: models, forms, imports and management commands all call them,
and the tests need no database.
"""

import re
import unicodedata
from collections.abc import Mapping
from typing import Final

import phonenumbers
from phonenumbers import CountryCodeSource, PhoneNumberFormat

# Vietnamese mobile prefixes (national form, with the trunk "0"), per carrier, from DOMAIN.md.
# This is the one place to change when a carrier gets a new block.
MOBILE_PREFIXES: Final[Mapping[str, tuple[str, ...]]] = {
    "Viettel": ("086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039"),
    "VinaPhone": ("088", "091", "094", "081", "082", "083", "084", "085"),
    "MobiFone": ("089", "090", "093", "070", "076", "077", "078", "079"),
    "Vietnamobile": ("092", "056", "058"),
    "Gmobile": ("099", "059"),
}

_ALL_PREFIXES: Final[frozenset[str]] = frozenset(
    prefix for prefixes in MOBILE_PREFIXES.values() for prefix in prefixes
)

# What a typed phone number may contain: an optional "(" and "+" in front, then digits and the
# usual separators (spaces, dots, parentheses, hyphen and the Unicode dashes U+2010 to U+2015).
# Checked before phonenumbers sees the text, because phonenumbers reads letters as a vanity
# keypad ("0912abc678" would become 0912222678) and accepts extensions ("ext", "#", ";"),
# none of which can get past this pattern.
_PHONE_TEXT: Final = re.compile(r"\(?\+?[0-9\s().\-\u2010-\u2015]*")
_E164_VN_MOBILE: Final = re.compile(r"\+84([0-9]{9})")
# "0912 345 678", "0912345678", "0912.345.678", "0912-345-678" (one separator throughout), and
# "091 234 5678": the national forms typed most, read without phonenumbers.
_LOCAL_MOBILE: Final = re.compile(
    r"(0[0-9]{2})(?:[0-9]([ .\-]?)[0-9]{3}\2[0-9]{3}| [0-9]{3} [0-9]{4})"
)
_SHOWN_MAX: Final = 40
_MIN_SEARCH_DIGITS: Final = 3


class InvalidPhone(ValueError):
    """Raised for anything that is not a Vietnamese mobile number; the message is for the user."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        hint = (
            "Nhập số di động Việt Nam gồm 10 chữ số bắt đầu bằng 0 "
            "(ví dụ 0912 345 678) hoặc +84 (ví dụ +84 912 345 678)."
        )
        shown = raw.strip()
        if not shown:
            message = f"Chưa nhập số điện thoại. {hint}"
        else:
            if len(shown) > _SHOWN_MAX:
                shown = shown[:_SHOWN_MAX] + "…"
            message = f"Số điện thoại không hợp lệ: “{shown}”. {hint}"
        super().__init__(message)


def normalize_phone(raw: str) -> str:
    """Return the E.164 form ("+84912345678") of a Vietnamese mobile number typed in any usual way.

    One canonical form is stored so that duplicates are found and search works. Accepted:
    "0912 345 678", "0912.345.678", "+84912345678", "84-912-345-678", "(+84) 912 345 678",
    "0084 912 345 678", full-width digits. A national number must keep its leading 0, so a
    9-digit number that lost a digit is not silently taken as another person's number.
    """
    stored = _E164_VN_MOBILE.fullmatch(raw)
    if stored is not None and "0" + stored[1][:2] in _ALL_PREFIXES:
        return raw  # already the stored form: every save normalises again, imports twice
    local = _LOCAL_MOBILE.fullmatch(raw)
    if local is not None and local[1] in _ALL_PREFIXES:
        # the usual national forms ("0912 345 678", "0912345678", "0912.345.678"): what
        # phonenumbers gives them (tested), 30 times faster, for imports of thousands
        return "+84" + raw.replace(" ", "").replace(".", "").replace("-", "")[1:]
    return _parsed(raw)


def _parsed(raw: str) -> str:
    """normalize_phone by phonenumbers: any form it accepts."""
    text = unicodedata.normalize("NFKC", raw).strip()  # full-width digits and plus become ASCII
    if not text or not _PHONE_TEXT.fullmatch(text):
        raise InvalidPhone(raw)
    try:
        number = phonenumbers.parse(text, "VN", keep_raw_input=True)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(raw) from exc
    if number.country_code_source == CountryCodeSource.FROM_DEFAULT_COUNTRY and not _digits(
        text
    ).startswith("0"):
        raise InvalidPhone(raw)
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    match = _E164_VN_MOBILE.fullmatch(e164)
    if match is None or "0" + match[1][:2] not in _ALL_PREFIXES:
        raise InvalidPhone(raw)
    return e164


def format_phone_local(e164: str) -> str:
    """Show a stored "+84912345678" the way people write it: "0912 345 678".

    Anything else is returned unchanged: display must never break a page, and values are
    validated when they are written.
    """
    match = _E164_VN_MOBILE.fullmatch(e164)
    if match is None:
        return e164
    national = "0" + match[1]
    return f"{national[:4]} {national[4:7]} {national[7:]}"


# Letters that stripping combining marks leaves alone: Đ/đ have no decomposition, and the
# look-alikes Ɖ/ɖ (African D) and Ð/ð (eth) turn up in Vietnamese text typed with the wrong
# keyboard. The table is applied after casefold, so only lowercase forms are needed.
_D_LIKE: Final = str.maketrans({"đ": "d", "ɖ": "d", "ð": "d"})


def search_key(text: str) -> str:
    """Return the form in which names and free text are stored and searched ("nguyen van duc").

    People search without diacritics, type NFC or NFD, and place tone marks either the old or the
    new way ("Hoà"/"Hòa", "Thuỷ"/"Thủy"); all of these give the same key.
    """
    # casefold first: it can itself produce combining marks ("İ" -> "i" + U+0307).
    decomposed = unicodedata.normalize("NFD", text.casefold())
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(bare.translate(_D_LIKE).split())


_NOT_WORD: Final = re.compile(r"[^0-9a-z]+")


def household_key(text: str) -> str:
    """The key that tells households apart: search_key() without punctuation, so "Số 1, tổ 1",
    "số 1 tổ 1" and "So 1 - To 1" are one household."""
    return " ".join(_NOT_WORD.sub(" ", search_key(text)).split())


def phone_search_digits(raw: str) -> str | None:
    """Return the digits to look for in the E.164 phone column, or None if raw is not a phone.

    Rule: raw must contain only what a phone number may contain (digits, spaces, dots, dashes,
    parentheses, a leading "+") and at least 3 digits. Then a leading "0" (national trunk
    prefix) becomes "84" and a leading "00" (international call prefix) is dropped; otherwise the
    digits are kept as typed. The result is a substring of the E.164 digits of every matching
    number, so callers search with `contains`:
    "0912 345" -> "84912345", "+84 912" -> "84912", "912345" -> "912345".
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    if not _PHONE_TEXT.fullmatch(text):
        return None
    digits = _digits(text)
    if len(digits) < _MIN_SEARCH_DIGITS:
        return None
    if text.lstrip("(").startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    if digits.startswith("0"):
        return "84" + digits[1:]
    return digits


def _digits(text: str) -> str:
    return "".join(ch for ch in text if "0" <= ch <= "9")
