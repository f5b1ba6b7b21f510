"""Attachments: type from the content, size and count limits, private storage."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from binhyen.sniff import sniff_bytes
from reports.models import Attachment
from reports.services import attachment_add

pytestmark = pytest.mark.django_db


def _photo(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


JPEG = _photo("JPEG")
PNG = _photo("PNG")
WEBP = _photo("WEBP")
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00" + b"\x00" * 100
PDF = b"%PDF-1.7\n" + b"\x00" * 100
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (WEBP, "image/webp"),
        (HEIC, "image/heic"),
        (PDF, "application/pdf"),
        (EXE, None),
        (b"<html><script>", None),
        (b"", None),
    ],
)
def test_sniff(content: bytes, expected: str | None) -> None:
    assert sniff_bytes(content[:32]) == expected


def test_a_photo_is_stored_privately(head_b, report_b, settings) -> None:
    attachment = attachment_add(actor=head_b, report=report_b, uploaded_file=upload("a.JPG", JPEG))
    assert (attachment.content_type, attachment.size, attachment.original_name) == (
        "image/jpeg",
        Path(attachment.file.path).stat().st_size,
        "a.JPG",
    )
    stored = Path(attachment.file.path)
    private = Path(settings.DATA_DIR) / "private" / "attachments"
    assert stored.is_file() and private.resolve() in stored.parents
    assert sniff_bytes(stored.read_bytes()[:32]) == "image/jpeg"
    assert "a.JPG" not in stored.name  # the user's name is never a path
    assert report_b.events.filter(kind="attachment_added", shared=True).count() == 1
    with pytest.raises(ValueError):
        attachment.file.url  # noqa: B018 - no URL: served only through a checked view


def test_the_type_comes_from_the_content_not_the_name(police, report_a) -> None:
    attachment = attachment_add(
        actor=police, report=report_a, uploaded_file=upload("scan.jpg", PDF, "image/jpeg")
    )
    assert attachment.content_type == "application/pdf"
    assert attachment.file.name.endswith(".pdf")


def test_a_renamed_program_is_refused_with_a_clear_message(police, report_a) -> None:
    with translation.override("vi"), pytest.raises(ValidationError) as error:
        attachment_add(actor=police, report=report_a, uploaded_file=upload("anh.jpg", EXE))
    assert error.value.code == "attachment_type"
    assert "anh.jpg" in error.value.messages[0]
    assert not Attachment.objects.exists()


def test_too_large_is_refused(police, report_a, tmp_path) -> None:
    big = upload("big.jpg", JPEG + b"\x00" * (Attachment.MAX_SIZE - len(JPEG) + 1))
    with pytest.raises(ValidationError) as error:
        attachment_add(actor=police, report=report_a, uploaded_file=big)
    assert error.value.code == "attachment_too_large"
    exactly = upload("ok.jpg", JPEG + b"\x00" * (Attachment.MAX_SIZE - len(JPEG)))
    # Accepted; what is stored is the photo's pixels only, re-encoded (binhyen.images).
    assert attachment_add(actor=police, report=report_a, uploaded_file=exactly).size < len(JPEG) * 2


def test_at_most_five_per_report(police, report_a, settings) -> None:
    for n in range(Attachment.MAX_PER_REPORT):
        attachment_add(actor=police, report=report_a, uploaded_file=upload(f"{n}.png", PNG))
    with pytest.raises(ValidationError) as error:
        attachment_add(actor=police, report=report_a, uploaded_file=upload("6.png", PNG))
    assert error.value.code == "attachment_too_many"
    files = list((Path(settings.DATA_DIR) / "private" / "attachments").rglob("*.png"))
    assert len(files) == Attachment.MAX_PER_REPORT


def test_scope_and_who_may_attach(officer_a, head_b, party_office, police, report_b) -> None:
    theirs = report_b
    for user in (officer_a, party_office):
        with pytest.raises(PermissionDenied):
            attachment_add(actor=user, report=theirs, uploaded_file=upload("x.jpg", JPEG))
    from reports.tests.factories import file_report

    not_filed_by_head = file_report(police, report_b.hamlet)
    with pytest.raises(PermissionDenied):
        attachment_add(actor=head_b, report=not_filed_by_head, uploaded_file=upload("x.jpg", JPEG))
    assert not Attachment.objects.exists()
