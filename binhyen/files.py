"""The response of every private file (attachments, bulletin pictures and proofs, review
documents) and of every download made on request (exports of the queue, the roster and the
audit log, posters, the import template), for a view that has already checked who asks."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header

# A picture or a PDF is shown, never run: no script, no plugin, no frame of ours around it.
SANDBOX = "default-src 'none'; img-src 'self'; sandbox"


def private_file_response(
    field_file: FieldFile, *, content_type: str, filename: str, as_attachment: bool = False
) -> FileResponse:
    """The file with the type sniffed on upload (the browser may not guess another), and no
    copy kept by the browser or a proxy: whoever loses the right to a file loses it at once,
    since every read asks the checked view again. A file gone from the disk is a 404."""
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, content_type=content_type, as_attachment=as_attachment, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    add_never_cache_headers(response)  # private, no-cache, no-store, max-age=0
    return response


def download_response(content: bytes | str, *, content_type: str, filename: str) -> HttpResponse:
    """A file made for this request (an export, a poster), saved by the browser under
    `filename` (Vietnamese names are encoded as RFC 6266 says). Exports carry names and
    phones: as for private files, no browser or proxy keeps a copy."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response
