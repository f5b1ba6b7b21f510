"""Backup and restore of a whole installation: the database and the private files.

One archive (`.tar.gz`) holds
- `database.pgdump` (PostgreSQL, `pg_dump --format=custom`) or `database.sqlite3` (SQLite's
  online backup API: a consistent copy while the portal runs),
- `private/` — DATA_DIR/private: report attachments and generated documents,
- `manifest.json` — when, which database vendor, and the row count of every table, which a
  restore compares against what it restored.

The informants' keys (INFORMANT_KEYS) are *not* in the archive: a stolen backup must not open
the identities. Keep the keys in a safe; a restore needs the same keys to read them.

Used by `manage.py backup` and `manage.py restore`; see README ("Backup and restore").
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

FORMAT = 1
PG_DUMP = "database.pgdump"
SQLITE_DUMP = "database.sqlite3"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the operator."""


@dataclass(frozen=True)
class Database:
    """What a backup or restore needs to know of a database: Django's settings dict of one."""

    config: dict[str, Any]

    @property
    def vendor(self) -> str:
        engine = self.config["ENGINE"]
        if engine.endswith("sqlite3"):
            return "sqlite"
        if engine.endswith("postgresql"):
            return "postgresql"
        raise BackupError(f"Unsupported database engine {engine}")

    def pg_args(self) -> list[str]:
        args = ["--no-password"]
        for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if self.config.get(key):
                args += [flag, str(self.config[key])]
        return args

    def pg_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.config.get("PASSWORD"):
            env["PGPASSWORD"] = str(self.config["PASSWORD"])
        return env


def table_counts(connection: BaseDatabaseWrapper) -> dict[str, int]:
    """Rows in every table Django manages (models and many-to-many tables)."""
    tables = sorted(
        {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
        & set(connection.introspection.table_names())
    )
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            # Table names come from the models, quoted by the backend: nothing from a user.
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def private_dir() -> Path:
    return Path(settings.DATA_DIR) / "private"


# --- Backup -------------------------------------------------------------------------------


def _dump_sqlite(target: Path, connection: BaseDatabaseWrapper) -> None:
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        connection.connection.backup(destination)
    finally:
        destination.close()


def _dump_postgresql(target: Path, database: Database) -> None:
    command = [
        "pg_dump",
        "--format=custom",
        "--no-owner",
        "--no-acl",
        *database.pg_args(),
        "--file",
        str(target),
        str(database.config["NAME"]),
    ]
    _run(command, database)


def _run(command: list[str], database: Database) -> None:
    try:
        # A fixed program and our own settings as arguments, no shell.
        subprocess.run(command, check=True, capture_output=True, env=database.pg_env())  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(
            f"{command[0]} is not installed (Debian package postgresql-client)"
        ) from exc
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{command[0]} failed: {exc.stderr.decode(errors='replace')}") from exc


def backup(output: Path, *, connection: BaseDatabaseWrapper = default_connection) -> dict[str, Any]:
    """Write the archive to `output` and return its manifest."""
    database = Database(connection.settings_dict)
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "vendor": database.vendor,
        "counts": table_counts(connection),
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        dump = Path(scratch) / (SQLITE_DUMP if database.vendor == "sqlite" else PG_DUMP)
        if database.vendor == "sqlite":
            _dump_sqlite(dump, connection)
        else:
            _dump_postgresql(dump, database)
        (Path(scratch) / "manifest.json").write_text(json.dumps(manifest, indent=2))
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(Path(scratch) / "manifest.json", "manifest.json")
            archive.add(dump, dump.name)
            if private_dir().is_dir():
                archive.add(private_dir(), "private")
        partial.replace(output)  # a backup interrupted midway never looks complete
    output.chmod(0o600)  # it holds personal data
    return manifest


# --- Restore ------------------------------------------------------------------------------


def _extract(archive_path: Path, into: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            archive.extractall(into, filter="data")  # no absolute paths, links or devices
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{archive_path} is not a readable backup: {exc}") from exc
    try:
        manifest = json.loads((into / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{archive_path} has no manifest") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}")
    return manifest


def _require_empty(database: Database, connection: BaseDatabaseWrapper) -> None:
    if connection.introspection.table_names():
        raise BackupError(
            f"The database {database.config['NAME']} is not empty: restore only into a new, "
            "empty database (create it first)."
        )


def _restore_sqlite(dump: Path, connection: BaseDatabaseWrapper) -> None:
    connection.ensure_connection()
    source = sqlite3.connect(dump)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def _restore_postgresql(dump: Path, database: Database) -> None:
    command = [
        "pg_restore",
        "--no-owner",
        "--no-acl",
        "--exit-on-error",
        "--single-transaction",  # all or nothing
        *database.pg_args(),
        "--dbname",
        str(database.config["NAME"]),
        str(dump),
    ]
    _run(command, database)


def _require_no_files() -> None:
    target = private_dir()
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: move it away before restoring files.")


def _restore_files(source: Path) -> int:
    target = private_dir()
    if not source.is_dir():
        return 0
    shutil.copytree(source, target, dirs_exist_ok=True)
    return sum(1 for path in target.rglob("*") if path.is_file())


def restore(
    archive_path: Path, *, connection: BaseDatabaseWrapper = default_connection
) -> dict[str, Any]:
    """Restore the archive into the (empty) database and the (empty) private folder,
    then compare every table's row count with the manifest. Returns the manifest, with
    `files`: how many private files were restored."""
    database = Database(connection.settings_dict)
    with tempfile.TemporaryDirectory() as scratch:
        manifest = _extract(archive_path, Path(scratch))
        if manifest["vendor"] != database.vendor:
            raise BackupError(
                f"The backup is of a {manifest['vendor']} database; this one is {database.vendor}."
            )
        _require_empty(database, connection)
        _require_no_files()
        dump = Path(scratch) / (SQLITE_DUMP if database.vendor == "sqlite" else PG_DUMP)
        if database.vendor == "sqlite":
            _restore_sqlite(dump, connection)
        else:
            _restore_postgresql(dump, database)
        files = _restore_files(Path(scratch) / "private")
    found = table_counts(connection)
    different = {
        table: (count, found.get(table))
        for table, count in manifest["counts"].items()
        if found.get(table) != count
    }
    if different:
        raise BackupError(f"Restored row counts differ from the backup's: {different}")
    return {**manifest, "files": files}
