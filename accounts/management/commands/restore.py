from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from binhyen.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore an archive of `manage.py backup` into a new, empty database and an empty "
        "DATA_DIR/private, then check every table's row count against the archive."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", type=Path)

    def handle(self, *args, archive: Path, **options) -> None:
        try:
            manifest = restore(archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            f"Restored {rows} rows and {manifest['files']} files from {manifest['created_at']}; "
            "row counts match the backup."
        )
