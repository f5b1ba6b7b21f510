"""The audit page: who changed what in the commune, filterable, paged, exportable."""

from __future__ import annotations

import datetime

from auditlog.models import LogEntry
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from binhyen.dates import local_midnight
from binhyen.files import download_response
from binhyen.pagination import capped_total
from binhyen.spreadsheets import CSV_TYPE, XLSX_TYPE, table_csv, table_xlsx
from groups.access import users_for

from .audit import AuditRow, audit_entries_visible_to, audit_rows, audited_models
from .forms import AuditFilterForm

PAGE_SIZE = 50
COUNT_CAP = 1000  # the total stops counting here ("more than 1,000")
MAX_PAGE = 10_000
EXPORT_LIMIT = 50_000  # rows in one export: narrow the filters for more
EXPORT_CHUNK = 2000


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, QuerySet[LogEntry]]:
    user = request.user
    models = audited_models(user)
    entries = audit_entries_visible_to(user)
    actors = users_for(user).order_by("username")
    form = AuditFilterForm(request.GET or None, models=models, actors=actors)
    if form.is_valid():
        data = form.cleaned_data
        if data["model"]:
            app_label, model_name = data["model"].split(".")
            entries = entries.filter(
                content_type=ContentType.objects.get_by_natural_key(app_label, model_name)
            )
        if data["actor"]:
            entries = entries.filter(actor=data["actor"])
        if data["action"] is not None:
            entries = entries.filter(action=data["action"])
        if data["since"]:
            entries = entries.filter(timestamp__gte=local_midnight(data["since"]))
        if data["until"]:
            end = local_midnight(data["until"] + datetime.timedelta(days=1))
            entries = entries.filter(timestamp__lt=end)
    elif form.is_bound:
        entries = entries.none()
    return form, entries.select_related("content_type", "actor").order_by("-timestamp", "-pk")


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Every change the user may read (the register, reports, users' roles…), newest first."""
    if not request.user.has_perm("auditlog.view_logentry"):
        raise PermissionDenied
    form, entries = _filtered(request)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        return _export(entries, fmt)
    raw = request.GET.get("page") or "1"
    if not raw.isdecimal() or not 1 <= int(raw) <= MAX_PAGE:
        raise Http404
    number = int(raw)
    start = (number - 1) * PAGE_SIZE
    rows = list(entries[start : start + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    del rows[PAGE_SIZE:]
    if not rows and number > 1:
        raise Http404
    count, exact = capped_total(
        entries, cap=COUNT_CAP, start=start, on_page=len(rows), has_next=has_next
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "rows": audit_rows(rows),
        "count": count,
        "count_exact": exact,
        "page": number,
        "has_next": has_next,
        "query": query.urlencode(),
    }
    return render(request, "accounts/logentry_list.html", context)


HEADERS = (
    gettext_lazy("When"),
    gettext_lazy("By"),
    gettext_lazy("Action"),
    gettext_lazy("Record type"),
    gettext_lazy("Record"),
    gettext_lazy("Changes"),
)


def _export(entries: QuerySet[LogEntry], fmt: str) -> HttpResponse:
    def cells(row: AuditRow) -> list[str]:
        changes = "; ".join(f"{c.field}: {c.text}" for c in row.changes)
        when = row.when.strftime("%d/%m/%Y %H:%M:%S")
        return [when, row.actor, row.action, row.model, row.entry.object_repr, changes]

    def rows():
        # In chunks, each read like a page (audit_rows: a fixed number of queries per chunk).
        chunk: list[LogEntry] = []
        for entry in entries[:EXPORT_LIMIT].iterator(chunk_size=EXPORT_CHUNK):
            chunk.append(entry)
            if len(chunk) == EXPORT_CHUNK:
                yield from (cells(row) for row in audit_rows(chunk))
                chunk = []
        yield from (cells(row) for row in audit_rows(chunk))

    headers = [str(header) for header in HEADERS]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        content = table_xlsx(
            headers, rows(), title=_("Audit log")[:31], widths=(20, 24, 12, 22, 32, 80)
        )
        content_type, name = XLSX_TYPE, f"nhat-ky-{stamp}.xlsx"
    else:
        content, content_type, name = table_csv(headers, rows()), CSV_TYPE, f"nhat-ky-{stamp}.csv"
    return download_response(content, content_type=content_type, filename=name)
