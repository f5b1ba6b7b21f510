"""The private file storage: files under DATA_DIR/private/<folder>, outside static and media,
with no URL. They are served only by views that check who asks (binhyen/files.py)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """One folder of DATA_DIR/private. The folder is read from settings on every use, so tests
    can move DATA_DIR. `allow_overwrite` is for files whose names are already unique to their
    row (a review build's documents), which a rebuild replaces."""

    def __init__(self, folder: str, *, allow_overwrite: bool = False) -> None:
        super().__init__(allow_overwrite=allow_overwrite)
        self.folder = folder

    @property
    def base_location(self) -> str:  # type: ignore[override]
        return str(Path(settings.DATA_DIR) / "private" / self.folder)

    @property
    def location(self) -> str:  # type: ignore[override]
        return str(Path(self.base_location).resolve())

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no URL: serve them through a checked view.")


# One storage a folder. The models refer to them through a callable of their own module
# (get_private_storage, get_review_storage), which is what their migrations name.
attachments = PrivateStorage("attachments")
bulletins = PrivateStorage("bulletins")
reviews = PrivateStorage("reviews", allow_overwrite=True)
