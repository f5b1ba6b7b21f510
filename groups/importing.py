"""Member import and export: spreadsheets (XLSX or CSV) with Vietnamese column headers.

An export has the columns of an import, so a roster can be exported, edited in Excel and imported
again. The admin (groups/admin_import.py) and `manage.py import_members` both call
`member_import`; neither repeats its steps.

The spreadsheet libraries (python-calamine reads, openpyxl writes) are imported inside the
functions that use them: every web worker loads this module (the admin registers its import
page), and most never touch a spreadsheet, so they do not carry openpyxl's 14 MB (and Pillow's,
which it loads).
"""

from __future__ import annotations

import copy
import csv
import datetime
import hashlib
import io
import operator
import pickle
import re
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO, TYPE_CHECKING, Final

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from binhyen import legacy_text
from binhyen.legacy_text import Encoding
from binhyen.spreadsheets import (
    CSV_TYPE,
    DATE_FORMAT,
    ESCAPED_START,
    XLSX_TYPE,
    check_xlsx,
    decode_csv,
    read_limited,
    read_xls,
    table_csv,
    table_xlsx,
    xlsx_legacy_fonts,
)

from .legacy_import import (
    AddressChange,
    ColumnText,
    convert_columns,
    map_old_addresses,
)
from .models import Member, PeopleGroup, ZaloGroup
from .normalize import InvalidPhone, format_phone_local, normalize_phone, search_key
from .services import member_changes_to_confirm, member_check, member_import_save

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from accounts.models import User


# The file format: field -> column header. The headers are Vietnamese whatever the interface
# language, because files travel between people; they are matched without diacritics or case.
COLUMNS: Final[dict[str, str]] = {
    "group": "Mã nhóm",
    "full_name": "Họ và tên",
    "phone": "Số điện thoại",
    "zalo_name": "Tên Zalo",
    "role": "Vai trò",
    "household": "Hộ gia đình / địa chỉ",
    "people_group": "Tổ nhân dân",
    "joined_on": "Ngày tham gia",
    "left_on": "Ngày rời nhóm",
    "consent_on": "Ngày đồng ý",
    "notes": "Ghi chú",
}
REQUIRED_COLUMNS: Final = ("full_name", "phone")
DATE_FIELDS: Final = ("joined_on", "left_on", "consent_on")
TEXT_FIELDS: Final = ("full_name", "zalo_name", "household", "notes")
# The columns written in words, which a legacy Vietnamese font may have typed (not codes,
# phones or dates): groups.legacy_import reads their encoding.
WORDS_FIELDS: Final = (*TEXT_FIELDS, "role", "people_group")
# Other headers seen on rosters typed by hand (search_key form).
_ALIASES: Final = {
    "ho ten": "full_name",
    "sdt": "phone",
    "so dt": "phone",
    "dien thoai": "phone",
    "ho gia dinh": "household",
    "dia chi": "household",
    "to": "people_group",
}
_HEADER_FIELDS: Final = {search_key(h): f for f, h in COLUMNS.items()} | _ALIASES

# Role names in files, Vietnamese like the headers. The value codes and the interface's labels
# (in either language) are accepted too.
ROLE_LABELS: Final[dict[str, str]] = {
    Member.Role.HOUSEHOLD: "Đại diện hộ gia đình",
    Member.Role.HAMLET_HEAD: "Trưởng ấp",
    Member.Role.SECURITY_TEAM: "Thành viên tổ an ninh",
    Member.Role.POLICE: "Công an",
    Member.Role.CADRE: "Cán bộ Đảng, đoàn thể",
    Member.Role.OTHER: "Khác",
}

MAX_ROWS: Final = 50_000
MAX_SHEET_ROWS: Final = 2 * MAX_ROWS  # rows read, empty ones included
_DATE_TEXT: Final = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_ISO_DATE: Final = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?")


# A blank cell keeps the stored value; a cell holding this mark (in any case, with or without
# its diacritic) removes it. Written in Vietnamese whatever the interface language, like the
# headers. A text that is the mark itself is exported with a leading apostrophe (_literal).
CLEAR_MARK: Final = "XÓA"
_CLEAR_KEY: Final = search_key(CLEAR_MARK)


class _Clear:
    """What a cell holding CLEAR_MARK reads as: remove the stored value."""

    def __repr__(self) -> str:
        return "CLEAR"

    def __str__(self) -> str:
        return CLEAR_MARK


CLEAR: Final = _Clear()
# Columns a row must fill (or, for the role, may leave blank to keep it): never cleared.
_NOT_CLEARABLE: Final = ("group", "full_name", "phone", "role")


def is_clear_mark(text: str) -> bool:
    return len(text) == len(CLEAR_MARK) and search_key(text) == _CLEAR_KEY


