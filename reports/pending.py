"""Files chosen on the report form whose submission was refused (a field missing, a date wrong):
kept for the next submission, so that nobody has to choose the same photo again.

A pending upload is a file in the private storage (DATA_DIR/private/pending, no URL) under a
random name, listed in the uploader's session only: the form can drop one of the session's
files but never name another, so no file passes from one user (or session) to another. A login
or logout starts a new session and forgets them. Each is kept at most PENDING_MAX_AGE and only
if it could become an attachment (size, type read from the content); a photo is kept with its
pixels only (binhyen.images), like an attachment.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile

from binhyen.images import photo_clean
from binhyen.sniff import EXTENSIONS, sniff
from binhyen.storage import PrivateStorage

from .models import Attachment

SESSION_KEY: Final = "report_pending_uploads"
PENDING_MAX_AGE: Final = 3600  # seconds: a form left for longer is filled in again
_TOKEN: Final = re.compile(r"[0-9a-f]{32}")

storage = PrivateStorage("pending")


@dataclass(frozen=True)
class PendingUpload:
    token: str
    name: str  # as the user's file was named: shown, and the attachment's name
    content_type: str
    stored_at: float

    @property
    def path(self) -> str:
        return f"{self.token}{EXTENSIONS[self.content_type]}"


def pending_list(session: SessionBase, user_id: int) -> list[PendingUpload]:
    """The session's pending uploads of `user_id` that have not expired and still exist."""
    now = time.time()
    kept = []
    for entry in session.get(SESSION_KEY) or []:
        upload = _from_entry(entry, user_id)
        if upload is None:
            continue
        if now - upload.stored_at > PENDING_MAX_AGE or not storage.exists(upload.path):
            storage.delete(upload.path)
            continue
        kept.append(upload)
    return kept


def _from_entry(entry: object, user_id: int) -> PendingUpload | None:
    if not isinstance(entry, dict) or entry.get("user") != user_id:
        return None
    token, content_type = str(entry.get("token", "")), str(entry.get("type", ""))
    if not _TOKEN.fullmatch(token) or content_type not in EXTENSIONS:
        return None
    return PendingUpload(token, str(entry.get("name", ""))[:255], content_type, entry["at"])


def _save_list(session: SessionBase, user_id: int, uploads: list[PendingUpload]) -> None:
    session[SESSION_KEY] = [
        {"token": u.token, "name": u.name, "type": u.content_type, "at": u.stored_at,
         "user": user_id}
        for u in uploads
    ]  # fmt: skip


def pending_keep(
    session: SessionBase, user_id: int, kept: list[PendingUpload], files: list[UploadedFile]
) -> list[PendingUpload]:
    """After a refused submission: the pending uploads still `kept`, and those of `files` that
    could become attachments, up to Attachment.MAX_PER_REPORT in all. Files no longer listed
    are removed, and so is every pending file of anyone older than PENDING_MAX_AGE."""
    _remove_expired()
    uploads = list(kept)
    for file in files:
        if len(uploads) >= Attachment.MAX_PER_REPORT:
            break
        stored = _store(file)
        if stored is not None:
            uploads.append(stored)
    for old in pending_list(session, user_id):
        if old not in uploads:
            storage.delete(old.path)
    _save_list(session, user_id, uploads)
    return uploads


def _store(file: UploadedFile) -> PendingUpload | None:
    name = Path(file.name or "file").name[:255]
    content_type = sniff(file)
    if file.size > Attachment.MAX_SIZE or content_type is None:
        return None  # its error is on the form; choosing it again will not help
    try:
        clean = photo_clean(file, name=name)
    except ValidationError:
        return None
    upload = PendingUpload(secrets.token_hex(16), name, content_type, time.time())
    storage.save(upload.path, clean)
    return upload


def pending_files(uploads: list[PendingUpload]) -> list[UploadedFile]:
    """The pending uploads as files to attach, under the names they were chosen with."""
    files = []
    for upload in uploads:
        with storage.open(upload.path, "rb") as stored:
            files.append(SimpleUploadedFile(upload.name, stored.read(), upload.content_type))
    return files


def pending_forget(session: SessionBase, user_id: int) -> None:
    """Remove the session's pending uploads (once attached, or abandoned)."""
    for upload in pending_list(session, user_id):
        storage.delete(upload.path)
    session.pop(SESSION_KEY, None)


def _remove_expired() -> None:
    if not storage.exists(""):
        return
    cutoff = time.time() - PENDING_MAX_AGE
    for name in storage.listdir("")[1]:
        path = Path(storage.path(name))
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
