"""The commune police's main tool: the register in the Django admin, scoped to each user."""

from __future__ import annotations

from auditlog.admin import LogEntryAdmin
from auditlog.mixins import AuditlogHistoryAdminMixin
from auditlog.models import LogEntry
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.audit import (
    actor_label,
    audit_entries_visible_to,
    audit_rows,
    changed_fields,
    origin_label,
)
from accounts.models import User
from accounts.roles import Role
from binhyen.admin_services import ServiceAdminMixin, ServiceInlineMixin
from binhyen.forms import EmptyChoiceAdminMixin, EmptyChoiceMixin
from binhyen.pagination import CappedCountPaginator

from .access import hamlets_for, users_for
from .admin_import import MemberImportMixin
from .filters import options_hamlet
from .geo import read_boundary_file
from .models import (
    Commune,
    Hamlet,
    Member,
    MemberCount,
    PeopleGroup,
    ZaloGroup,
    name_order,
    within_one_commune,
)
from .services import member_mark_left, member_move, register_check, register_delete, register_save


def scoped_choices(db_field_name: str, user: User) -> QuerySet | None:
    """The choices a user may pick for a foreign key of the register: only what is in scope."""
    return {
        "commune": Commune.objects.visible_to(user),
        "hamlet": hamlets_for(user),
        "people_group": PeopleGroup.objects.visible_to(user),
        "group": ZaloGroup.objects.visible_to(user),
        "head": users_for(user),
        "admin_officer": users_for(user),
        "co_admins": users_for(user),
    }.get(db_field_name)


class ScopedHistoryMixin(AuditlogHistoryAdminMixin):
    """The audit history of one row, for a row in scope only (out of scope reads as missing)."""

    show_auditlog_history_link = True

    def auditlog_history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404
        return super().auditlog_history_view(request, object_id, extra_context)


class RegisterServices:
    """Saves and deletes of the register's rows through groups.services, as the API's."""

    def service_check(self, request: HttpRequest, obj: models.Model) -> None:
        register_check(obj)

    def service_save(self, request: HttpRequest, obj: models.Model) -> None:
        register_save(actor=request.user, instance=obj)

    def service_delete(self, request: HttpRequest, obj: models.Model) -> None:
        register_delete(actor=request.user, instance=obj)


class ScopedAdmin(EmptyChoiceAdminMixin, ScopedHistoryMixin, ServiceAdminMixin, admin.ModelAdmin):
    """Lists and edits only what `hamlets_for(user)` covers; anything else reads as missing.
    Saves and deletes go through the app's services (`service_*`, binhyen/admin_services).
    An empty choice reads "—", as on every page of ours (binhyen.forms)."""

    # Links (Zalo invites, posting proofs) are https; also what Django 6 assumes for a link
    # typed without a scheme.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        return queryset.visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        choices = scoped_choices(db_field.name, request.user)
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        choices = scoped_choices(db_field.name, request.user)
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ScopedInlineMixin(EmptyChoiceAdminMixin, ServiceInlineMixin):
    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        choices = scoped_choices(db_field.name, request.user)
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedListFilter(admin.SimpleListFilter):
    """A related filter whose options are only the objects in the user's scope."""

    lookup: str = ""

    def options(self, request: HttpRequest) -> QuerySet | None:
        """The objects to list (each one's str is its label); None when there are none."""
        raise NotImplementedError

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        options = self.options(request)
        if options is None:
            return []
        return [(str(obj.pk), str(obj)) for obj in options]

    def has_output(self) -> bool:
        # A chosen value applies even when its options are not listed (a group filter without a
        # hamlet): Django drops a filter without output, which would silently show everything.
        return bool(self.value()) or super().has_output()

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(**{self.lookup: value})


def filter_hamlet(request: HttpRequest) -> int | None:
    """The hamlet whose people's groups and groups the member filters list (groups.filters)."""
    return options_hamlet(request.GET.get("hamlet", ""), hamlets_for(request.user))


class HamletDependentFilter(ScopedListFilter):
    """Options: the `model`'s objects in scope of the hamlet of `options_hamlet`."""

    model: type[models.Model]

    def options(self, request: HttpRequest) -> QuerySet | None:
        hamlet = filter_hamlet(request)
        if hamlet is None:
            return None
        in_scope = self.model.objects.visible_to(request.user)
        return in_scope.filter(hamlet_id=hamlet).select_related("hamlet")


class HamletFilter(ScopedListFilter):
    title = _("hamlet")
    parameter_name = "hamlet"
    lookup = "group__hamlet_id"

    def options(self, request: HttpRequest) -> QuerySet:
        hamlets = hamlets_for(request.user)
        if within_one_commune(request.user):
            return hamlets.order_by("code")  # the hamlets' own order, without the commune's join
        return hamlets