class RowStatus(models.TextChoices):
    NEW = "new", gettext_lazy("New")
    UPDATED = "updated", gettext_lazy("Updated")
    UNCHANGED = "unchanged", gettext_lazy("Unchanged")
    AWAITING = "choice", gettext_lazy("Awaiting a choice")
    ERROR = "error", gettext_lazy("Error")


@dataclass
class RowResult:
    """What importing one row does, or why it cannot."""

    row: int
    status: RowStatus = RowStatus.NEW
    reasons: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # field labels, for "updated"
    # What an update removes or alters that needs the importer's confirmation:
    removed: list[tuple[str, str]] = field(default_factory=list)  # (field label, stored value)
    altered: list[tuple[str, str, str]] = field(default_factory=list)  # (label, before, after)
    group_code: str = ""
    full_name: str = ""
    phone: str = ""
    address: AddressChange | None = None  # an address of before the merger, rewritten or not yet

    @property
    def reason(self) -> str:
        return " ".join(self.reasons)

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.removed or self.altered)


@dataclass
class ImportReport:
    rows: list[RowResult]
    saved: bool = False
    # Saving was asked for, but the rows remove values or change consent dates and the
    # importer did not confirm that: nothing was saved.
    unconfirmed: bool = False
    # A preview whose rows can be saved: what it checked, to be saved on confirmation without
    # reading and checking the file again (member_import_checked).
    checked: CheckedImport | None = None

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(RowStatus.values, 0)
        for result in self.rows:
            counts[result.status] += 1
        return counts

    @property
    def error_count(self) -> int:
        return self.counts[RowStatus.ERROR]

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    @property
    def awaiting_count(self) -> int:
        """Rows whose old commune was split: the importer chooses the new one (never guessed)."""
        return self.counts[RowStatus.AWAITING]

    @property
    def removal_count(self) -> int:
        return sum(len(result.removed) for result in self.rows)

    @property
    def altered_count(self) -> int:
        """Values changed that need confirmation although not removed (consent dates)."""
        return sum(len(result.altered) for result in self.rows)

    @property
    def needs_confirmation(self) -> bool:
        return any(result.needs_confirmation for result in self.rows)

    def errors_first(self) -> list[RowResult]:
        """Rows in error, then those awaiting a choice, then those needing confirmation, then
        the others."""
        return sorted(
            self.rows,
            key=lambda r: (
                r.status != RowStatus.ERROR,
                r.status != RowStatus.AWAITING,
                not r.needs_confirmation,
                r.row,
            ),
        )


@dataclass
class CheckedImport:
    """A preview's checked rows, kept by the admin (groups/admin_import.py) until the importer
    confirms them, so that the confirmation does not read and check the whole file again.

    `register` is a digest of what the check read of the register (the groups, their hamlets'
    people's groups and their members, every field): the rows are saved as checked only while
    it is unchanged (member_import_checked). Plain values only (`dumps`), no model instances:
    pickling 10,000 members took longer than checking them again."""

    actor: int | None
    source: str
    register: str
    group_codes: list[str]
    default_group: int | None
    counts: dict[str, int]
    needs_confirmation: bool
    # (pk of the stored member the row changes, or None for a new one; every concrete field's
    # value to save, in Member._meta.concrete_fields order)
    plan: list[tuple[int | None, tuple]]

    def dumps(self) -> bytes:
        # pickle, for the dates; loaded only by the admin, from a file it wrote itself whose
        # digest the importer's session holds (admin_import._load_checked)
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def loads(data: bytes) -> CheckedImport:
        return pickle.loads(data)  # noqa: S301 (see dumps)


# --- Reading files ------------------------------------------------------------------------


@dataclass
class ReadFile:
    """A roster file read into rows, and what reading it changed.

    `rows`: one dict per non-empty row: {"row": spreadsheet row number (the header is row 1),
    field: cell value, ...}, with only the columns the file has. `columns`: the text columns,
    with the legacy encoding found (or chosen) and the cells converted. `addresses`: the rows
    whose address of before the 2025 merger was rewritten, or waits for a choice."""

    rows: list[dict[str, object]]
    kind: str  # "xlsx", "xls" or "csv"
    csv_encoding: str = ""  # binhyen.spreadsheets.decode_csv's name for what it read
    columns: list[ColumnText] = field(default_factory=list)
    addresses: dict[int, AddressChange] = field(default_factory=dict)

    @property
    def converted_columns(self) -> list[ColumnText]:
        return [column for column in self.columns if column.encoding != "unicode"]

    @property
    def converted_cells(self) -> int:
        return sum(column.converted for column in self.columns)


