"""Bulletins in the admin: read-mostly and scoped. Writing, the workflow and the checklist go
through the pages (bulletins/views.py) and the services, so the admin cannot skip sanitising,
the approval by another person or the security check. The commune's settings, the question
log and the guide library are edited here, through the same services as every other door
(binhyen/admin_services.py)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from binhyen.admin_services import ServiceAdminMixin
from groups.admin import ScopedAdmin

from .models import Bulletin, BulletinSettings, Guide, Posting, ProcedureQuestion
from .services import (
    guide_delete,
    guide_save,
    question_check,
    question_delete,
    question_save,
)


class ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdmin):
    list_display = ("title", "theme", "status", "author", "published_at", "page")
    list_filter = ("status", "theme")
    search_fields = ("title",)
    date_hierarchy = "created_at"
    list_select_related = ("author",)
    exclude = ("hamlets",)

    @admin.display(description=_("page"))
    def page(self, bulletin: Bulletin) -> str:
        url = reverse("bulletins:bulletin-detail", args=[bulletin.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open"))


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    list_display = ("bulletin", "group", "due_at", "status", "posted_at", "posted_by")
    list_filter = ("status",)
    list_select_related = ("bulletin", "group", "posted_by")
    show_full_result_count = False  # a million rows: no exact COUNT(*) per page
    raw_id_fields = ("bulletin", "group", "posted_by")
    exclude = ("proof_image",)  # a private file has no URL: linked through its checked view
    readonly_fields = ("proof",)

    @admin.display(description=_("proof screenshot"))
    def proof(self, posting: Posting) -> str:
        if not posting.proof_image:
            return "—"
        url = reverse("bulletins:posting-proof", args=[posting.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open"))


@admin.register(Guide)
class GuideAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """The library's text: saved through guide_save, which sanitises the body (shown marked
    safe on the guide's page and copied into bulletins)."""

    list_display = ("title", "procedure", "needs_verification", "updated_at")

    def service_save(self, request: HttpRequest, obj: Guide) -> None:
        guide_save(actor=request.user, guide=obj)

    def service_delete(self, request: HttpRequest, obj: Guide) -> None:
        guide_delete(actor=request.user, guide=obj)


@admin.register(ProcedureQuestion)
class ProcedureQuestionAdmin(ScopedAdmin):
    list_display = ("date", "procedure", "group", "count", "recorded_by")
    list_filter = ("procedure",)
    date_hierarchy = "date"
    list_select_related = ("group", "recorded_by")
    exclude = ("recorded_by",)

    # The same rules as the officers' page (question_record): through the services.
    def service_check(self, request: HttpRequest, obj: ProcedureQuestion) -> None:
        question_check(obj)

    def service_save(self, request: HttpRequest, obj: ProcedureQuestion) -> None:
        question_save(actor=request.user, question=obj)

    def service_delete(self, request: HttpRequest, obj: ProcedureQuestion) -> None:
        question_delete(actor=request.user, question=obj)


@admin.register(BulletinSettings)
class BulletinSettingsAdmin(ScopedAdmin):
    list_display = (
        "commune",
        "weekly_limit",
        "reminder_times",
        "escalate_after_days",
        "posting_due_hours",
    )
