"""Every photo the portal stores goes through `photo_clean`: the pixels only, nothing else.

Re-encoding an image with Pillow is not enough by itself: Pillow writes back a JPEG's comment,
a PNG's text chunks, an ICC profile or EXIF kept in `Image.info`. So the pixels are copied
into a new image that has no `info` at all, and that one is encoded: no EXIF (GPS, camera,
time, thumbnail), XMP, IPTC, ICC profile, comment or text chunk can survive.

The pixel budget: a file of a few kilobytes can expand to gigabytes of pixels. A picture above
MAX_PIXELS is refused before it is decoded; one above DOWNSCALE_PIXELS is stored scaled down to
MAX_SIDE on its longer side (a phone photo of 12 MP needs no more to be read by an officer).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.translation import gettext as _

from .sniff import EXTENSIONS, sniff

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

MAX_PIXELS = 50_000_000  # refused above this, before decoding
DOWNSCALE_PIXELS = 12_000_000  # stored downscaled above this
MAX_SIDE = 4000  # the longer side of a downscaled photo
# The types whose metadata we can remove (Pillow decodes them); HEIC and PDF are not photos we
# can re-encode here.
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def _pixels_only(image: PILImage) -> PILImage:
    """A new image holding only the pixels of `image` (upright), with an empty `info`."""
    from PIL import Image, ImageOps

    upright = ImageOps.exif_transpose(image) or image
    alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    mode = "RGBA" if alpha else "RGB"
    upright = upright.convert(mode)
    if upright.width * upright.height > DOWNSCALE_PIXELS:
        upright.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return Image.frombytes(mode, upright.size, upright.tobytes())


def photo_clean(uploaded_file: UploadedFile, *, name: str) -> UploadedFile:
    """The photo re-encoded from its pixels only, under `name` with the right extension.
    A file that is not a JPEG, PNG or WebP is returned untouched (the caller's type checks
    decide about it). Raises ValidationError (code photo_unreadable) for a broken picture or
    one above the pixel budget."""
    content_type = sniff(uploaded_file)
    if content_type not in FORMATS:
        return uploaded_file
    from PIL import Image, UnidentifiedImageError

    out = io.BytesIO()
    try:
        with Image.open(uploaded_file) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ValueError("too many pixels")
            image.load()
            clean = _pixels_only(image)
        fmt = FORMATS[content_type]
        if fmt == "JPEG" and clean.mode == "RGBA":
            clean = clean.convert("RGB")
        clean.save(out, format=fmt, quality=90)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise ValidationError(
            _("The photo could not be read. Try another photo."), code="photo_unreadable"
        ) from exc
    finally:
        uploaded_file.seek(0)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return SimpleUploadedFile(
        stem + EXTENSIONS[content_type], out.getvalue(), content_type=content_type
    )
