"""binhyen.images.photo_clean: a stored photo keeps its pixels and nothing else, within a pixel
budget. Each file below carries every kind of metadata its format allows."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, PngImagePlugin

from binhyen import images
from binhyen.images import photo_clean

SECRET = "Marker-Nguyen-Van-A"
XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    f'22-rdf-syntax-ns#"><rdf:Description>{SECRET}-xmp</rdf:Description></rdf:RDF></x:xmpmeta>'
).encode()
ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = f"{SECRET}-make"  # Make
    exif[0x9003] = "2026:12:04 21:13:07"  # DateTimeOriginal (in the Exif IFD, written flat)
    exif[0x8825] = {1: "N", 2: (11.0, 30.0, 0.0), 3: "E", 4: (106.0, 50.0, 0.0)}  # GPSInfo
    return exif


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", marker, len(payload) + 2) + payload


def jpeg_full() -> bytes:
    """EXIF (GPS, camera, time), an EXIF thumbnail, XMP, IPTC, ICC and a COM comment."""
    thumb = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(thumb, format="JPEG", comment=f"{SECRET}-thumb")
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(
        out,
        format="JPEG",
        exif=_exif(),
        icc_profile=ICC,
        comment=f"{SECRET}-com".encode(),
        xmp=XMP,
    )
    data = out.getvalue()
    # IPTC in a Photoshop APP13 segment, and an APP1 "Exif" block carrying a JPEG thumbnail,
    # inserted after SOI: Pillow writes neither.
    iptc = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + struct.pack(">I", 20) + b"\x1c\x02\x50"
    iptc += struct.pack(">H", 15) + SECRET[:15].encode()
    thumb_app = _segment(0xFFE1, b"Exif\x00\x00" + b"MM\x00\x2a" + thumb.getvalue())
    return data[:2] + _segment(0xFFED, iptc) + thumb_app + data[2:]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_full() -> bytes:
    """tEXt, zTXt and iTXt chunks, eXIf and iCCP."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", f"{SECRET}-text")
    info.add_text("Comment", f"{SECRET}-ztxt " * 20, zip=True)
    info.add_itxt("Description", f"{SECRET}-itxt", lang="vi", tkey="Mô tả")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (255, 0, 0, 128)).save(
        out, format="PNG", pnginfo=info, exif=_exif(), icc_profile=ICC
    )
    return out.getvalue()


def webp_full() -> bytes:
    """EXIF, XMP and ICC chunks."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(
        out, format="WEBP", exif=_exif(), xmp=XMP, icc_profile=ICC, lossless=True
    )
    return out.getvalue()


LEFTOVERS = {
    "JPEG": [b"Exif", b"http://ns.adobe.com", b"adobe:ns:meta", b"Photoshop", b"8BIM",
             b"ICC_PROFILE", b"\xff\xfe", b"\xff\xed"],
    "PNG": [b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP", b"adobe:ns:meta"],
    "WEBP": [b"EXIF", b"XMP ", b"ICCP", b"VP8X", b"adobe:ns:meta"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("fmt", "build", "content_type"),
    [
        ("JPEG", jpeg_full, "image/jpeg"),
        ("PNG", png_full, "image/png"),
        ("WEBP", webp_full, "image/webp"),
    ],
)
def test_only_the_pixels_remain(fmt, build, content_type) -> None:
    original = build()
    for marker in LEFTOVERS[fmt][:2]:  # the test file does carry what must go
        assert marker in original, marker
    clean = photo_clean(SimpleUploadedFile("x", original, content_type=content_type), name="p")
    stored = clean.read()
    assert clean.content_type == content_type and clean.name.startswith("p.")
    for marker in LEFTOVERS[fmt]:
        assert marker not in stored, marker
    assert SECRET.encode() not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (40, 30)
        assert not image.getexif()
        for key in ("exif", "icc_profile", "comment", "xmp", "XML:com.adobe.xmp", "Author"):
            assert key not in image.info, key


def test_a_jpeg_comment_alone_does_not_survive() -> None:
    """The bug: Pillow re-encoding writes a JPEG's COM segment back."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(out, format="JPEG", comment=SECRET)
    stored = photo_clean(SimpleUploadedFile("x.jpg", out.getvalue()), name="p").read()
    assert SECRET.encode() not in stored


def test_a_large_photo_is_stored_downscaled(monkeypatch) -> None:
    monkeypatch.setattr(images, "DOWNSCALE_PIXELS", 100 * 100)
    monkeypatch.setattr(images, "MAX_SIDE", 64)
    out = io.BytesIO()
    Image.new("RGB", (200, 100), "red").save(out, format="PNG")
    stored = photo_clean(SimpleUploadedFile("x.png", out.getvalue()), name="p").read()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (64, 32)


def test_a_picture_above_the_pixel_budget_is_refused_before_decoding(monkeypatch) -> None:
    monkeypatch.setattr(images, "MAX_PIXELS", 50 * 50)
    out = io.BytesIO()
    Image.new("L", (60, 60)).save(out, format="PNG")
    with pytest.raises(ValidationError) as error:
        photo_clean(SimpleUploadedFile("x.png", out.getvalue()), name="p")
    assert error.value.code == "photo_unreadable"


def test_what_is_not_a_jpeg_png_or_webp_is_passed_on_untouched() -> None:
    pdf = SimpleUploadedFile("a.pdf", b"%PDF-1.7\n" + b"\x00" * 50)
    assert photo_clean(pdf, name="p") is pdf
