"""Uploaded spreadsheets checked before any parser reads them.

An .xlsx file is a zip of XML parts. A small upload can hold a part that inflates to gigabytes (a
zip bomb), a huge comment that the XML parser handles in quadratic time, or a DTD whose entities
expand without end ("billion laughs") or read files of the server (external entities). None of
these is written by a spreadsheet program, so `check_xlsx` refuses them from the archive's
directory and a linear scan of each part, before openpyxl parses anything. openpyxl itself parses
through defusedxml (installed, so openpyxl uses it), a second line behind this one.

An .xls file (Excel 97–2003) is an OLE2 compound document of binary records, read by xlrd, which
parses no XML. `check_xls` refuses anything that is not OLE2 before xlrd sees it; `read_xls`
opens it with ragged rows, so a record far to the right or below does not make xlrd pad every
row: what xlrd holds stays in proportion to the cells the file has (at most 65,536 rows of 256
columns, the format's own limit). It also returns the font name of each text cell: rosters typed
in the legacy Vietnamese fonts (.VnTime, VNI-Times) are found by their font
(binhyen.legacy_text).

`decode_csv` reads a CSV file's bytes as text, choosing the encoding itself: UTF-8 (with or without
a byte order mark), UTF-16 (with one), else 8-bit, as Windows-1258 or, when the bytes read as a
legacy Vietnamese font, as Windows-1252, the same characters a workbook gives for such text.

`read_limited` bounds what is read of any upload. A new kind of file gets its own `check_...`.

`table_xlsx` and `table_csv` write every export of the portal (members, reports, the audit log):
dates as dates, and text a spreadsheet would run as a formula kept as text.

openpyxl and xlrd are imported inside the functions that use them: every web worker loads this
module, and most never read or write a spreadsheet (openpyxl alone is 14 MB).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime
import io
import os
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Final

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from . import legacy_text

if TYPE_CHECKING:
    import xlrd
    from openpyxl.cell import WriteOnlyCell

MAX_FILE_BYTES: Final = 20 * 1024 * 1024  # what any door reads of a file (the admin's is lower)
MAX_PARTS: Final = 1_000
MAX_PART_BYTES: Final = 64 * 1024 * 1024  # uncompressed; 50,000 rows of a roster are ~25 MB
MAX_TOTAL_BYTES: Final = 128 * 1024 * 1024
# Spreadsheet XML compresses about 10:1, a repetitive sheet up to ~50:1; whitespace 1000:1.
MAX_RATIO: Final = 200
RATIO_FROM_BYTES: Final = 1024 * 1024  # small parts may compress at any ratio
_CHUNK: Final = 64 * 1024
# Markup no spreadsheet program writes in a workbook, in the encodings XML allows.
_MARKERS: Final = (b"<!DOCTYPE", b"<!ENTITY", b"<!--")
_FORBIDDEN: Final = tuple(
    marker.decode().encode(encoding)
    for marker in _MARKERS
    for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)
_OVERLAP: Final = max(len(marker) for marker in _FORBIDDEN) - 1


def read_limited(file: IO[bytes], limit: int | None = None) -> bytes:
    """The file's bytes; ValidationError if it is larger than `limit` (MAX_FILE_BYTES)."""
    limit = MAX_FILE_BYTES if limit is None else limit
    data = file.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            _("The file is larger than %(size)d MB.") % {"size": -(-limit // (1024 * 1024))}
        )
    return data


def check_xlsx(data: bytes) -> None:
    """Raise ValidationError (Vietnamese) unless `data` is a zip whose parts are each of a
    plausible size and ratio, and hold no DTD, entity or comment."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _unreadable()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            _check_sizes(parts)
            for part in parts:
                _scan_part(archive, part)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as exc:
        # A truncated or damaged archive, an encrypted part, an unknown compression.
        raise _unreadable() from exc


def _unreadable() -> ValidationError:
    return ValidationError(_("The file cannot be read as an Excel workbook."), code="unreadable")


def _too_large() -> ValidationError:
    return ValidationError(
        _(
            "The workbook unpacks to an abnormal amount of data and is refused. Check the file, "
            "or split it into smaller files."
        ),
        code="too_large",
    )


def _check_sizes(parts: list[zipfile.ZipInfo]) -> None:
    """The sizes the archive declares; `_scan_part` makes sure no part is larger than declared."""
    if len(parts) > MAX_PARTS or sum(part.file_size for part in parts) > MAX_TOTAL_BYTES:
        raise _too_large()
    for part in parts:
        if part.file_size > MAX_PART_BYTES:
            raise _too_large()
        if part.file_size > RATIO_FROM_BYTES and part.file_size > MAX_RATIO * max(
            part.compress_size, 1
        ):
            raise _too_large()


def _scan_part(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> None:
    """Read the part in chunks (linear time, bounded memory) looking for forbidden markup."""
    if part.is_dir():
        return
    size, tail = 0, b""
    with archive.open(part) as stream:  # checks the CRC, and stops at the declared size
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > MAX_PART_BYTES:
                raise _too_large()
            window = tail + chunk
            if any(marker in window for marker in _FORBIDDEN):
                raise ValidationError(
                    _(
                        "The workbook contains XML declarations (DTD, entities or comments) that "
                        "spreadsheet programs do not write: it is refused. Save it again in Excel "
                        "or LibreOffice."
                    ),
                    code="forbidden_markup",
                )
            tail = window[-_OVERLAP:]


# --- Excel 97–2003 (.xls) -------------------------------------------------------------------

OLE2_SIGNATURE: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class XlsSheet:
    """The first sheet of an .xls workbook. `rows`: one tuple of cell values per row (None for
    an empty cell, str, float, bool, datetime for a date). `cell_fonts`: the same shape, the font
    name of each text cell (None for others). `column_fonts`: per column, the font names of its
    text cells, runs of rich text included."""

    rows: list[tuple[object, ...]]
    cell_fonts: list[tuple[str | None, ...]]
    column_fonts: list[frozenset[str]]


def check_xls(data: bytes) -> None:
    """Raise ValidationError (Vietnamese) unless `data` is an OLE2 document of a plausible size."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(
            _("The file is larger than %(size)d MB.") % {"size": MAX_FILE_BYTES // (1024 * 1024)},
            code="too_large",
        )
    if not data.startswith(OLE2_SIGNATURE):
        raise ValidationError(
            _(
                "The file is not an Excel 97–2003 workbook (.xls). If it was saved by a newer "
                "Excel, choose the .xlsx file."
            ),
            code="not_xls",
        )


def read_xls(data: bytes) -> XlsSheet:
    """The first sheet of the .xls workbook `data`, with the fonts of its text cells.
    ValidationError (Vietnamese) for a file that is not one, damaged or encrypted."""
    import xlrd  # here, not at the top: most web workers never read a spreadsheet

    check_xls(data)
    try:
        with open(os.devnull, "w") as quiet:  # xlrd writes its warnings to a log file
            book = xlrd.open_workbook(
                file_contents=data,
                formatting_info=True,
                on_demand=True,
                ragged_rows=True,
                logfile=quiet,
            )
            try:
                return _xls_sheet(book, book.sheet_by_index(0))
            finally:
                book.release_resources()
    except ValidationError:
        raise
    except Exception as exc:  # xlrd raises many kinds for damaged or encrypted files
        raise _unreadable() from exc


def _xls_sheet(book: xlrd.Book, sheet: xlrd.sheet.Sheet) -> XlsSheet:
    import xlrd

    fonts = [font.name for font in book.font_list]
    rows: list[tuple[object, ...]] = []
    cell_fonts: list[tuple[str | None, ...]] = []
    column_fonts: list[set[str]] = []
    runs = sheet.rich_text_runlist_map
    for rowx in range(sheet.nrows):
        values: list[object] = []
        names: list[str | None] = []
        for colx in range(sheet.row_len(rowx)):
            kind = sheet.cell_type(rowx, colx)
            values.append(_xls_value(book, kind, sheet.cell_value(rowx, colx)))
            name = None
            if kind == xlrd.XL_CELL_TEXT:
                xf = book.xf_list[sheet.cell_xf_index(rowx, colx)]
                name = fonts[xf.font_index]
                used = {name, *(fonts[font] for _offset, font in runs.get((rowx, colx), ()))}
                while len(column_fonts) <= colx:
                    column_fonts.append(set())
                column_fonts[colx] |= used
            names.append(name)
        rows.append(tuple(values))
        cell_fonts.append(tuple(names))
    return XlsSheet(rows, cell_fonts, [frozenset(names) for names in column_fonts])


def _xls_value(book: xlrd.Book, kind: int, value: object) -> object:
    import xlrd

    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(value, book.datemode)
        except (xlrd.xldate.XLDateError, OverflowError, ValueError):
            return value  # a number formatted as a date that is none: the number
    return value


# --- Fonts of an .xlsx ------------------------------------------------------------------------

XLSX_FONT_ROWS: Final = 2_000  # rows read for their fonts: a column is typed in one font


def xlsx_legacy_fonts(data: bytes) -> dict[int, frozenset[str]]:
    """Per column of the first sheet of a checked .xlsx (`check_xlsx`), the font names of its
    text cells, when the workbook uses a legacy Vietnamese font at all ({} otherwise, without
    parsing the sheet: its styles say so). A sheet is read again for this, so only such files
    pay for it."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        try:
            styles = archive.read("xl/styles.xml")
        except KeyError:
            return {}
    names = re.findall(rb'<(?:\w+:)?name val="([^"]*)"', styles)
    if not any(legacy_text.font_encoding(name.decode("utf-8", "replace")) for name in names):
        return {}
    import openpyxl  # here, not at the top: see the module's docstring

    fonts: dict[int, set[str]] = {}
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        try:
            rows = book.worksheets[0].iter_rows(max_row=XLSX_FONT_ROWS)
            for row in rows:
                for index, cell in enumerate(row):
                    if isinstance(cell.value, str) and cell.font is not None and cell.font.name:
                        fonts.setdefault(index, set()).add(cell.font.name)
        finally:
            book.close()
    except Exception:  # the values are read by another parser, which reports a damaged file
        return {}
    return {index: frozenset(names) for index, names in fonts.items()}


# --- CSV ------------------------------------------------------------------------------------

# Windows-1252 leaves five bytes undefined; a legacy font's text never uses them, but a file
# holding one must still read, so they keep their Latin-1 meaning.
_CP1252: Final = {
    byte: codecs.decode(bytes([byte]), "cp1252", errors="ignore") or chr(byte)
    for byte in range(0x80, 0xA0)
}


def decode_csv(data: bytes) -> tuple[str, str]:
    """(text, encoding) of a CSV file's bytes; the encoding is Python's name for the one read:
    "utf-8-sig", "utf-16", "utf-8", "cp1258" (tone marks combined to NFC) or "cp1252" (bytes
    of a legacy Vietnamese font, to be converted per column by binhyen.legacy_text)."""
    if data.startswith(codecs.BOM_UTF8):
        return _decoded(data, "utf-8-sig"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decoded(data, "utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # 8-bit: Excel's plain "CSV" on a Vietnamese Windows writes Windows-1258, tone marks as
    # combining characters; a list typed in a legacy font holds the font's bytes instead.
    vietnamese = unicodedata.normalize("NFC", data.decode("cp1258", errors="replace"))
    western = data.decode("latin-1").translate(_CP1252)
    found = legacy_text.detect(_cells(western))
    if found.encoding in ("tcvn3", "vni") and found.confidence > legacy_text.vietnamese_share(
        _cells(vietnamese)
    ):
        return western, "cp1252"
    return vietnamese, "cp1258"


def _cells(text: str) -> list[str]:
    """The cells of a CSV text, roughly (any usual delimiter): words are told apart by them."""
    return _DELIMITERS.split(text)


_DELIMITERS: Final = re.compile(r"[,;\t\r\n]+")


def _decoded(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ValidationError(
            _("The file is not valid %(encoding)s text; save it again as CSV UTF-8.")
            % {"encoding": "UTF-16" if encoding == "utf-16" else "UTF-8"},
            code="bad_encoding",
        ) from exc


# --- Writing: the tables of every export -----------------------------------------------------

XLSX_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE: Final = "text/csv; charset=utf-8"
DATE_FORMAT: Final = "%d/%m/%Y"
# Spreadsheet programs run a cell starting with these as a formula ("CSV injection"): exports
# write such text with a leading apostrophe, which imports remove again.
FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
# Text that itself begins with that apostrophe gets one more on export, so that an import gives
# back exactly what was exported ("'=1" stays "'=1"; found by groups/tests/test_properties.py).
ESCAPED_START: Final = (*FORMULA_START, "'")


def table_xlsx(
    headers: Iterable[str],
    rows: Iterable[Sequence[object]],
    *,
    title: str,
    widths: Sequence[int] = (),
) -> bytes:
    """A workbook of one sheet: bold headers, frozen first row, dates as dates, and text that
    starts with "=" kept as text (never a formula). Shared by every export of the portal."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_styled(sheet, header, font=bold) for header in headers])
    with _closing(rows):
        for row in rows:
            sheet.append([_xlsx_value(sheet, value) for value in row])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


@contextlib.contextmanager
def _closing(rows: Iterable[object]) -> Iterator[None]:
    """Close a generator of rows when the writer is done with it, finished or stopped by an
    error: an export's rows come from a server-side cursor on PostgreSQL
    (`QuerySet.iterator()`), which must be closed in the request's transaction, not whenever
    the garbage collector gets to it (by then in another transaction, where closing it fails
    and aborts that transaction)."""
    try:
        yield
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


def _styled(sheet: object, value: object, **style: object) -> WriteOnlyCell:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _xlsx_value(sheet: object, value: object) -> object:
    if isinstance(value, Promise):  # a lazy translation (a choice's label): its text, as CSV
        value = str(value)
    if isinstance(value, datetime.date):
        return _styled(sheet, value, number_format="DD/MM/YYYY")
    if isinstance(value, str) and value[:1] == "'" and value[1:2] in ESCAPED_START:
        value = "'" + value
    if isinstance(value, str) and value.startswith("="):
        return _styled(sheet, value, data_type="s")  # text, never a formula
    return value


def table_csv(headers: Iterable[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 CSV with a byte order mark (Excel then shows Vietnamese); a cell that a spreadsheet
    would run as a formula is prefixed with an apostrophe."""
    output = io.StringIO()
    output.write("\ufeff")
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(headers)
    with _closing(rows):
        for row in rows:
            writer.writerow(_csv_value(value) for value in row)
    return output.getvalue().encode("utf-8")


def _csv_value(value: object) -> str:
    if isinstance(value, datetime.date):
        return value.strftime(DATE_FORMAT)
    text = "" if value is None else str(value)
    escape = text.startswith(FORMULA_START) or (text[:1] == "'" and text[1:2] in ESCAPED_START)
    return "'" + text if escape else text
