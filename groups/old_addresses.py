"""Addresses from before the 2025 merger, mapped to the commune that succeeded them.

In 2025 districts were abolished and most communes merged; Đồng Nai took in Bình Phước. Old
lists write "ấp X, xã Y, huyện Z, tỉnh Bình Phước" (or "… tỉnh Đồng Nai"), often abbreviated ("X.",
"H.", "T.", "TX", "TP", "TT") or without diacritics. `parse_old_address` reads such a text into its
units and the 2025 communes that took over the old commune: one, or several when the old commune
was split (a person chooses then; nothing here guesses). `match_hamlets` finds a commune's hamlet
by its name or a former name (`Hamlet.former_names`).

Data: `vietnam-address-converter` 1.0.5 (old province/district/commune -> 2025 commune, mapping
version "10_25", 10,358 rows) for the mapping, `vietnam-provinces` 2025.10.1 (the 2025 list of the
General Statistics Office, data of 2025-10-18) for the official codes of the 2025 communes,
which `Commune.code` holds. What was checked, for Đồng Nai (2026-12):
- the converter's 95 new communes of Đồng Nai are, name for name, the 95 of vietnam-provinces;
  its old units are the 160 communes and wards of the old Đồng Nai and the 111 of Bình Phước;
- it agrees unit for unit with a second package, `vietnamadminunits` 1.0.4, for 263 of the 270
  old units both list; the rest are spellings ("Đắk Lua"/"Đăk Lua"), Biên Hòa's ward Thanh Bình
  (merged in 2024, absent there) and the two splits below;
- samples: Xã Thuận Lợi and Xã Thuận Phú (huyện Đồng Phú, Bình Phước) -> Xã Thuận Lợi (25387);
  Phường Tiến Thành and Xã Tân Thành (TP Đồng Xoài) -> Phường Đồng Xoài; Xã Lộc Hòa -> Xã Lộc
  Thạnh (25280) and Xã Lộc Thịnh -> Xã Lộc Thành (25294), two names that only diacritics tell
  apart (so an address typed without them gets both, to choose from);
- splits: the converter splits Xã Nam Cát Tiên (huyện Tân Phú) between Xã Nam Cát Tiên and Xã
  Tà Lài; vietnamadminunits splits Xã Xuân Tâm (huyện Xuân Lộc) between Xã Xuân Hòa and Xã Xuân
  Đông, which the converter maps to Xã Xuân Hòa only. Both are kept as splits
  (`_EXTRA_SUCCESSORS`): offering a person two communes is never wrong, picking one may be.
vietnamadminunits itself is not used: it resolves splits by geocoding the street over the
network and picks a default commune.

The converter's data is loaded on first use (about 70 MB in the process that uses it: the
worker running an import), not when Django starts.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Final, Literal

from .models import Commune, Hamlet
from .normalize import household_key

Level = Literal["province", "district", "commune"]

# The type word that starts a unit's name, as keys (household_key: no diacritics, no
# punctuation, lower case), longest first; "tp" is a district-level city or a province.
_PREFIXES: Final[tuple[tuple[str, Level], ...]] = (
    ("thanh pho", "district"),
    ("thi tran", "commune"),
    ("thi xa", "district"),
    ("phuong", "commune"),
    ("huyen", "district"),
    ("quan", "district"),
    ("tinh", "province"),
    ("xa", "commune"),
    ("tp", "district"),
    ("tx", "district"),
    ("tt", "commune"),
    ("h", "district"),
    ("q", "district"),
    ("t", "province"),
    ("x", "commune"),
    ("p", "commune"),
)
# Where an address without commas is cut: before a type word written out with its diacritics,
# or abbreviated with a dot, as only a unit's type is written.
_MARKER: Final = re.compile(
    r"\s+(?=(?:xã|huyện|tỉnh|thị xã|thị trấn|thành phố|phường|quận)\s"
    r"|(?:X|H|T|TX|TP|TT|P|Q)\.)",
    re.IGNORECASE,
)
_ASCII_MARKER: Final = re.compile(
    r"\s+(?=(?:xa|huyen|tinh|thi xa|thi tran|thanh pho|phuong|quan)\s)", re.IGNORECASE
)
_SEPARATOR: Final = re.compile(r"\s*(?:[,;]|\s-\s|\s–\s)\s*")
_HAMLET_PREFIXES: Final = ("khu pho", "kp", "ap", "thon", "xom", "khu", "ban", "buon")

# Old units the converter maps to one commune that a second source records as split (see the
# module's docstring): (old province, district, commune) keys -> the other 2025 communes.
_EXTRA_SUCCESSORS: Final[dict[tuple[str, str, str], tuple[str, ...]]] = {
    ("dong nai", "xuan loc", "xuan tam"): ("Xã Xuân Đông",),
}


@dataclass(frozen=True)
class OldAddress:
    """An address read as old units. `successors`: the 2025 communes, (code, name), that took
    over `old_commune`: empty when unknown, several when it was split (a person chooses)."""

    hamlet_text: str
    old_commune: str
    old_district: str
    old_province: str
    successors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def needs_choice(self) -> bool:
        return len(self.successors) > 1


@dataclass(frozen=True)
class _OldUnit:
    province: str
    district: str
    commune: str
    keys: tuple[str, str, str]
    successors: tuple[tuple[str, str], ...]


def unit_key(name: str, level: Level | None = None) -> str:
    """The key of a unit's name without its type word: "Xã Thuận Lợi", "xa Thuan Loi" and
    "X. Thuận Lợi" are "thuan loi"."""
    key = household_key(name)
    for prefix, prefix_level in _PREFIXES:
        if (level is None or prefix_level == level or prefix == "tp") and (
            key.startswith(prefix + " ")
        ):
            return key[len(prefix) + 1 :]
    return key


def _exact(name: str) -> str:
    """The name's words with their diacritics, without the type word: tells "Lộc Thành" from
    "Lộc Thạnh", which share a key."""
    words = unicodedata.normalize("NFC", name).casefold().replace(".", " ").split()
    key_words = unit_key(name).split()
    return " ".join(words[len(words) - len(key_words) :])


# --- Data -----------------------------------------------------------------------------------


@cache
def _new_codes() -> dict[tuple[str, str], str]:
    """(province key, 2025 commune name) -> its official code, zero-padded as GSO writes it."""
    from vietnam_provinces import Province, Ward

    provinces = {p.code: unit_key(p.name, "province") for p in Province.iter_all()}
    return {(provinces[w.province_code], w.name): f"{w.code.value:05d}" for w in Ward.iter_all()}


@cache
def _old_units() -> dict[str, list[_OldUnit]]:
    """Old units by commune key, each with its successors."""
    from vietnam_address_converter.data import DEFAULT_DATA

    codes = _new_codes()
    successors: dict[tuple[str, str, str], dict[tuple[str, str], None]] = defaultdict(dict)
    new_province: dict[tuple[str, str, str], str] = {}
    for row in DEFAULT_DATA["mapping"]["rows"]:
        old, new = row["old"], row["new"]
        path = (old["province_name"], old["district_name"], old["ward_name"])
        new_province[path] = unit_key(new["province_name"], "province")
        code = codes.get((new_province[path], new["ward_name"]), "")
        successors[path][(code, new["ward_name"])] = None  # a dict keeps the order, once each
    units: dict[str, list[_OldUnit]] = defaultdict(list)
    for path, found in successors.items():
        keys = (
            unit_key(path[0], "province"),
            unit_key(path[1], "district"),
            unit_key(path[2], "commune"),
        )
        for extra in _EXTRA_SUCCESSORS.get(keys, ()):
            found[(codes.get((new_province[path], extra), ""), extra)] = None
        units[keys[2]].append(_OldUnit(*path, keys=keys, successors=tuple(found)))
    return dict(units)


@cache
def _known_keys(level: Level) -> frozenset[str]:
    index = ("province", "district", "commune").index(level)
    return frozenset(unit.keys[index] for units in _old_units().values() for unit in units)


@cache
def _new_communes() -> dict[str, list[tuple[str, str, str]]]:
    """2025 communes by key: (province key, code, name)."""
    found: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for (province, name), code in _new_codes().items():
        found[unit_key(name, "commune")].append((province, code, name))
    return dict(found)


# --- Parsing --------------------------------------------------------------------------------


def parse_old_address(text: str) -> OldAddress | None:
    """The units of an address of the old three-level form and the 2025 communes of its
    commune; None when no commune can be made out. Province and district are optional."""
    segments = _segments(text)
    slots = _assign(segments)
    if "commune" not in slots:
        return None
    first = min(slots.values())
    hamlet_text = ", ".join(segments[:first])
    typed = {level: segments[index] for level, index in slots.items()}
    units = _candidates(typed)
    if units:
        successors = list(dict.fromkeys(s for unit in units for s in unit.successors))
        return OldAddress(
            hamlet_text=hamlet_text,
            old_commune=_one({u.commune for u in units}, typed["commune"]),
            old_district=_one({u.district for u in units}, typed.get("district", "")),
            old_province=_one({u.province for u in units}, typed.get("province", "")),
            successors=successors,
        )
    return OldAddress(
        hamlet_text=hamlet_text,
        old_commune=typed["commune"],
        old_district=typed.get("district", ""),
        old_province=typed.get("province", ""),
        successors=_already_new(typed),
    )


def _segments(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    marker = _ASCII_MARKER if text.isascii() and not _SEPARATOR.search(text) else _MARKER
    parts = (piece for part in _SEPARATOR.split(text) for piece in marker.split(part))
    return [part.strip() for part in parts if part.strip()]


def _level(segment: str) -> Level | None:
    key = household_key(segment)
    for prefix, level in _PREFIXES:
        if key.startswith(prefix + " "):
            return level
    return None


def _assign(segments: list[str]) -> dict[Level, int]:
    """Which segment is the province, the district and the commune, from the right. A segment
    with a type word takes its level; one without takes the next level if it names such a unit
    ("…, Đồng Phú, Bình Phước"); the first to the left of the commune is the hamlet's text."""
    order: tuple[Level, ...] = ("province", "district", "commune")
    slots: dict[Level, int] = {}
    for index in range(len(segments) - 1, -1, -1):
        if "commune" in slots:
            break
        segment = segments[index]
        level = _level(segment)
        # "TP Hồ Chí Minh" ends an address as a province; "TP Biên Hòa" is a district.
        if (
            level == "district"
            and household_key(segment).startswith("tp ")
            and "province" not in slots
            and unit_key(segment) in _known_keys("province")
        ):
            level = "province"
        if level is None:
            free = [lv for lv in order if lv not in slots and order.index(lv) >= _last(slots)]
            level = next((lv for lv in free if unit_key(segment) in _known_keys(lv)), None)
            if level is None:
                continue
        if level in slots:
            break
        slots[level] = index
    return slots