def read_file(
    file: IO[bytes],
    filename: str,
    *,
    encodings: Mapping[str, Encoding] | None = None,
    old_addresses: bool = False,
    address_choices: Mapping[int, str] | None = None,
) -> ReadFile:
    """Read an .xlsx, .xls or .csv file (groups.legacy_import converts legacy text, and, with
    `old_addresses`, the addresses of before the merger; `encodings` and `address_choices` are
    the importer's choices, see there).

    Raises ValidationError (Vietnamese message) for another kind of file, an unreadable,
    oversized or unsafe file (binhyen.spreadsheets, checked before parsing), a missing required
    column, more than MAX_ROWS rows, or reading that takes longer than IMPORT_MAX_SECONDS."""
    suffix = PurePath(filename).suffix.lower()
    csv_encoding, fonts = "", {}
    if suffix == ".xlsx":
        data = read_limited(file)
        check_xlsx(data)
        table: Iterator[Sequence[object]] = _xlsx_table(data)
        fonts = xlsx_legacy_fonts(data)
    elif suffix == ".xls":
        sheet = read_xls(read_limited(file))
        table, fonts = iter(sheet.rows), dict(enumerate(sheet.column_fonts))
    elif suffix == ".csv":
        text, csv_encoding = decode_csv(read_limited(file))
        table = _csv_table(text)
    else:
        raise ValidationError(
            _("Choose an Excel (.xlsx or .xls) or CSV (.csv) file; “%(name)s” is none of these.")
            % {"name": PurePath(filename).name}
        )
    rows, columns = _rows_from_table(table)
    headers = {name: header for _i, (name, header) in columns.items() if name in WORDS_FIELDS}
    read = ReadFile(rows, suffix[1:], csv_encoding)
    read.columns = convert_columns(
        rows,
        headers,
        {name: fonts.get(index, ()) for index, (name, _header) in columns.items()},
        encodings or {},
    )
    if old_addresses:
        read.addresses = map_old_addresses(rows, address_choices or {})
    return read


def read_rows(file: IO[bytes], filename: str) -> list[dict[str, object]]:
    """`read_file`'s rows, with what it detects and nothing chosen."""
    return read_file(file, filename).rows


def _xlsx_table(data: bytes) -> Iterator[Sequence[object]]:
    # python-calamine (Rust's calamine, as pandas uses) reads a sheet about 15 times faster than
    # openpyxl, which still writes our workbooks. Dates come as dates, empty cells as "", and a
    # formula as the value Excel saved with it. It raises several kinds for a damaged file, and
    # rows are parsed while they are iterated: both are inside the `try`.
    from python_calamine import CalamineWorkbook  # here, not at the top: see the docstring

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        try:
            yield from book.get_sheet_by_index(0).iter_rows()
        finally:
            book.close()
    except Exception as exc:
        raise ValidationError(_("The file cannot be read as an Excel workbook.")) from exc


def _csv_table(text: str) -> Iterator[Sequence[object]]:
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


# A column: its index in the file -> (field, the file's header).
_Columns = dict[int, tuple[str, str]]


def _rows_from_table(table: Iterator[Sequence[object]]) -> tuple[list[dict[str, object]], _Columns]:
    try:
        return _rows_in_time(table, deadline=time.monotonic() + settings.IMPORT_MAX_SECONDS)
    except csv.Error as exc:  # a NUL byte, an overlong field, ...
        raise ValidationError(
            _("The file cannot be read as CSV (a cell is too long, or the file is damaged).")
        ) from exc


def _rows_in_time(
    table: Iterator[Sequence[object]], deadline: float
) -> tuple[list[dict[str, object]], _Columns]:
    table = iter(table)
    header = next(table, None)
    if header is None:
        raise ValidationError(_("The file is empty."))
    columns = _columns(header)
    found = {name for name, _header in columns.values()}
    missing = [COLUMNS[f] for f in REQUIRED_COLUMNS if f not in found]
    if missing:
        raise ValidationError(
            _("The file has no column %(columns)s (the first row must hold the column names).")
            % {"columns": ", ".join(f"“{name}”" for name in missing)}
        )
    rows: list[dict[str, object]] = []
    for number, values in enumerate(table, start=2):
        # Empty rows count too, and the clock: a file must not keep a worker busy.
        if number > MAX_SHEET_ROWS:
            raise _too_many_rows()
        if number % 1000 == 0 and time.monotonic() > deadline:
            raise ValidationError(_("Reading the file took too long; split it into smaller files."))
        row = {f: _cell(values[i]) if i < len(values) else "" for i, (f, _h) in columns.items()}
        if all(value in ("", None) for value in row.values()):
            continue
        if len(rows) == MAX_ROWS:
            raise _too_many_rows()
        rows.append({"row": number, **row})
    return rows, columns


def _too_many_rows() -> ValidationError:
    return ValidationError(_("At most %(max)d rows can be imported at once.") % {"max": MAX_ROWS})


