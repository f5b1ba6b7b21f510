"""Import members from an .xlsx, .xls or .csv file: `manage.py import_members PATH [--commit]`.

Without --commit it only reports what each row would do. The steps are those of the admin's
import (groups.importing.read_file and member_import), with the same detection of legacy fonts
and the same options (`--encoding`, `--old-addresses`, `--address-choice`); this command only
reads the file and prints.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from accounts.audit import AuditedCommand, audit_actor_set
from accounts.models import User
from binhyen.legacy_text import ENCODINGS, Encoding
from groups.importing import (
    COLUMNS,
    ImportReport,
    ReadFile,
    RowStatus,
    member_import,
    read_file,
)
from groups.legacy_import import AddressChange
from groups.models import ZaloGroup


class Command(AuditedCommand):
    help = (
        "Import members from an .xlsx, .xls or .csv file with the template's Vietnamese column "
        "headers. Prints every row's result (new, updated, unchanged, error) and exits with "
        "status 1 when any row is in error. Nothing is saved without --commit, and with it "
        "nothing is saved unless every row is free of errors. With --as USERNAME the import has "
        "that user's permissions and hamlets; without it, it runs as the command-line "
        "administrator with every group of every commune in scope, audited without a user."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The .xlsx, .xls or .csv file.")
        parser.add_argument(
            "--group", metavar="CODE", help="Group code for rows without a “Mã nhóm”."
        )
        parser.add_argument("--commit", action="store_true", help="Save, when no row is in error.")
        parser.add_argument(
            "--confirm-changes",
            action="store_true",
            help="Confirm the removals (cells holding “XÓA”) and consent date changes listed.",
        )
        parser.add_argument(
            "--encoding",
            action="append",
            default=[],
            metavar="[COLUMN=]ENCODING",
            help=(
                "Read a column (a field name: "
                + ", ".join(COLUMNS)
                + "), or every column, in this encoding instead of the one detected: "
                + ", ".join(ENCODINGS)
                + ". May be repeated."
            ),
        )
        parser.add_argument(
            "--old-addresses",
            action="store_true",
            help="Read addresses as written before the 2025 merger and write the new commune.",
        )
        parser.add_argument(
            "--address-choice",
            action="append",
            default=[],
            metavar="ROW=CODE",
            help="The new commune (its code, as listed) of a row whose old commune was split.",
        )
        parser.add_argument(
            "--as",
            dest="username",
            metavar="USERNAME",
            help="Import as this user, within their hamlets (default: full scope).",
        )

    def handle(
        self,
        *,
        path: str,
        group: str | None,
        commit: bool,
        confirm_changes: bool,
        username: str | None,
        encoding: list[str],
        old_addresses: bool,
        address_choice: list[str],
        **options,
    ) -> None:
        actor = self._actor(username)
        audit_actor_set(actor)  # the changes are the --as user's, made by this command
        default_group = self._group(actor, group)
        try:
            with Path(path).open("rb") as file:
                read = read_file(
                    file,
                    path,
                    encodings=_encodings(encoding),
                    old_addresses=old_addresses,
                    address_choices=_address_choices(address_choice),
                )
            report = member_import(
                actor=actor,
                rows=read.rows,
                addresses=read.addresses,
                default_group=default_group,
                commit=commit,
                confirmed=confirm_changes,
                source=f"manage.py import_members {Path(path).name}",
            )
        except OSError as exc:
            raise CommandError(
                _("Cannot open %(path)s: %(error)s") % {"path": path, "error": exc}
            ) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except PermissionDenied as exc:
            raise CommandError(
                _("%(user)s may not add and change members.") % {"user": username}
            ) from exc
        self._print_read(read)
        self._print(report)
        if report.has_errors:
            raise CommandError(
                _("Rows in error: %(count)d. Nothing was saved.") % {"count": report.error_count}
            )
        if report.awaiting_count:
            raise CommandError(
                _(
                    "Rows awaiting a choice: %(count)d. Nothing was saved: give the new commune "
                    "of each with --address-choice ROW=CODE."
                )
                % {"count": report.awaiting_count}
            )
        if report.unconfirmed:
            raise CommandError(
                _(
                    "Nothing was saved: the file removes %(removed)d stored values and sets or "
                    "changes %(altered)d consent dates. Check them and run again with "
                    "--confirm-changes."
                )
                % {"removed": report.removal_count, "altered": report.altered_count}
            )
        if report.saved:
            self.stdout.write(self.style.SUCCESS(_("Saved.")))
        else:
            self.stdout.write(_("Nothing was saved: run again with --commit to save."))

    def _actor(self, username: str | None) -> User | None:
        if username is None:
            return None
        actor = User.objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(_("No active user “%(user)s”.") % {"user": username})
        return actor

    def _group(self, actor: User | None, code: str | None) -> ZaloGroup | None:
        if not code:
            return None
        groups = ZaloGroup.objects.all() if actor is None else ZaloGroup.objects.visible_to(actor)
        found = groups.filter(code__iexact=code).first()
        if found is None:  # out of scope reads as missing
            raise CommandError(_("Unknown group “%(code)s”.") % {"code": code})
        return found

    def _print_read(self, read: ReadFile) -> None:
        """What reading changed: the columns converted from a legacy font."""
        for column in read.columns:
            if column.encoding == "unicode":
                continue
            self.stdout.write(
                self.style.WARNING(
                    _("Column “%(header)s”: %(count)d cells converted from %(encoding)s. %(why)s")
                    % {
                        "header": column.header,
                        "count": column.converted,
                        "encoding": column.encoding_label,
                        "why": "" if column.chosen else column.detection.reason,
                    }
                )
            )
            for row, before, after in column.samples:
                self.stdout.write(f"        {_('Row')} {row:>5}  {before} → {after}")

    def _print(self, report: ImportReport) -> None:
        styles = {RowStatus.ERROR: self.style.ERROR, RowStatus.NEW: self.style.SUCCESS}
        for row in report.rows:
            detail = row.reason or ", ".join(row.changed)
            line = f"{_('Row')} {row.row:>5}  {row.status.label!s:<12} {row.full_name} {row.phone}"
            self.stdout.write(styles.get(row.status, str)(f"{line}  {detail}".rstrip()))
            if row.address is not None:
                self._print_address(row.address)
            for label, value in row.removed:
                self.stdout.write(self.style.ERROR(f"        - {label}: {value}"))
            for label, old, new in row.altered:
                self.stdout.write(self.style.WARNING(f"        ! {label}: {old or '—'} → {new}"))
        counts = report.counts
        self.stdout.write(
            ", ".join(f"{status.label}: {counts[status.value]}" for status in RowStatus)
        )

    def _print_address(self, change: AddressChange) -> None:
        if change.new:
            self.stdout.write(self.style.WARNING(f"        ~ {change.before} → {change.new}"))
            return
        listed = "; ".join(f"{code} {name}" for code, name in change.choices)
        self.stdout.write(
            self.style.ERROR(
                "        ? "
                + _("%(address)s: the old %(commune)s was split; choose one of: %(list)s")
                % {"address": change.before, "commune": change.old.old_commune, "list": listed}
            )
        )


def _encodings(given: list[str]) -> dict[str, Encoding]:
    """--encoding values: "tcvn3" for every column, or "full_name=vni" for one."""
    chosen: dict[str, Encoding] = {}
    for item in given:
        column, _sep, encoding = item.rpartition("=")
        if encoding not in ENCODINGS or (column and column not in COLUMNS):
            raise CommandError(_("Unknown encoding or column: “%(item)s”.") % {"item": item})
        for name in [column] if column else list(COLUMNS):
            chosen[name] = encoding
    return chosen


def _address_choices(given: list[str]) -> dict[int, str]:
    choices = {}
    for item in given:
        row, _sep, code = item.partition("=")
        if not row.isdigit() or not code:
            message = _("Write an address choice as ROW=CODE: “%(item)s”.")
            raise CommandError(message % {"item": item})
        choices[int(row)] = code
    return choices
