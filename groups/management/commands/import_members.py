"""Import members from an .xlsx or .csv file: `manage.py import_members PATH [--commit]`.

Without --commit it only reports what each row would do. The steps are those of the admin's
import (groups.importing.member_import); this command only reads the file and prints.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from accounts.audit import AuditedCommand, audit_actor_set
from accounts.models import User
from groups.importing import ImportReport, RowStatus, member_import, read_rows
from groups.models import ZaloGroup


class Command(AuditedCommand):
    help = (
        "Import members from an .xlsx or .csv file with the template's Vietnamese column "
        "headers. Prints every row's result (new, updated, unchanged, error) and exits with "
        "status 1 when any row is in error. Nothing is saved without --commit, and with it "
        "nothing is saved unless every row is free of errors. With --as USERNAME the import has "
        "that user's permissions and hamlets; without it, it runs as the command-line "
        "administrator with every group of every commune in scope, audited without a user."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The .xlsx or .csv file.")
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
        **options,
    ) -> None:
        actor = self._actor(username)
        audit_actor_set(actor)  # the changes are the --as user's, made by this command
        default_group = self._group(actor, group)
        try:
            with Path(path).open("rb") as file:
                rows = read_rows(file, path)
            report = member_import(
                actor=actor,
                rows=rows,
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
        self._print(report)
        if report.has_errors:
            raise CommandError(
                _("Rows in error: %(count)d. Nothing was saved.") % {"count": report.error_count}
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

    def _print(self, report: ImportReport) -> None:
        styles = {RowStatus.ERROR: self.style.ERROR, RowStatus.NEW: self.style.SUCCESS}
        for row in report.rows:
            detail = row.reason or ", ".join(row.changed)
            line = f"{_('Row')} {row.row:>5}  {row.status.label!s:<12} {row.full_name} {row.phone}"
            self.stdout.write(styles.get(row.status, str)(f"{line}  {detail}".rstrip()))
            for label, value in row.removed:
                self.stdout.write(self.style.ERROR(f"        - {label}: {value}"))
            for label, old, new in row.altered:
                self.stdout.write(self.style.WARNING(f"        ! {label}: {old or '—'} → {new}"))
        counts = report.counts
        self.stdout.write(
            ", ".join(f"{status.label}: {counts[status.value]}" for status in RowStatus)
        )
