"""Old rosters read as they are: text typed in the legacy Vietnamese fonts, and addresses written
before the 2025 merger. Two passes over the rows the import has read (groups.importing.read_file),
before any row is checked against the register.

- `convert_columns`: each column's text is checked for TCVN3 (ABC), VNI or VIQR
  (binhyen.legacy_text, from the cell fonts of an .xls file when they name a legacy font, else
  from the characters) and converted to Unicode. The importer sees, per column, what was found,
  why, how many cells changed and the first of them before and after; they may choose another
  encoding for a column, which then applies as chosen.
- `map_old_addresses`: on request, the household column is read as an address of the old
  three-level form (groups.old_addresses) and rewritten with the 2025 commune that took over its
  old commune, and the hamlet's present name where a hamlet records the old one. An old commune
  split between several new ones is never guessed: the row waits for the importer's choice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from binhyen import legacy_text
from binhyen.legacy_text import Detection, Encoding

from .models import Commune, Hamlet
from .old_addresses import OldAddress, match_hamlets, parse_old_address

SAMPLES: Final = 5  # converted cells shown side by side, per column
DETECT_SAMPLE: Final = 1_000  # different cells of a column read to detect its encoding
ADDRESS_FIELD: Final = "household"


@dataclass
class ColumnText:
    """What one column's text was typed in, and what converting it changed."""

    field: str
    header: str
    detection: Detection
    encoding: Encoding  # the one applied: detected, or chosen by the importer
    chosen: bool = False
    converted: int = 0
    samples: list[tuple[int, str, str]] = field(default_factory=list)  # (row, before, after)

    @property
    def encoding_label(self) -> str:
        return legacy_text.encoding_name(self.encoding)


def convert_columns(
    rows: list[dict[str, object]],
    headers: Mapping[str, str],
    fonts: Mapping[str, Iterable[str]],
    chosen: Mapping[str, Encoding],
) -> list[ColumnText]:
    """Detect and convert, in place, the text of every column of `rows` (read_file's dicts);
    `headers`: field -> the file's header; `fonts`: field -> the font names of its cells (.xls);
    `chosen`: field -> the encoding the importer chose instead of the detected one. Returns the
    columns that hold text, with what was done."""
    columns = []
    for name, header in headers.items():
        texts = [value for row in rows if isinstance(value := row.get(name), str) and value]
        if not texts:
            continue
        # Distinct cells, and enough of them: a column is typed one way, so 1,000 different
        # cells tell as well as 50,000 (and detecting reads every word of what it is given).
        sample = list(dict.fromkeys(texts))[:DETECT_SAMPLE]
        detection = legacy_text.detect(sample, fonts.get(name, ()))
        encoding = chosen.get(name, detection.encoding)
        column = ColumnText(
            name, header, detection, encoding, chosen=encoding != detection.encoding
        )
        if encoding != "unicode":
            capitals = detection.capitals and encoding == detection.encoding
            _convert(rows, column, capitals)
        columns.append(column)
    return columns


def _convert(rows: list[dict[str, object]], column: ColumnText, capitals: bool) -> None:
    for row in rows:
        value = row.get(column.field)
        if not isinstance(value, str) or not value:
            continue
        converted = legacy_text.convert(value, column.encoding, capitals=capitals)
        if converted != value:
            row[column.field] = converted
            column.converted += 1
            if len(column.samples) < SAMPLES:
                column.samples.append((int(str(row["row"])), value, converted))


@dataclass
class AddressChange:
    """One row's address of before the merger. `new` is the address written with the 2025
    commune, empty while the row waits for a choice among `choices` (code, name)."""

    row: int
    before: str
    old: OldAddress
    new: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    chosen: str = ""

    @property
    def needs_choice(self) -> bool:
        return not self.new


def map_old_addresses(
    rows: list[dict[str, object]], choices: Mapping[int, str]
) -> dict[int, AddressChange]:
    """Rewrite, in place, each row's address of the old form with its 2025 commune; return the
    changes by row number. `choices`: row number -> the code of the 2025 commune the importer
    chose for an old commune that was split. An address that names no known old commune is
    left as it is."""
    communes = _Communes()
    changes = {}
    for row in rows:
        text = row.get(ADDRESS_FIELD)
        if not isinstance(text, str) or not text:
            continue
        old = parse_old_address(text)
        if old is None or not old.successors:
            continue
        number = int(str(row["row"]))
        change = AddressChange(number, text, old)
        successor = _successor(old, choices.get(number, ""), change)
        if successor is not None:
            change.new = _new_address(old, successor, communes)
            if change.new == text:
                continue  # already written the 2025 way
            row[ADDRESS_FIELD] = change.new
        changes[number] = change
    return changes


def _successor(old: OldAddress, chosen: str, change: AddressChange) -> tuple[str, str] | None:
    if not old.needs_choice:
        return old.successors[0]
    change.choices = list(old.successors)
    found = next((s for s in old.successors if s[0] == chosen), None)
    if found is not None:
        change.chosen = chosen
    return found


def _new_address(old: OldAddress, successor: tuple[str, str], communes: _Communes) -> str:
    """The hamlet's part as typed (the hamlet itself renamed to its present name when one of
    the commune's hamlets records the old name), then the 2025 commune."""
    parts = [part.strip() for part in old.hamlet_text.split(",") if part.strip()]
    if parts:
        hamlets = match_hamlets(parts[-1], communes.hamlets(successor[0]))
        if len(hamlets) == 1:
            parts[-1] = hamlets[0].name
    return ", ".join([*parts, successor[1]])


class _Communes:
    """The hamlets of the 2025 communes an import's addresses name: one query per commune."""

    def __init__(self) -> None:
        self._hamlets: dict[str, list[Hamlet]] = {}

    def hamlets(self, code: str) -> list[Hamlet]:
        if code not in self._hamlets:
            commune = Commune.objects.filter(code=code).first()
            self._hamlets[code] = list(commune.hamlets.all()) if commune else []
        return self._hamlets[code]
