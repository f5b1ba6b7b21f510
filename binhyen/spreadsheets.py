"""Uploaded spreadsheets checked before any parser reads them.

An .xlsx file is a zip of XML parts. A small upload can hold a part that inflates to gigabytes (a
zip bomb), a huge comment that the XML parser handles in quadratic time, or a DTD whose entities
expand without end ("billion laughs") or read files of the server (external entities). None of
these is written by a spreadsheet program, so `check_xlsx` refuses them from the archive's
directory and a linear scan of each part, before openpyxl parses anything. openpyxl itself parses
through defusedxml (installed, so openpyxl uses it), a second line behind this one.

`read_limited` bounds what is read of any upload. A new kind of file gets its own `check_...`.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import IO, Final

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

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
