"""Reports in the admin: read-mostly and scoped. Filing and triage go through the services;
the informant's identity is not shown here at all (no inline, no column, no field)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from groups.access import hamlets_for
from groups.admin import ScopedAdmin, ScopedListFilter
from groups.models import ZaloGroup

from . import visibility
from .models import (
    Attachment,
    DeadlineRule,
    IncidentReport,
    InformantReveal,
    ReportEvent,
    ReportSettings,
    TipAccess,
)
from .services import filing_channels, report_assign, report_create
from .tips.services import tip_reply


class ReportHamletFilter(ScopedListFilter):
    title = _("hamlet")
    parameter_name = "hamlet"
    lookup = "hamlet_id"

    def options(self, request: HttpRequest) -> QuerySet:
        return hamlets_for(request.user)


class ReadOnlyInline(admin.TabularInline):
    """Part of the report's page: seen by whoever may view the report."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("reports.view_incidentreport")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReportEventInline(ReadOnlyInline):
    model = ReportEvent
    fields = (
        "created_at",
        "kind",
        "actor",
        "from_status",
        "to_status",
        "assignee",
        "text",
        "shared",
    )
    readonly_fields = fields
    verbose_name_plural = _("Timeline")


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    # No file link: attachments are private and served only by the checked view.
    fields = ("original_name", "content_type", "size", "uploaded_by", "created_at")
    readonly_fields = fields


# The admin's names of report fields that reports/visibility.py names otherwise.
ADMIN_FIELDS = {"informant": "has_informant", "overdue": "is_overdue"}