class PeopleGroupFilter(HamletDependentFilter):
    title = _("people's group")
    parameter_name = "people_group"
    lookup = "people_group_id"
    model = PeopleGroup


class GroupFilter(HamletDependentFilter):
    title = _("Zalo group")
    parameter_name = "group"
    lookup = "group_id"
    model = ZaloGroup


class ActiveFilter(admin.SimpleListFilter):
    title = _("membership")
    parameter_name = "active"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", _("Active")), ("no", _("Left"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(left_on__isnull=True)
        if self.value() == "no":
            return queryset.filter(left_on__isnull=False)
        return queryset


@admin.register(Commune)
class CommuneAdmin(ScopedHistoryMixin, admin.ModelAdmin):
    list_display = ("name", "code", "province", "coverage_target")
    search_fields = ("name", "code")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).visible_to(request.user)


class PeopleGroupInline(RegisterServices, ScopedInlineMixin, admin.TabularInline):
    model = PeopleGroup
    extra = 0
    fields = ("name", "households")


BOUNDARY_FILE_MAX = 2 * 1024 * 1024  # an outline of a hamlet is a few kB; 2 MB is plenty


class HamletAdminForm(forms.ModelForm):
    """The hamlet with its outline given as a .geojson file (a file exported from a mapping
    tool), which replaces the boundary typed in the field."""

    boundary_file = forms.FileField(
        label=_("Boundary file (GeoJSON)"),
        required=False,
        help_text=_(
            "A .geojson file with one Polygon or MultiPolygon (longitude, latitude in WGS 84); "
            "it replaces the boundary above."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,application/geo+json"}),
    )

    class Meta:
        model = Hamlet
        fields = ["commune", "name", "code", "households", "population", "former_names",
                  "latitude", "longitude", "boundary", "head"]  # fmt: skip

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("boundary_file")
        if upload:
            if upload.size > BOUNDARY_FILE_MAX:
                self.add_error("boundary_file", _("The file is larger than 2 MB."))
                return data
            try:
                data["boundary"] = read_boundary_file(upload.read())
            except ValidationError as error:
                self.add_error("boundary_file", error)
                return data
            self.instance.boundary = data["boundary"]
        return data


@admin.register(Hamlet)
class HamletAdmin(RegisterServices, ScopedAdmin):
    form = HamletAdminForm
    list_display = ("name", "code", "commune", "households", "population", "head", "officers")
    list_filter = ("commune",)
    search_fields = ("name", "code", "former_names")
    list_select_related = ("commune", "head")
    readonly_fields = ("officers",)
    inlines = [PeopleGroupInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        officers = User.objects.filter(groups__name=Role.AREA_OFFICER).order_by("full_name")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("users", queryset=officers, to_attr="area_officers"))
        )

    @admin.display(description=_("area officers"))
    def officers(self, hamlet: Hamlet) -> str:
        """Area officers in charge: the users with that role whose hamlets include this one
        (set on the user, under Quản trị → Người dùng)."""
        return ", ".join(str(user) for user in getattr(hamlet, "area_officers", [])) or "—"