def _last(slots: dict[Level, int]) -> int:
    order = ("province", "district", "commune")
    return max((order.index(level) for level in slots), default=-1)


def _candidates(typed: dict[Level, str]) -> list[_OldUnit]:
    units = _old_units().get(unit_key(typed["commune"], "commune"), [])
    for level, index in (("district", 1), ("province", 0)):
        if level in typed:
            key = unit_key(typed[level], level)
            narrowed = [unit for unit in units if unit.keys[index] == key]
            # A province written as the new one ("… huyện Đồng Phú, tỉnh Đồng Nai"), or a
            # district misspelt: the other units still narrow it; if none does, every old
            # commune of that name is a candidate (to choose from, not guessed).
            units = narrowed or units
    exact = _exact(typed["commune"])
    same = [unit for unit in units if _exact(unit.commune) == exact]
    return same or units


def _already_new(typed: dict[Level, str]) -> list[tuple[str, str]]:
    """A commune no old unit had by that name may be written as the 2025 one already."""
    found = _new_communes().get(unit_key(typed["commune"], "commune"), [])
    if "province" in typed:
        province = unit_key(typed["province"], "province")
        found = [entry for entry in found if entry[0] == province]
    exact = _exact(typed["commune"])
    same = [entry for entry in found if _exact(entry[2]) == exact]
    return [(code, name) for _, code, name in same or found]