def _columns(header: Sequence[object]) -> _Columns:
    columns: _Columns = {}
    for index, name in enumerate(header):
        found = _header_field(str(name or ""))
        if found is None:
            continue  # other columns are the user's own notes
        if found in {field for field, _header in columns.values()}:
            raise ValidationError(
                _("The column “%(column)s” appears twice.") % {"column": COLUMNS[found]}
            )
        columns[index] = (found, str(name))
    return columns


def _header_field(name: str) -> str | None:
    """The field a header names, typed in Unicode or in a legacy font ("Hä vµ tªn")."""
    found = _HEADER_FIELDS.get(search_key(name))
    for encoding in legacy_text.LEGACY:
        if found is not None:
            break
        found = _HEADER_FIELDS.get(search_key(legacy_text.convert(name, encoding)))
    return found


def _cell(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # a number typed in Excel: 5.0 is 5
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value).strip()
        if len(value) == len(CLEAR_MARK) and is_clear_mark(value):
            return CLEAR
        if value[:1] != "'":
            return value  # most cells: what follows is for a leading apostrophe
        if value[1:2] in ESCAPED_START:
            value = value[1:]
        if value[:1] == "'" and is_clear_mark(value[1:].lstrip("'")):
            value = value[1:]  # the mark as text (_literal)
    return "" if value is None else value


# --- Importing ----------------------------------------------------------------------------


@dataclass
class _Row:
    """A row parsed into model values; `values` holds only the columns the file has."""

    result: RowResult
    group: ZaloGroup | None = None
    values: dict[str, object] = field(default_factory=dict)

    @property
    def key(self) -> tuple[int, str, object] | None:
        """(group, phone, leaving date): what may appear only once in a file."""
        if self.group is None or "phone" not in self.values:
            return None
        return (self.group.pk, str(self.values["phone"]), self.values.get("left_on"))


@dataclass
class _Context:
    groups: dict[str, ZaloGroup]
    default_group: ZaloGroup | None
    people_groups: dict[tuple[int, str], PeopleGroup]
    roles: dict[str, str]
    people_group_names: dict[int, str] = field(default_factory=dict)
    active: dict[tuple[int, str], Member] = field(default_factory=dict)
    left: dict[tuple[int, str, datetime.date], Member] = field(default_factory=dict)
    claimed: set[int] = field(default_factory=set)
    active_in_file: set[tuple[int, str]] = field(default_factory=set)
    search_keys: dict[str, str] = field(default_factory=dict)
    # a new member's values, the fields' defaults (none is mutable), in field order
    new_member: tuple = field(
        default_factory=lambda: tuple(f.get_default() for f in Member._meta.concrete_fields)
    )

    def key(self, text: str) -> str:
        """search_key(text), once per distinct text: roles and people's groups repeat."""
        found = self.search_keys.get(text)
        if found is None:
            found = self.search_keys[text] = search_key(text)
        return found


def member_import(
    *,
    actor: User | None,
    rows: Sequence[Mapping[str, object]],
    default_group: ZaloGroup | None = None,
    commit: bool,
    confirmed: bool = False,
    source: str = "",
    addresses: Mapping[int, AddressChange] | None = None,
) -> ImportReport:
    """Check rows from `read_rows` against the register and, if `commit` and no row is in error,
    save them all in one transaction (nothing at all otherwise).

    Each row is "new", "updated" (an existing member with the same group and phone, and a field
    differs), "unchanged" or "error" with its reasons. A row with a leaving date first matches
    the member who left that day, so that importing an export again changes nothing. Groups are
    looked up among those of the actor's hamlets only: another hamlet's group is "unknown",
    exactly like a code that does not exist. `default_group` serves rows without a group code.
    `actor` None is the command line run by someone with access to the server: every group,
    audited without a user. `source` (e.g. the file name) is recorded on the audit entries.

    A blank cell keeps the stored value; CLEAR_MARK removes it. A row that removes a stored
    value or changes a consent date lists it (RowResult.removed, .consent_change), and the
    import is saved only if the importer `confirmed` them (else report.unconfirmed).

    `addresses`: read_file's addresses of before the merger, by row. A row whose old commune was
    split waits for the importer's choice ("choice"), and nothing is saved while one waits.
    """
    groups = _groups_allowed(actor, default_group)
    codes = {str(row.get("group") or "").strip().lower() for row in rows} - {""}
    context = _context(groups, codes, default_group)
    # before the rows are matched: planning changes the members it loaded
    register = _register_digest(context) if not commit else ""
    parsed = [_parse(raw, index + 2, context) for index, raw in enumerate(rows)]
    context.active_in_file = {
        key[:2] for row in parsed if (key := row.key) is not None and key[2] is None
    }
    seen: dict[tuple, int] = {}
    plan: list[tuple[Member | None, Member]] = []  # (state before or None, state to save)
    for row in parsed:
        row.result.address = (addresses or {}).get(row.result.row)
        change = _plan_row(row, context, seen)
        if change is not None:
            plan.append(change)
    report = ImportReport(rows=[row.result for row in parsed])
    if not commit and not report.has_errors and not report.awaiting_count:
        report.checked = _checked(actor, register, context, codes, plan, report, source)
    if commit and not report.has_errors and not report.awaiting_count:
        if report.needs_confirmation and not confirmed:
            report.unconfirmed = True
            return report
        member_import_save(actor=actor, plan=plan, source=source, confirmed=confirmed)
        report.saved = True
    return report


