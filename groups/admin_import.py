"""Import of members in the admin: a mixin for MemberAdmin.

Import is two steps: the upload shows a preview (every row new / updated / unchanged / awaiting a
choice / error, and what was converted from legacy fonts or old addresses); the confirmation
imports the same upload, kept meanwhile under DATA_DIR/imports with a random name that only the
uploader's session knows. Between the two, the importer may check the file again with another
encoding for a column, or with the new commune chosen for an address whose old commune was split:
those choices are posted with the confirmation and applied to the same file. The steps themselves
are in groups/importing.py.

The rows a preview checked are kept next to the upload (`<token>.checked`, its digest in the
session): the confirmation with the same choices saves them without reading and checking the file
again (member_import_checked), unless the register changed since the preview; then nothing is
saved and the file is checked again and shown, to be confirmed again.
The export is the roster page's (groups/views.py: member_export), which the change list links.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, Final

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from binhyen.files import download_response
from binhyen.forms import EmptyChoiceMixin
from binhyen.legacy_text import ENCODINGS, Encoding, encoding_name

from .importing import (
    CLEAR_MARK,
    COLUMNS,
    XLSX_TYPE,
    CheckedImport,
    ImportReport,
    ReadFile,
    RowStatus,
    member_import,
    member_import_checked,
    read_file,
    template_workbook,
)
from .models import ZaloGroup

MAX_UPLOAD_BYTES: Final = 5 * 1024 * 1024
# All rows in error or needing confirmation are shown; other rows up to this many.
PREVIEW_ROWS_SHOWN: Final = 500
UPLOAD_MAX_AGE_SECONDS: Final = 24 * 3600
SESSION_KEY: Final = "member_import"
_TOKEN: Final = re.compile(r"[0-9a-f]{32}")


SUFFIXES: Final = (".xlsx", ".xls", ".csv")


class MemberImportForm(EmptyChoiceMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File (.xlsx, .xls or .csv)"),
        help_text=gettext_lazy("At most 5 MB. Download the template for the columns."),
    )
    group = forms.ModelChoiceField(
        queryset=ZaloGroup.objects.none(),
        required=False,
        label=gettext_lazy("Group for rows without a group code"),
    )
    old_addresses = forms.BooleanField(
        required=False,
        label=gettext_lazy("Addresses written before the 2025 merger"),
        help_text=gettext_lazy(
            "Read each address as “ấp …, xã …, huyện …, tỉnh …” of the old units and write it "
            "with the commune that took over (shown in the preview before anything is saved)."
        ),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = ZaloGroup.objects.visible_to(user)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is larger than 5 MB."))
        if PurePath(upload.name).suffix.lower() not in SUFFIXES:
            raise ValidationError(_("Choose an Excel (.xlsx or .xls) or CSV (.csv) file."))
        return upload


@dataclass(frozen=True)
class ImportChoices:
    """What the importer chose: reading old addresses (on upload), and then, from the preview,
    an encoding per column and the new commune of a split old commune, per row."""

    old_addresses: bool = False
    encodings: dict[str, Encoding] = field(default_factory=dict)
    addresses: dict[int, str] = field(default_factory=dict)

    @classmethod
    def posted(cls, data: QueryDict, *, old_addresses: object) -> ImportChoices:
        encodings = {
            name: value for name in COLUMNS if (value := data.get(f"encoding_{name}")) in ENCODINGS
        }
        addresses = {
            int(number): code
            for key, code in data.items()
            if key.startswith("address_")
            and (number := key.removeprefix("address_")).isdigit()
            and len(number) <= 7
            and code
        }
        return cls(bool(old_addresses), encodings, addresses)

    def key(self) -> str:
        """The choices as text, to tell whether rows were checked with the same ones."""
        return json.dumps(
            [self.old_addresses, self.encodings, {str(n): c for n, c in self.addresses.items()}],
            sort_keys=True,
        )


def _upload_dir() -> Path:
    return Path(settings.DATA_DIR) / "imports"


def _store_upload(data: bytes, suffix: str) -> str:
    """Keep an upload until it is confirmed; return its token. Old uploads are removed."""
    folder = _upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - UPLOAD_MAX_AGE_SECONDS
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    (folder / f"{token}{suffix}").write_bytes(data)
    return token


def _checked_path(token: str) -> Path:
    return _upload_dir() / f"{token}.checked"


def _store_checked(pending: dict[str, Any], report: ImportReport, choices: ImportChoices) -> None:
    """Keep the rows a preview checked, if they can be saved, next to the upload: the
    confirmation saves them as they are unless the register changed meanwhile. The session
    keeps their digest, so that only what this page wrote for this session is ever loaded."""
    pending.pop("checked", None)
    if report.checked is None:
        return
    data = report.checked.dumps()
    _checked_path(pending["token"]).write_bytes(data)
    pending["checked"] = {"choices": choices.key(), "sha256": hashlib.sha256(data).hexdigest()}


def _load_checked(pending: dict[str, Any], choices: ImportChoices) -> CheckedImport | None:
    """The rows the last preview checked with these choices, or None."""
    kept, token = pending.get("checked") or {}, str(pending.get("token", ""))
    if not _TOKEN.fullmatch(token) or kept.get("choices") != choices.key():
        return None
    path = _checked_path(token)
    if not path.exists():
        return None
    data = path.read_bytes()
    if not hmac.compare_digest(hashlib.sha256(data).hexdigest(), str(kept.get("sha256"))):
        return None
    return CheckedImport.loads(data)


def _upload_path(pending: dict[str, Any]) -> Path | None:
    token, suffix = str(pending.get("token", "")), PurePath(str(pending.get("name", ""))).suffix
    if not _TOKEN.fullmatch(token) or suffix.lower() not in SUFFIXES:
        return None
    return _upload_dir() / f"{token}{suffix.lower()}"


class MemberImportMixin:
    """Adds import/ and template/ pages to the members' ModelAdmin, whose get_queryset must
    already be limited to the user's hamlets.
    Its helpers are prefixed `_import_`, so as not to clash with the ModelAdmin's own."""

    member_import_template = "admin/groups/member/import.html"

    def get_urls(self) -> list[URLPattern]:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name=f"{info}_import"),
            path("template/", wrap(self.import_template_view), name=f"{info}_import_template"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        extra_context = {
            **(extra_context or {}),
            "member_io": True,  # the change list template shows its links only with this mixin
            "may_import_members": self.may_import(request),
        }
        return super().changelist_view(request, extra_context)

    def may_import(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def import_template_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return download_response(
            template_workbook(), content_type=XLSX_TYPE, filename="mau-nhap-thanh-vien.xlsx"
        )

    # --- import ----------------------------------------------------------------------------

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.may_import(request):
            raise PermissionDenied
        if request.method == "POST" and ("confirm" in request.POST or "recheck" in request.POST):
            return self._import_again(request, commit="confirm" in request.POST)
        form = MemberImportForm(request.POST or None, request.FILES or None, user=request.user)
        read, report, token = None, None, ""
        if request.method == "POST" and form.is_valid():
            upload, group = form.cleaned_data["file"], form.cleaned_data["group"]
            choices = ImportChoices(old_addresses=form.cleaned_data["old_addresses"])
            data = upload.read()
            try:
                read, report = self._import_run(
                    request, data, upload.name, group, choices, commit=False
                )
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                self._import_forget(request)
                # Only a file that can be confirmed is kept, or one whose converted columns the
                # importer may want read in another encoding (which may clear its errors).
                if not report.has_errors or read.converted_columns:
                    token = _store_upload(data, PurePath(upload.name).suffix.lower())
                    pending = {
                        "token": token,
                        "name": upload.name,
                        "group": group.pk if group else None,
                        "old_addresses": choices.old_addresses,
                    }
                    _store_checked(pending, report, choices)
                    request.session[SESSION_KEY] = pending
        return self._import_render(request, form=form, report=report, token=token, read=read)

    def _import_forget(self, request: HttpRequest) -> None:
        """Remove the upload waiting for confirmation, if any: it holds personal data."""
        pending = request.session.pop(SESSION_KEY, None) or {}
        stored = _upload_path(pending)
        if stored is not None:
            stored.unlink(missing_ok=True)
            _checked_path(pending["token"]).unlink(missing_ok=True)

    def _import_again(self, request: HttpRequest, *, commit: bool) -> HttpResponse:
        """The stored upload, checked again with the importer's choices (`recheck`), or
        imported (`confirm`)."""
        pending = request.session.get(SESSION_KEY) or {}
        stored = _upload_path(pending)
        if pending.get("token") != request.POST.get("token") or not stored or not stored.exists():
            messages.error(request, _("The uploaded file is no longer available: upload it again."))
            return HttpResponseRedirect(request.path)
        group = ZaloGroup.objects.visible_to(request.user).filter(pk=pending["group"]).first()
        choices = ImportChoices.posted(request.POST, old_addresses=pending.get("old_addresses"))
        form = MemberImportForm(
            user=request.user, initial={"group": group, "old_addresses": choices.old_addresses}
        )
        confirmed = request.POST.get("confirm_changes") == "1"
        checked = _load_checked(pending, choices) if commit else None
        if checked is not None and (confirmed or not checked.needs_confirmation):
            try:
                saved = member_import_checked(
                    actor=request.user, checked=checked, default_group=group, confirmed=confirmed
                )
            except ValidationError as exc:  # as below: a group archived meanwhile, ...
                messages.error(request, " ".join(exc.messages))
                return self._import_render(request, form=form, report=None, token="")
            if saved:
                return self._import_done(request, checked.counts)
            # The register changed since the preview: nothing is saved before the importer
            # has seen the rows checked against it as it is now.
            messages.error(
                request,
                _(
                    "The register changed since the preview: nothing was saved. Check the rows "
                    "below again, then import."
                ),
            )
            commit = False
        try:
            read, report = self._import_run(
                request,
                stored.read_bytes(),
                pending["name"],
                group,
                choices,
                commit=commit,
                # the box the preview shows when rows remove values or change consent dates
                confirmed=confirmed,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return self._import_render(request, form=form, report=None, token="")
        if commit and report.awaiting_count:
            messages.error(
                request,
                _("Nothing was saved: choose the new commune of every address marked below."),
            )
        if report.unconfirmed:
            messages.error(
                request,
                _(
                    "Nothing was saved: this file removes stored values or changes consent "
                    "dates. Check them in red below, tick the confirmation box and import again."
                ),
            )
        if not report.saved:  # a preview, unconfirmed, or the register changed since the preview
            _store_checked(pending, report, choices)
            request.session[SESSION_KEY] = pending
            return self._import_render(
                request, form=form, report=report, token=pending["token"], read=read
            )
        return self._import_done(request, report.counts)

    def _import_done(self, request: HttpRequest, counts: dict[str, int]) -> HttpResponse:
        self._import_forget(request)
        messages.success(
            request,
            _("Imported: %(new)d new, %(updated)d updated, %(unchanged)d unchanged.") % counts,
        )
        opts = self.opts
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    def _import_run(
        self,
        request: HttpRequest,
        data: bytes,
        name: str,
        group: ZaloGroup | None,
        choices: ImportChoices,
        *,
        commit: bool,
        confirmed: bool = False,
    ) -> tuple[ReadFile, ImportReport]:
        read = read_file(
            io.BytesIO(data),
            name,
            encodings=choices.encodings,
            old_addresses=choices.old_addresses,
            address_choices=choices.addresses,
        )
        report = member_import(
            actor=request.user,
            rows=read.rows,
            default_group=group,
            commit=commit,
            confirmed=confirmed,
            source=PurePath(name).name,
            addresses=read.addresses,
        )
        return read, report

    def _import_render(
        self,
        request: HttpRequest,
        *,
        form: MemberImportForm,
        report: ImportReport | None,
        token: str,
        read: ReadFile | None = None,
    ) -> TemplateResponse:
        shown = []
        if report is not None:
            shown = [
                row
                for index, row in enumerate(report.errors_first())
                # every removal is shown, however many rows there are
                if row.status in (RowStatus.ERROR, RowStatus.AWAITING)
                or row.needs_confirmation
                or row.address is not None
                or index < PREVIEW_ROWS_SHOWN
            ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import members"),
            "form": form,
            "report": report,
            "totals": [(s.value, s.label, report.counts[s.value]) for s in RowStatus]
            if report
            else [],
            "shown_rows": shown,
            "hidden_rows": len(report.rows) - len(shown) if report else 0,
            "token": token,
            "read": read,
            "encodings": [(code, encoding_name(code)) for code in ENCODINGS],
            "clear_mark": CLEAR_MARK,
            "max_upload_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        }
        return TemplateResponse(request, self.member_import_template, context)
