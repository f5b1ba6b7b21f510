from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from binhyen.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database and the private files (attachments, documents) to one archive."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="Archive to write (default: DATA_DIR/backups/binhyen-YYYYmmdd-HHMMSS.tar.gz).",
        )

    def handle(self, *args, output: Path | None, **options) -> None:
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        output = output or Path(settings.DATA_DIR) / "backups" / f"binhyen-{stamp}.tar.gz"
        try:
            manifest = backup(output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["counts"].values())
        self.stdout.write(f"{output}: {manifest['vendor']}, {rows} rows")
        self.stdout.write("INFORMANT_KEYS are not in the archive: keep them in a safe.")