@admin.register(IncidentReport)
class IncidentReportAdmin(ScopedAdmin):
    list_display = (
        "code",
        "title",
        "hamlet",
        "category",
        "status",
        "urgency",
        "due_at",
        "overdue",
        "assigned_to",
        "created_at",
    )
    list_filter = ("status", "category", "channel", "urgency", ReportHamletFilter)
    search_fields = ("code", "title")
    list_select_related = ("hamlet", "assigned_to")
    ordering = ("-created_at", "-pk")
    list_per_page = 50
    actions = ["assign_to_me"]
    inlines = [ReportEventInline, AttachmentInline]
    fieldsets = (
        (None, {"fields": ("code", "hamlet", "people_group", "category", "title", "description")}),
        (
            _("Circumstances"),
            {"fields": ("occurred_at", "location", "latitude", "longitude")},
        ),
        (
            _("Receipt"),
            {"fields": ("channel", "zalo_group", "urgency", "filed_by", "created_at", "informant")},
        ),
        (_("Handling"), {"fields": ("status", "assigned_to", "due_at", "closed_at")}),
        (_("Outcome"), {"fields": ("valuable_tip", "solved_by_tip", "outcome")}),
    )
    readonly_fields = tuple(field for _title, options in fieldsets for field in options["fields"])

    # Filing in the admin (a phone call, a visit) goes through report_create; no informant here.
    add_fieldsets = (
        (None, {"fields": ("hamlet", "people_group", "category", "title", "description")}),
        (_("Circumstances"), {"fields": ("occurred_at", "location", "latitude", "longitude")}),
        (_("Receipt"), {"fields": ("channel", "zalo_group", "urgency")}),
    )

    def get_fieldsets(self, request: HttpRequest, obj=None):
        if obj is None:
            return self.add_fieldsets
        # What reports/visibility.py lets the user read of this report (staff triage: all).
        readable = visibility.readable_fields(request.user, obj)
        shown = [
            (
                title,
                {"fields": [f for f in options["fields"] if ADMIN_FIELDS.get(f, f) in readable]},
            )
            for title, options in self.fieldsets
        ]
        return [(title, options) for title, options in shown if options["fields"]]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.readonly_fields if obj else ()

    def get_inline_instances(self, request: HttpRequest, obj=None):
        if obj is None or "timeline" not in visibility.readable_fields(request.user, obj):
            return []
        return super().get_inline_instances(request, obj)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "zalo_group":
            kwargs["queryset"] = ZaloGroup.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "channel":  # the channels report_create accepts from this user
            channels = filing_channels(request.user)
            kwargs["choices"] = [(v, label) for v, label in db_field.choices if v in channels]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def service_save(self, request: HttpRequest, obj: IncidentReport) -> None:
        fields = [f for _title, options in self.add_fieldsets for f in options["fields"]]
        created = report_create(actor=request.user, **{f: getattr(obj, f) for f in fields})
        for field in IncidentReport._meta.concrete_fields:  # the admin goes on with `obj`
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state = created._state

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # triage goes through the services

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_triage_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("reports.triage_report")

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, report: IncidentReport) -> bool:
        return report.is_overdue

    @admin.display(description=_("informant"))
    def informant(self, report: IncidentReport) -> str:
        """Whether an identity was recorded, never whose."""
        return _("Recorded (sealed)") if report.has_informant else "—"

    @admin.action(description=_("Assign the selected reports to me"), permissions=["triage"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet) -> None:
        try:
            count = report_assign(actor=request.user, reports=queryset, assignee=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        except PermissionDenied:
            self.message_user(request, _("You may not assign these reports."), messages.ERROR)
        else:
            self.message_user(
                request, _("%(count)d reports assigned.") % {"count": count}, messages.SUCCESS
            )


@admin.register(InformantReveal)
class InformantRevealAdmin(admin.ModelAdmin):
    """The reveal log, for the commune police lead (reports.view_informantreveal): read only,
    nothing can be added, changed or deleted (the model has no such permissions)."""

    list_display = ("created_at", "user", "report_code", "reason")
    list_filter = ("created_at",)
    list_select_related = ("user", "report")
    search_fields = ("report__code", "user__username", "user__full_name")
    fields = ("created_at", "user", "report_code", "reason")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        reports = IncidentReport.objects.visible_to(request.user)
        return super().get_queryset(request).filter(report__in=reports)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("report"), ordering="report__code")
    def report_code(self, reveal: InformantReveal) -> str:
        return reveal.report.code


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(ScopedAdmin):
    list_display = ("commune", "urgency", "category", "hours")
    list_filter = ("urgency", "category")


@admin.register(ReportSettings)
class ReportSettingsAdmin(ScopedAdmin):
    list_display = ("commune", "retention_months")


@admin.register(TipAccess)
class TipAccessAdmin(ScopedAdmin):
    """Anonymous tips and the public reply their tipster reads with the tracking code. The
    code's hash is not shown; the reply is written through tips.services.tip_reply."""

    list_display = ("report_code", "hamlet", "category", "status", "created_at", "replied")
    list_select_related = ("report__hamlet",)
    search_fields = ("report__code",)
    ordering = ("-created_at", "-pk")
    fields = ("report_code", "hamlet", "category", "status", "created_at", "public_reply")
    readonly_fields = ("report_code", "hamlet", "category", "status", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a tip is filed by a tipster only

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_change_permission(request, obj) and request.user.has_perm(
            "reports.triage_report"
        )

    def service_save(self, request: HttpRequest, obj: TipAccess) -> None:
        tip_reply(actor=request.user, access=obj, text=obj.public_reply)

    @admin.display(description=_("report"), ordering="report__code")
    def report_code(self, access: TipAccess) -> str:
        return access.report.code

    @admin.display(description=_("hamlet"))
    def hamlet(self, access: TipAccess) -> str:
        return str(access.report.hamlet)

    @admin.display(description=_("category"))
    def category(self, access: TipAccess) -> str:
        return access.report.get_category_display()

    @admin.display(description=_("status"))
    def status(self, access: TipAccess) -> str:
        return access.report.get_status_display()

    @admin.display(description=_("replied"), boolean=True)
    def replied(self, access: TipAccess) -> bool:
        return bool(access.public_reply)