def member_import_checked(
    *,
    actor: User | None,
    checked: CheckedImport,
    default_group: ZaloGroup | None = None,
    confirmed: bool = False,
) -> bool:
    """Save a preview's checked rows (ImportReport.checked) for the same actor and default
    group, without reading and checking the file again, if the register is still what the
    check read: then return True. Return False, saving nothing, when it changed meanwhile (a
    member, a group or a people's group involved), or the actor or default group is another:
    the caller checks the file again, so that nothing stored since the preview is overwritten
    unseen.

    The rest is member_import's: the permissions and scope are checked again, and the service
    (member_import_save) checks the groups again, locked, and the confirmation."""
    groups = _groups_allowed(actor, default_group)
    checked_for = (actor.pk if actor else None, default_group.pk if default_group else None)
    if checked_for != (checked.actor, checked.default_group):
        return False  # e.g. the default group is out of scope now
    context = _context(groups, set(checked.group_codes), default_group)
    if _register_digest(context) != checked.register:
        return False
    stored = {m.pk: m for m in [*context.active.values(), *context.left.values()]}
    plan = [
        (stored[pk] if pk is not None else None, _member_from(values, stored.get(pk)))
        for pk, values in checked.plan
    ]
    member_import_save(actor=actor, plan=plan, source=checked.source, confirmed=confirmed)
    return True


def _groups_allowed(
    actor: User | None, default_group: ZaloGroup | None
) -> models.QuerySet[ZaloGroup]:
    """The groups an import by `actor` may write to; PermissionDenied if none."""
    if actor is not None and not actor.has_perms(["groups.add_member", "groups.change_member"]):
        raise PermissionDenied
    groups = _groups_in_scope(actor)
    if default_group is not None and not groups.filter(pk=default_group.pk).exists():
        raise PermissionDenied
    return groups


def _groups_in_scope(actor: User | None) -> models.QuerySet[ZaloGroup]:
    return ZaloGroup.objects.all() if actor is None else ZaloGroup.objects.visible_to(actor)


def _checked(
    actor: User | None,
    register: str,
    context: _Context,
    codes: set[str],
    plan: list[tuple[Member | None, Member]],
    report: ImportReport,
    source: str,
) -> CheckedImport:
    values = operator.attrgetter(*(f.attname for f in Member._meta.concrete_fields))
    return CheckedImport(
        actor=actor.pk if actor else None,
        source=source,
        register=register,
        group_codes=sorted(codes),
        default_group=context.default_group.pk if context.default_group else None,
        counts=report.counts,
        needs_confirmation=report.needs_confirmation,
        plan=[(before.pk if before else None, values(after)) for before, after in plan],
    )


def _register_digest(context: _Context) -> str:
    """A digest of what an import's check read of the register, every field of every row."""
    digest = hashlib.sha256()
    groups = {g.pk: g for g in [*context.groups.values(), context.default_group] if g}
    for group in sorted(groups.values(), key=lambda g: g.pk):
        digest.update(repr(_values(group)).encode())
    for people_group in sorted(context.people_groups.values(), key=lambda pg: pg.pk):
        digest.update(repr(_values(people_group)).encode())
    members = [*context.active.values(), *context.left.values()]
    for member in sorted(members, key=lambda m: m.pk):
        digest.update(repr(_values(member)).encode())
    return digest.hexdigest()


def _values(instance: models.Model) -> tuple:
    return tuple(getattr(instance, f.attname) for f in instance._meta.concrete_fields)


def _member_from(values: tuple, stored: Member | None) -> Member:
    """The member to save, from CheckedImport.plan's values; stored already when `stored`."""
    member = Member(*values)
    if stored is not None:
        member._state.adding, member._state.db = False, stored._state.db  # documented _state
    return member


def _context(
    groups: models.QuerySet[ZaloGroup],
    codes: set[str],
    default_group: ZaloGroup | None,
) -> _Context:
    found = {
        g.code_key: g for g in groups.annotate(code_key=Lower("code")).filter(code_key__in=codes)
    }
    involved = [*found.values(), *([default_group] if default_group else [])]
    people_groups = {
        (pg.hamlet_id, search_key(pg.name)): pg
        for pg in PeopleGroup.objects.filter(hamlet__in={g.hamlet_id for g in involved})
    }
    context = _Context(found, default_group, people_groups, _role_keys())
    context.people_group_names = {pg.pk: pg.name for pg in people_groups.values()}
    # One query for every member of the groups involved, however long the file.
    for member in Member.objects.filter(group__in=[g.pk for g in involved]):
        if member.left_on is None:
            context.active[member.group_id, member.phone] = member
        else:
            context.left[member.group_id, member.phone, member.left_on] = member
    return context


