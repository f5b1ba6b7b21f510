"""Backup and restore: a round trip into an empty database gives back every row, every private
file, and informants that the same keys still open."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import ConnectionHandler

from binhyen.backup import BackupError, backup, restore, table_counts
from bulletins.tests.factories import PNG  # a real PNG: stored photos are re-encoded
from reports import crypto
from reports.services import attachment_add
from reports.tests.factories import INFORMANT, MARKER, file_report


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[BaseDatabaseWrapper]:
    """A new, empty database of the vendor the tests run on, as a connection of its own."""
    config = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        config["NAME"] = str(tmp_path / "restored.sqlite3")
    else:
        config["NAME"] = f"{connection.settings_dict['NAME']}_restored"
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}"')
            cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    target = ConnectionHandler({"default": config})["default"]
    yield target
    target.close()
    if connection.vendor != "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}"')


@pytest.fixture
def data(settings, tmp_path: Path, head_b, hamlet_b):
    settings.DATA_DIR = tmp_path / "data"
    report = file_report(head_b, hamlet_b, informant=dict(INFORMANT))
    attachment_add(
        actor=head_b, report=report, uploaded_file=SimpleUploadedFile("a.png", PNG, "image/png")
    )
    return report


@pytest.mark.django_db(transaction=True)
def test_a_round_trip_restores_rows_files_and_sealed_identities(
    data, empty_database, settings, tmp_path
) -> None:
    archive = tmp_path / "backup.tar.gz"
    manifest = backup(archive)
    assert manifest["counts"]["reports_incidentreport"] == 1
    assert manifest["counts"]["reports_informant"] == 1
    assert archive.stat().st_mode & 0o077 == 0  # personal data: readable by its owner only

    settings.DATA_DIR = tmp_path / "restored-data"
    result = restore(archive, connection=empty_database)

    assert table_counts(empty_database) == manifest["counts"]
    assert result["files"] == 1
    restored = list((tmp_path / "restored-data" / "private" / "attachments").rglob("*.png"))
    assert [path.read_bytes() for path in restored] == [PNG]
    with empty_database.cursor() as cursor:
        cursor.execute("SELECT name_encrypted, phone_encrypted FROM reports_informant")
        name, phone = cursor.fetchone()
    assert MARKER not in name  # still ciphertext in the restored database
    assert crypto.decrypt(name) == INFORMANT["name"]
    assert crypto.decrypt(phone) == INFORMANT["phone"]


@pytest.mark.django_db(transaction=True)
def test_the_archive_holds_no_key_and_no_clear_identity(data, tmp_path) -> None:
    archive = tmp_path / "backup.tar.gz"
    backup(archive)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        content = b"".join(
            tar.extractfile(member).read() for member in tar.getmembers() if member.isfile()
        )
    assert "manifest.json" in names
    assert MARKER.encode() not in content
    assert INFORMANT["phone"].encode() not in content
    for key in crypto.settings.INFORMANT_KEYS:
        assert key.encode() not in content


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_is_not_empty(data, tmp_path) -> None:
    archive = tmp_path / "backup.tar.gz"
    backup(archive)
    with pytest.raises(BackupError, match="not empty"):
        restore(archive)  # the database in use


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_what_is_not_a_backup(tmp_path, empty_database) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    with pytest.raises(BackupError, match="not a readable backup"):
        restore(junk, connection=empty_database)


@pytest.mark.django_db(transaction=True)
def test_the_commands_print_where_and_what(data, tmp_path, capsys) -> None:
    archive = tmp_path / "cmd.tar.gz"
    call_command("backup", output=archive)
    out = capsys.readouterr().out
    assert str(archive) in out
    assert "INFORMANT_KEYS" in out
    with pytest.raises(Exception, match="not empty"):
        call_command("restore", str(archive))
