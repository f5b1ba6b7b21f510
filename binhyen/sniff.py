"""The type of an uploaded file, read from its first bytes: its name and the browser's word
for it can be anything."""

from __future__ import annotations

from typing import IO

# HEIF brands written by phones (iPhone photos are HEIC).
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}

EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "application/pdf": ".pdf",
}


def sniff_bytes(head: bytes) -> str | None:
    """The content type of a file that starts with `head`, if it is one we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def sniff(file: IO[bytes]) -> str | None:
    """Reads the first bytes of `file` and puts its position back to the start."""
    file.seek(0)
    head = file.read(32)
    file.seek(0)
    return sniff_bytes(head)