def _role_keys() -> dict[str, str]:
    keys = {search_key(label): role for role, label in ROLE_LABELS.items()}
    for role in Member.Role:
        keys[search_key(role.value)] = role.value
        keys[search_key(str(role.label))] = role.value
        with translation.override("en"):
            keys[search_key(str(role.label))] = role.value
    return keys


def _parse(raw: Mapping[str, object], number: int, context: _Context) -> _Row:
    """Read one row. Only the cells that say something become values: a blank cell keeps the
    stored value (a new member gets the field's default), CLEAR_MARK gives the empty value."""
    result = RowResult(row=int(str(raw.get("row", number))))
    row = _Row(result=result)
    raw = _refuse_clearing_required(raw, result)
    for name in TEXT_FIELDS:
        if raw.get(name) is CLEAR:
            row.values[name] = ""
        elif text := _text(raw.get(name)):
            row.values[name] = text
    result.full_name = str(row.values.get("full_name", ""))
    if not result.full_name:
        result.reasons.append(_("The full name is missing."))
    _parse_phone(raw, row)
    _parse_group(raw, row, context)
    _parse_role(raw, row, context)
    _parse_people_group(raw, row, context)
    for name in DATE_FIELDS:
        if raw.get(name) is CLEAR:
            row.values[name] = None
        elif _filled(raw.get(name)):
            row.values[name] = _parse_date(raw[name], COLUMNS[name], result)
    return row


def _refuse_clearing_required(raw: Mapping[str, object], result: RowResult) -> dict:
    """The row with the mark taken out of the columns it cannot clear, each named in an error."""
    raw = dict(raw)
    for name in _NOT_CLEARABLE:
        if raw.get(name) is CLEAR:
            result.reasons.append(
                _("The column “%(column)s” cannot be cleared with “%(mark)s”.")
                % {"column": COLUMNS[name], "mark": CLEAR_MARK}
            )
            raw[name] = ""
    return raw


def _filled(value: object) -> bool:
    """Whether _text(value) is not empty, without writing a date as text."""
    if isinstance(value, datetime.date):
        return True
    return bool(value.strip()) if isinstance(value, str) else bool(_text(value))


def _text(value: object) -> str:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime(DATE_FORMAT)
    return "" if value is None else str(value).strip()


def _parse_phone(raw: Mapping[str, object], row: _Row) -> None:
    typed = _text(raw.get("phone"))
    row.result.phone = typed
    try:
        row.values["phone"] = normalize_phone(typed)
    except InvalidPhone as exc:
        row.result.reasons.append(str(exc))
    else:
        row.result.phone = format_phone_local(str(row.values["phone"]))


def _parse_group(raw: Mapping[str, object], row: _Row, context: _Context) -> None:
    code = _text(raw.get("group"))
    if code:
        row.group = context.groups.get(code.lower())
        row.result.group_code = code
        if row.group is None:  # also for another hamlet's group: "no access" is "not found"
            row.result.reasons.append(_("Unknown group “%(code)s”.") % {"code": code})
    elif context.default_group is not None:
        row.group = context.default_group
        row.result.group_code = context.default_group.code
    else:
        row.result.reasons.append(_("The group code is missing."))


def _parse_role(raw: Mapping[str, object], row: _Row, context: _Context) -> None:
    typed = _text(raw.get("role"))
    if not typed:
        return  # a new member is a household representative; an existing one keeps the role
    role = context.roles.get(context.key(typed))
    if role is None:
        row.result.reasons.append(_("Unknown role “%(role)s”.") % {"role": typed})
    else:
        row.values["role"] = role


def _parse_people_group(raw: Mapping[str, object], row: _Row, context: _Context) -> None:
    if raw.get("people_group") is CLEAR:
        row.values["people_group"] = None
        return
    typed = _text(raw.get("people_group"))
    if typed and row.group is not None:
        found = context.people_groups.get((row.group.hamlet_id, context.key(typed)))
        row.values["people_group"] = found
        if found is None:
            row.result.reasons.append(
                _("Unknown people's group “%(name)s” in the group's hamlet.") % {"name": typed}
            )


def _parse_date(value: object, column: str, result: RowResult) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    if not text:
        return None
    try:
        if match := _DATE_TEXT.fullmatch(text):
            return datetime.date(int(match[3]), int(match[2]), int(match[1]))
        if match := _ISO_DATE.fullmatch(text):
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    result.reasons.append(
        _("“%(value)s” in the column “%(column)s” is not a date: write dd/mm/yyyy.")
        % {"value": text, "column": column}
    )
    return None