def _one(names: set[str], typed: str) -> str:
    return next(iter(names)) if len(names) == 1 else typed


# --- Hamlets --------------------------------------------------------------------------------


def hamlet_key(name: str) -> str:
    """The key a hamlet is matched on: "Ấp Thuận Phú 1", "ap thuan phu 1" and "Thuận Phú 1"
    are "thuan phu 1"."""
    key = household_key(name)
    for prefix in _HAMLET_PREFIXES:
        if key.startswith(prefix + " "):
            return key[len(prefix) + 1 :]
    return key


def match_hamlets(text: str, hamlets: Iterable[Hamlet]) -> list[Hamlet]:
    """The hamlets whose name or a former name is `text`, diacritic-blind; where several match,
    those matching with the diacritics as typed. Several left means a person chooses."""
    key = hamlet_key(text)
    if not key:
        return []
    found = [
        hamlet
        for hamlet in hamlets
        if any(hamlet_key(name) == key for name in (hamlet.name, *hamlet.former_name_list()))
    ]
    if len(found) > 1:
        exact = _hamlet_exact(text)
        same = [
            hamlet
            for hamlet in found
            if any(_hamlet_exact(n) == exact for n in (hamlet.name, *hamlet.former_name_list()))
        ]
        found = same or found
    return found


def commune_hamlets(commune: Commune, text: str) -> list[Hamlet]:
    """`match_hamlets` over the hamlets of `commune` (one query)."""
    return match_hamlets(text, commune.hamlets.all())


def _hamlet_exact(name: str) -> str:
    words = unicodedata.normalize("NFC", name).casefold().split()
    return " ".join(words[len(words) - len(hamlet_key(name).split()) :])