@admin.register(PeopleGroup)
class PeopleGroupAdmin(RegisterServices, ScopedAdmin):
    list_display = ("name", "hamlet", "households")
    list_filter = (("hamlet", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name",)
    list_select_related = ("hamlet",)


class MemberInline(RegisterServices, ScopedInlineMixin, admin.TabularInline):
    model = Member
    extra = 0
    fields = ("full_name", "phone", "role", "household", "people_group", "joined_on", "left_on")
    show_change_link = True
    classes = ("collapse",)


class MemberCountInline(admin.TabularInline):
    model = MemberCount
    extra = 0
    fields = ("month", "members", "households")
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = _("Member count history (by month)")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ZaloGroup)
class ZaloGroupAdmin(RegisterServices, ScopedAdmin):
    list_display = ("name", "code", "hamlet", "people_group", "status", "active_members")
    list_filter = ("status", ("hamlet", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "code")
    list_select_related = ("hamlet", "people_group")
    prepopulated_fields = {"code": ("name",)}
    filter_horizontal = ("co_admins",)
    inlines = [MemberInline, MemberCountInline]
    fieldsets = (
        (None, {"fields": ("name", "code", "hamlet", "people_group", "status", "created_on")}),
        (_("Zalo"), {"fields": ("invite_link", "admin_officer", "co_admins")}),
        (_("Group rules"), {"fields": ("rules", "rules_agreed_on")}),
        (_("Notes"), {"fields": ("notes",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(n_active=Count("members", filter=Q(members__left_on__isnull=True)))
        )

    @admin.display(description=_("active members"), ordering="n_active")
    def active_members(self, group: ZaloGroup) -> int:
        return group.n_active


class LeaveForm(forms.Form):
    left_on = forms.DateField(
        label=_("Left on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class MoveForm(EmptyChoiceMixin, forms.Form):
    to_group = forms.ModelChoiceField(label=_("Move to group"), queryset=ZaloGroup.objects.none())

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_group"].queryset = ZaloGroup.objects.visible_to(user).active()


@admin.register(Member)
class MemberAdmin(RegisterServices, MemberImportMixin, ScopedAdmin):
    list_display = (
        "full_name",
        "phone_shown",
        "group",
        "role",
        "people_group",
        "joined_on",
        "left_on",
    )
    list_filter = (HamletFilter, PeopleGroupFilter, GroupFilter, "role", ActiveFilter)
    # What the columns draw: the group's name, the people's group with its hamlet.
    list_select_related = ("group", "people_group__hamlet")
    # The search box is answered by Member.objects.search (see get_search_results).
    search_fields = ("full_name",)
    search_help_text = _(
        "Name without diacritics (e.g. nguyen van duc) or phone in any format (0912 345 678)."
    )
    ordering = ("name_key", "pk")
    # The total of all rows in scope costs a second COUNT over the whole table: not shown.
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50
    actions = ["mark_left", "move_to_group"]
    fieldsets = (
        (None, {"fields": ("full_name", "phone", "zalo_name", "role")}),
        (_("Group"), {"fields": ("group", "people_group", "household")}),
        (_("Dates"), {"fields": ("joined_on", "left_on", "consent_on")}),
        (_("Notes"), {"fields": ("notes",)}),
    )

    @admin.display(description=_("phone"), ordering="phone")
    def phone_shown(self, member: Member) -> str:
        return member.phone_display

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        if not search_term.strip():
            return queryset, False
        return queryset.search(search_term, scope_first=within_one_commune(request.user)), False

    def get_ordering(self, request: HttpRequest):
        if not within_one_commune(request.user):
            return self.ordering
        return name_order(scope_first=True)

    def _confirm_action(
        self, request: HttpRequest, queryset: QuerySet, form: forms.Form, title: str, action: str
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "members": queryset[:200],
            "count": queryset.count(),
            "action": action,
            "opts": self.model._meta,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/groups/member/confirm_action.html", context)

    @admin.action(description=_("Mark selected members as left"), permissions=["change"])
    def mark_left(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = LeaveForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._confirm_action(
                request, queryset, form, _("Mark members as left"), "mark_left"
            )
        return self._run(
            request,
            lambda: member_mark_left(
                actor=request.user, members=queryset, left_on=form.cleaned_data["left_on"]
            ),
            _("%(count)d members marked as left."),
        )

    @admin.action(description=_("Move selected members to another group"), permissions=["change"])
    def move_to_group(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        data = request.POST if "apply" in request.POST else None
        form = MoveForm(data, user=request.user)
        if not form.is_valid():
            return self._confirm_action(
                request, queryset, form, _("Move members to another group"), "move_to_group"
            )
        return self._run(
            request,
            lambda: member_move(
                actor=request.user, members=queryset, to_group=form.cleaned_data["to_group"]
            ),
            _("%(count)d members moved."),
        )

    def _run(self, request: HttpRequest, service, success: str) -> None:
        try:
            count = service()
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        except PermissionDenied:
            self.message_user(request, _("You may not change these members."), messages.ERROR)
        else:
            self.message_user(request, success % {"count": count}, messages.SUCCESS)
        return None


admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class ScopedLogEntryAdmin(LogEntryAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return audit_entries_visible_to(request.user).select_related("content_type", "actor")

    @admin.display(description=_("User"))
    def user_url(self, obj: LogEntry) -> str:
        """The user (linked), and the task or command that made the change (not "system")."""
        if not obj.actor_id:
            return actor_label(obj)
        origin = origin_label(obj)
        link = super().user_url(obj)
        return format_html("{} ({})", link, origin) if origin else link

    # auditlog's own columns print "2 changes: due_at, status" and raw values: ours read as the
    # audit page reads (accounts.audit), with the fields' labels.
    @admin.display(description=_("Changes"))
    def msg_short(self, obj: LogEntry) -> str:
        return ", ".join(changed_fields(obj))

    @admin.display(description=_("Changes"))
    def msg(self, obj: LogEntry) -> str:
        changes = audit_rows([obj])[0].changes
        return format_html_join(
            mark_safe("<br>"), "<strong>{}</strong>: {}", ((c.field, c.text) for c in changes)
        )

    @admin.display(description=_("Correlation ID"))
    def cid_url(self, obj: LogEntry) -> str:
        return super().cid_url(obj)