# Fields clean_fields() need not check: the group and people's group were looked up in scope
# (its check would cost a query per row), the phone was normalised, the keys are derived.
_CHECKED_ALREADY: Final = ("group", "people_group", "phone", "name_key", "household_key")


def _plan_row(
    row: _Row, context: _Context, seen: dict[tuple, int]
) -> tuple[Member | None, Member] | None:
    """Decide the row's status; return (before, after) for a row that changes something."""
    result, key = row.result, row.key
    if key is not None:
        if key in seen:
            result.reasons.append(
                _("Same group and phone number as row %(row)d.") % {"row": seen[key]}
            )
        else:
            seen[key] = result.row
    if result.reasons or row.group is None:
        result.status = RowStatus.ERROR
        return None
    member = _match(row, context)
    before = copy.copy(member) if member is not None else None
    if member is None:
        member = Member(*context.new_member)  # positional: half the time of keywords
        member.group = row.group
    changed = _apply(member, row.values)
    if member.joined_on and member.left_on and member.left_on < member.joined_on:
        # with the stored date when the row leaves one of them blank
        result.reasons.append(_("The leaving date is before the joining date."))
    try:
        member.clean_fields(exclude=_CHECKED_ALREADY)
        member_check(member, row.group)  # the rules of every door, from the service
    except ValidationError as exc:
        result.reasons.extend(_field_errors(exc))
    if result.reasons:
        result.status = RowStatus.ERROR
        return None
    if result.address is not None and result.address.needs_choice:
        result.status = RowStatus.AWAITING
        return None
    if before is None:
        result.status = RowStatus.NEW
    elif changed:
        result.status = RowStatus.UPDATED
        result.changed = [_label(name) for name in changed]
        _note_confirmations(result, before, member, context)
    else:
        result.status = RowStatus.UNCHANGED
        return None
    return before, member


def _label(name: str) -> str:
    return str(Member._meta.get_field(name).verbose_name)


def _note_confirmations(
    result: RowResult, before: Member, after: Member, context: _Context
) -> None:
    """List on the row what it removes and which consent date it sets or changes (the
    service's member_changes_to_confirm decides which), for the preview and its confirmation."""
    for name in member_changes_to_confirm(before, after):
        old, new = _shown(before, name, context), _shown(after, name, context)
        if new:
            result.altered.append((_label(name), old, new))
        else:
            result.removed.append((_label(name), old))


def _shown(member: Member, name: str, context: _Context) -> str:
    """A field's value as the file writes it; no query (the people's groups are in context)."""
    if name == "people_group":
        return context.people_group_names.get(member.people_group_id or 0, "")
    value = getattr(member, name)
    if isinstance(value, datetime.date):
        return value.strftime(DATE_FORMAT)
    if name == "role":
        return ROLE_LABELS.get(value, value)
    return "" if value is None else str(value)


def _match(row: _Row, context: _Context) -> Member | None:
    group_id, phone, left_on = row.key or (0, "", None)
    member = None
    if left_on is not None:
        member = context.left.get((group_id, phone, left_on))
    # A leaving date for someone still active marks them as left, unless the file also lists
    # them as active (then the row is an earlier membership, kept as history).
    if member is None and (left_on is None or (group_id, phone) not in context.active_in_file):
        member = context.active.get((group_id, phone))
    if member is None or member.pk in context.claimed:
        return None
    context.claimed.add(member.pk)
    return member


def _apply(member: Member, values: Mapping[str, object]) -> list[str]:
    """Set the row's values on the member; return the names of the fields that changed."""
    changed = []
    for name, value in values.items():
        if name == "people_group":  # compared by id: no query per row
            same = member.people_group_id == (value.pk if isinstance(value, PeopleGroup) else None)
        else:
            same = getattr(member, name) == value
        if not same:
            setattr(member, name, value)
            changed.append(name)
    return changed


def _field_errors(exc: ValidationError) -> list[str]:
    return [
        f"{Member._meta.get_field(name).verbose_name}: {message}"
        for name, messages in exc.message_dict.items()
        for message in messages
    ]


# --- Template and export ------------------------------------------------------------------


def template_workbook() -> bytes:
    """An empty roster to fill in: the header row, one example row (an invented person) and a
    sheet of instructions."""
    import openpyxl
    from openpyxl.worksheet.datavalidation import DataValidation

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Thành viên"
    sheet.append(list(COLUMNS.values()))
    sheet.append(_example_row())
    _style_sheet(sheet)
    for letter in (_letter("phone"), _letter("group")):
        sheet.column_dimensions[letter].number_format = "@"  # keeps the phone's leading 0
    for name in DATE_FIELDS:
        sheet.column_dimensions[_letter(name)].number_format = "DD/MM/YYYY"
        sheet[f"{_letter(name)}2"].number_format = "DD/MM/YYYY"  # the example's own cells
    role_cells = _instructions(book.create_sheet("Hướng dẫn"))
    roles = DataValidation(type="list", formula1=f"='Hướng dẫn'!{role_cells}", allow_blank=True)
    roles.add(f"{_letter('role')}2:{_letter('role')}{MAX_ROWS + 1}")
    sheet.add_data_validation(roles)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _example_row() -> list[object]:
    return [
        "ma-nhom",
        "Nguyễn Văn Mẫu",
        "0912 000 000",
        "Mẫu Nguyễn",
        ROLE_LABELS[Member.Role.HOUSEHOLD],
        "Số 1, đường Mẫu",
        "",
        datetime.date(2025, 9, 15),
        None,
        datetime.date(2025, 9, 15),
        _("Example row: replace it with real members."),
    ]


def _instructions(sheet: Worksheet) -> str:
    """Fill the instructions sheet; return the range of its list of roles."""
    required = {
        "group": _("Yes, unless a group is chosen when importing"),
        "full_name": _("Yes"),
        "phone": _("Yes"),
    }
    explained = {
        "group": _("The group's code, as shown in the register."),
        "phone": _("Mobile number, e.g. 0912 345 678."),
        "role": _("One of the roles listed below; empty means household representative."),
        "people_group": _("Name of a people's group of the group's hamlet."),
        "joined_on": _("Date as dd/mm/yyyy."),
        "left_on": _("Date as dd/mm/yyyy; empty while the person is in the group."),
        "consent_on": _("Date the person agreed to their data being kept, as dd/mm/yyyy."),
    }
    sheet.append([_("Column"), _("Required"), _("What to write")])
    for name, header in COLUMNS.items():
        sheet.append([header, required.get(name, _("No")), explained.get(name, "")])
    sheet.append([])
    sheet.append([_("A phone number already in the group updates that member.")])
    sheet.append(
        [
            _(
                "A blank cell keeps the stored value. To remove a stored value, write "
                "%(mark)s in its cell (not in the group code, full name, phone or role)."
            )
            % {"mark": CLEAR_MARK}
        ]
    )
    sheet.append(
        [
            _(
                "The preview lists every value to be removed and every consent date to be "
                "set or changed; nothing is saved until you confirm them."
            )
        ]
    )
    sheet.append([])
    sheet.append([_("Roles")])
    first = sheet.max_row + 1
    for label in ROLE_LABELS.values():
        sheet.append(["", label])
    _style_sheet(sheet, widths=(24, 36, 70))
    return f"$B${first}:$B${sheet.max_row}"


_WIDTHS: Final = (14, 28, 16, 20, 24, 32, 16, 14, 14, 14, 30)


def _style_sheet(sheet: Worksheet, widths: Sequence[int] = _WIDTHS) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"


def _letter(name: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(list(COLUMNS).index(name) + 1)


def export_members(queryset: models.QuerySet[Member], fmt: str) -> tuple[bytes, str, str]:
    """The members of `queryset`, in its order, as (content, content type, file name).

    `fmt` is "xlsx" or "csv" (UTF-8 with a byte order mark, so that Excel shows Vietnamese).
    The columns are those of the import, so the file can be edited and imported again."""
    rows = _export_rows(queryset)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        return _export_xlsx(rows), XLSX_TYPE, f"thanh-vien-{stamp}.xlsx"
    if fmt == "csv":
        return _export_csv(rows), CSV_TYPE, f"thanh-vien-{stamp}.csv"
    raise ValueError(f"Unknown export format: {fmt!r}")


def _export_rows(queryset: models.QuerySet[Member]) -> Iterator[list[object]]:
    members = queryset.select_related("group", "people_group").iterator(chunk_size=2000)
    for m in members:
        yield [
            _literal(m.group.code),
            _literal(m.full_name),
            format_phone_local(m.phone),
            _literal(m.zalo_name),
            ROLE_LABELS.get(m.role, m.role),
            _literal(m.household),
            _literal(m.people_group.name) if m.people_group else "",
            m.joined_on,
            m.left_on,
            m.consent_on,
            _literal(m.notes),
        ]


def _literal(text: str) -> str:
    """Text that an import would read as CLEAR_MARK gets a leading apostrophe: a note that
    says "Xóa" is exported as that text, and importing the export again clears nothing."""
    return "'" + text if is_clear_mark(text.lstrip("'")) else text


def _export_xlsx(rows: Iterable[list[object]]) -> bytes:
    return table_xlsx(COLUMNS.values(), rows, title="Thành viên", widths=_WIDTHS)


def _export_csv(rows: Iterable[list[object]]) -> bytes:
    return table_csv(COLUMNS.values(), rows)
