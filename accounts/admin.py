from axes.admin import AccessAttemptAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django_celery_beat.admin import (
    ClockedScheduleAdmin,
    CrontabScheduleAdmin,
    IntervalScheduleAdmin,
    PeriodicTaskAdmin,
    PeriodicTaskInline,
    SolarScheduleAdmin,
)
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from groups.access import users_for

from . import services
from .models import User
from .roles import Role

# Second factors are not edited as rows (their admin would list every commune's devices): a lost
# phone is handled by the "reset two-factor authentication" action on users, scoped like them.
for model in (TOTPDevice, StaticDevice, AccessFailureLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


def role_label(group: Group) -> str:
    """A role (an auth group) by its Vietnamese name; a group that is no role by its name."""
    return str(dict(Role.choices).get(group.name, group.name))


# Django names its built-in permissions in English when they are created ("Can add member").
BUILTIN_PERMISSIONS = {
    "add": _("May add %(model)s"),
    "change": _("May change %(model)s"),
    "delete": _("May delete %(model)s"),
    "view": _("May view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    """A permission as the superuser's form lists it, in the active language: the built-in
    ones by their action on the model, ours by their (translated) name."""
    model = permission.content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if model is not None and action in BUILTIN_PERMISSIONS and model_name == model._meta.model_name:
        text = BUILTIN_PERMISSIONS[action] % {"model": model._meta.verbose_name}
    else:
        text = _(permission.name)  # our own permissions' names are msgids
    return f"{permission.content_type} | {text}"


# Bookkeeping tables of django-axes and django-celery-beat, with no name of their own: nobody is
# given a permission on them, so the permission lists leave them out.
INTERNAL_MODELS = Q(
    content_type__app_label="axes", content_type__model="accessattemptexpiration"
) | Q(content_type__app_label="django_celery_beat", content_type__model="periodictasks")


def permission_choices() -> QuerySet:
    return Permission.objects.exclude(INTERNAL_MODELS).select_related("content_type")


class RoleFilter(admin.SimpleListFilter):
    """Accounts by role, named in Vietnamese (the groups filter would list the roles' codes)."""

    title = _("role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return list(Role.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(groups__name=self.value()) if self.value() else queryset


# Fields only a superuser sets: the form of anyone else has none of them, so a request that
# carries one was forged; it is refused and logged.
SUPERUSER_FIELDS = ("is_superuser", "is_staff", "user_permissions", "commune")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts. A superuser has Django's full form. The holder of
    `accounts.manage_commune_users` administers the accounts of their commune with a narrower
    one (no superuser or staff flag, direct permissions or commune; the roles they may give and
    their commune's hamlets) and only accounts holding no more rights than they do; every save
    goes through accounts.services (user_create, user_update), which checks the same again."""

    list_display = (
        "username",
        "full_name",
        "role_names",
        "commune",
        "is_active",
        "is_staff",
        "last_login",
    )
    # Only the communes of the accounts listed (another commune's name is not for the police).
    list_filter = (
        RoleFilter,
        ("commune", admin.RelatedOnlyFieldListFilter),
        "is_active",
        "is_staff",
    )
    search_fields = ("username", "full_name", "email", "phone")
    filter_horizontal = ("groups", "user_permissions", "hamlets")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "email", "phone")}),
        (_("Scope"), {"fields": ("commune", "hamlets")}),
        (
            _("Roles and permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "commune", "password1", "password2"),
            },
        ),
    )
    # The commune administrator's forms (see the class docstring).
    commune_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "email", "phone")}),
        (_("Scope"), {"fields": ("hamlets",)}),
        (_("Roles and permissions"), {"fields": ("is_active", "groups")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    commune_add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("username", "full_name", "password1", "password2")},
        ),
        (_("Scope"), {"fields": ("hamlets",)}),
        (_("Roles and permissions"), {"fields": ("groups",)}),
    )

    actions = ["reset_two_factor", "lift_lockout"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """The accounts of the own commune; another commune's read as missing."""
        accounts = super().get_queryset(request) & users_for(request.user)
        return accounts.prefetch_related("groups")

    @admin.display(description=_("Roles"))
    def role_names(self, obj: User) -> str:
        return ", ".join(str(role.label) for role in obj.roles) or "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        if request.user.is_superuser:
            return super().has_add_permission(request)
        return services.may_administer_users(request.user)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if request.user.is_superuser:
            return super().has_change_permission(request, obj)
        if obj is None:
            return services.may_administer_users(request.user)
        return services.may_manage_user(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Accounts are deactivated, not deleted, except by a superuser.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> tuple:
        if request.user.is_superuser:
            fieldsets = super().get_fieldsets(request, obj)
        else:
            fieldsets = self.commune_fieldsets if obj else self.commune_add_fieldsets
        if obj is not None and not self.has_change_permission(request, obj):
            # Read only, the roles print as text: by their names, not the groups' codes.
            fieldsets = tuple(
                (title, {**options, "fields": _renamed(options["fields"], "groups", "role_names")})
                for title, options in fieldsets
            )
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> tuple:
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ("last_login", "date_joined")

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        labels = None
        if db_field.name == "groups":
            kwargs["queryset"] = services.grantable_roles(request.user)
            kwargs["label"] = _("Roles")
            kwargs["help_text"] = _("Each role gives the permissions of its work.")
            labels = role_label
        elif db_field.name == "hamlets":
            kwargs["queryset"] = services.assignable_hamlets(request.user).select_related("commune")
        elif db_field.name == "user_permissions":
            kwargs["queryset"] = permission_choices()
            labels = permission_label
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and labels is not None:
            field.label_from_instance = labels  # the choices' labels, as a subclass would
        return field

    @method_decorator(sensitive_post_parameters())
    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None):
        self._refuse_forged_post(request, None, request.POST.get("username", ""))
        return super().add_view(request, form_url, extra_context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ):
        """Another commune's account reads as missing (404, not Django's redirect to the
        index), after the model's permission as in Django (403 first)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            if request.method == "POST":
                services.user_admin_refused(
                    actor=request.user, action="change", target=object_id, reason="out of scope"
                )
                allowed = self.has_change_permission(request)
            else:
                allowed = self.has_view_or_change_permission(request)
            if allowed:
                raise Http404
        self._refuse_forged_post(request, obj, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def _refuse_forged_post(self, request: HttpRequest, obj: User | None, target: str) -> None:
        """A non-superuser's POST without the permission, on an account they may not manage,
        or carrying what their form does not offer: refused (403) and logged before the form
        is read."""
        if request.method != "POST" or request.user.is_superuser:
            return
        if not services.may_administer_users(request.user):
            reason = "no permission to administer users"
        elif obj is not None and not self.has_change_permission(request, obj):
            reason = "not an account they may manage"
        else:
            reason = self._forged(request)
        if reason:
            action = "create" if obj is None else "change"
            services.user_admin_refused(
                actor=request.user, action=action, target=target, reason=reason
            )
            raise PermissionDenied

    def _forged(self, request: HttpRequest) -> str:
        """Why a non-superuser's POST is refused outright, or "" (the form checks the rest)."""
        sent = [name for name in SUPERUSER_FIELDS if name in request.POST]
        if sent:
            return f"fields only a superuser sets: {', '.join(sent)}"
        offered = {
            "groups": services.grantable_roles(request.user),
            "hamlets": services.assignable_hamlets(request.user),
        }
        for name, allowed in offered.items():
            pks = {str(pk) for pk in allowed.values_list("pk", flat=True)}
            if not set(request.POST.getlist(name)) <= pks:
                return f"{name} not offered to them"
        return ""

    @method_decorator(sensitive_post_parameters())
    def user_change_password(self, request: HttpRequest, id: str, form_url: str = ""):
        """Setting a password: on an account the actor may manage only (Django's view checks
        the permission, then answers 404 for an account out of scope); refusals are logged."""
        user = self.get_object(request, unquote(id))
        allowed = user is not None and self.has_change_permission(request, user)
        if not allowed and request.method == "POST":
            services.user_admin_refused(
                actor=request.user, action="set password", target=id, reason="not manageable"
            )
        return super().user_change_password(request, id, form_url)

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        """One way in: the services decide and save, roles and hamlets included."""
        related = {
            name: list(form.cleaned_data[name])
            for name in ("groups", "hamlets", "user_permissions")
            if name in form.cleaned_data
        }
        if change:
            services.user_update(actor=request.user, user=obj, **related)
        else:
            services.user_create(actor=request.user, user=obj, **related)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        # Roles, hamlets and permissions were saved by the service (save_model).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        """An action on accounts out of scope: Django drops them from the selection; the
        attempt is logged."""
        if request.method == "POST" and request.POST.get("action"):
            selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
            seen = self.get_queryset(request).filter(pk__in=[s for s in selected if s.isdigit()])
            unseen = set(selected) - {str(pk) for pk in seen.values_list("pk", flat=True)}
            if unseen:
                services.user_admin_refused(
                    actor=request.user,
                    action=request.POST["action"],
                    target=sorted(unseen),
                    reason="out of scope",
                )
        return super().changelist_view(request, extra_context)

    def _run(self, request: HttpRequest, service, users: list[User], done: str) -> None:
        try:
            count = service(actor=request.user, users=users)
        except (PermissionDenied, ValidationError) as error:
            text = " ".join(getattr(error, "messages", [])) or _("You may not do this.")
            self.message_user(request, text, messages.ERROR)
        else:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Reset two-factor authentication"), permissions=["change"])
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet):
        """The new enrolment codes are shown once, on the answer itself (never in a message,
        which may travel in a cookie)."""
        try:
            codes = services.two_factor_reset(actor=request.user, users=list(queryset))
        except (PermissionDenied, ValidationError) as error:
            text = " ".join(getattr(error, "messages", [])) or _("You may not do this.")
            self.message_user(request, text, messages.ERROR)
            return None
        return self._enrolment_codes(request, codes)

    def _enrolment_codes(self, request: HttpRequest, codes: dict[User, str]):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "codes": sorted(codes.items(), key=lambda item: item[0].username),
            "hours": settings.ENROLMENT_CODE_TTL_HOURS,
            "title": _("Enrolment codes"),
        }
        response = TemplateResponse(request, "admin/accounts/user/enrolment_codes.html", context)
        add_never_cache_headers(response)
        return response

    def response_add(self, request: HttpRequest, obj: User, post_url_continue=None):
        code = getattr(obj, "new_enrolment_code", None)
        if code is None:
            return super().response_add(request, obj, post_url_continue)
        return self._enrolment_codes(request, {obj: code})

    @admin.action(description=_("Lift the login lockout"), permissions=["change"])
    def lift_lockout(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run(
            request,
            services.lockout_lift,
            list(queryset),
            _("Login lockout lifted: %(count)d failed-login records removed."),
        )


def _commune_usernames(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Login records of the accounts the user sees (users_for; usernames compared without
    case, as the lockout counts them); a superuser sees every record, unknown usernames
    included."""
    if request.user.is_superuser:
        return queryset
    usernames = users_for(request.user).annotate(key=Lower("username")).values("key")
    return queryset.annotate(username_key=Lower("username")).filter(username_key__in=usernames)


for model in (AccessAttempt, AccessLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class LoginRecordNames:
    """django-axes names its rows in English ("Access Log for clerk @ 2026-12-04 20:33:37+00:00"):
    the admin's pages name them in Vietnamese, local time (record_label), through the views'
    context, the selection checkbox and the delete summary; templates/admin/axes/ print the
    breadcrumbs with it."""

    record_text = _("%(username)s at %(time)s")

    def record_label(self, obj) -> str:
        when = dateformat.format(timezone.localtime(obj.attempt_time), "d/m/Y H:i")
        return self.record_text % {"username": obj.username, "time": when}

    def _named(self, request: HttpRequest, object_id: str, extra_context: dict | None) -> dict:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return extra_context or {}
        label = self.record_label(obj)
        return {**(extra_context or {}), "record_label": label, "record_pk": obj.pk}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = self._named(request, object_id, extra_context)
        context.setdefault("subtitle", context.get("record_label"))
        return super().change_view(request, object_id, form_url, context)

    def history_view(self, request, object_id, extra_context=None):
        context = self._named(request, object_id, extra_context)
        if "record_label" in context:
            context["object"] = context["record_label"]
            context["title"] = _("Change history: %s") % context["record_label"]
        return super().history_view(request, object_id, context)

    def delete_view(self, request, object_id, extra_context=None):
        context = self._named(request, object_id, extra_context)
        if "record_label" in context:
            context["object"] = context["record_label"]
        return super().delete_view(request, object_id, context)

    def get_deleted_objects(self, objs, request: HttpRequest):
        _deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        opts = self.model._meta
        deleted = [
            format_html(
                '{}: <a href="{}">{}</a>',
                capfirst(opts.verbose_name),
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]),
                self.record_label(obj),
            )
            for obj in objs
        ]
        return deleted, counts, perms_needed, protected

    def action_checkbox(self, obj):
        """Django's selection checkbox, labelled with record_label."""
        label = format_html(_("Select this object for an action - {}"), self.record_label(obj))
        checkbox = forms.CheckboxInput({"class": "action-select", "aria-label": label})
        return checkbox.render(helpers.ACTION_CHECKBOX_NAME, str(obj.pk))


def _renamed(names, old: str, new: str) -> list:
    return [new if name == old else name for name in names]


@admin.register(AccessAttempt)
class ScopedAccessAttemptAdmin(LoginRecordNames, AccessAttemptAdmin):
    """Failed logins; deleting a row lifts that username + address's lockout at once.

    django-axes's "expiration" column is labelled by its related model, which has no name
    (the admin prints "access attempt expiration"): the same value as "lockout_ends"."""

    list_display = _renamed(AccessAttemptAdmin.list_display, "expiration", "lockout_ends")
    readonly_fields = _renamed(AccessAttemptAdmin.readonly_fields, "expiration", "lockout_ends")
    fieldsets = [
        (title, {**options, "fields": _renamed(options["fields"], "expiration", "lockout_ends")})
        for title, options in AccessAttemptAdmin.fieldsets
    ]

    @admin.display(description=_("Lockout ends"))
    def lockout_ends(self, obj: AccessAttempt):
        return self.expiration(obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return _commune_usernames(request, super().get_queryset(request))


@admin.register(AccessLog)
class ScopedAccessLogAdmin(LoginRecordNames, AccessLogAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return _commune_usernames(request, super().get_queryset(request))


# DRF's token admin deletes a token itself; ours revokes it through the service, which also
# clears its last use and writes the audit entry (accounts.services.api_token_revoke).
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class RevokingTokenAdmin(TokenAdmin):
    def delete_model(self, request: HttpRequest, obj: TokenProxy) -> None:
        services.api_token_revoke(actor=request.user, user=obj.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for token in queryset.select_related("user"):
            self.delete_model(request, token)


# Roles are auth groups: the superuser's group pages name them and their permissions in Vietnamese.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(DjangoGroupAdmin):
    list_display = ("name", "role_name")

    @admin.display(description=_("Role"))
    def role_name(self, obj: Group) -> str:
        return role_label(obj)

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "permissions":
            kwargs["queryset"] = permission_choices()
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "permissions" and field is not None:
            field.label_from_instance = permission_label
        return field


class TaskNameFilter(admin.AllValuesFieldListFilter):
    """django-celery-beat names its task field in plain English ("Task Name", no msgid)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.title = _("Task Name")


if admin.site.is_registered(PeriodicTask):
    admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class NamedPeriodicTaskAdmin(PeriodicTaskAdmin):
    list_filter = ["enabled", "one_off", ("task", TaskNameFilter), "start_time", "last_run_at"]


class NamedPeriodicTaskInline(PeriodicTaskInline):
    """The tasks of a schedule, their task field labelled in Vietnamese (see TaskNameFilter)."""

    fields = ("name", "task_name", "args", "kwargs")
    readonly_fields = fields

    @admin.display(description=_("Task Name"))
    def task_name(self, obj: PeriodicTask) -> str:
        return obj.task


for _model, _base in (
    (ClockedSchedule, ClockedScheduleAdmin),
    (CrontabSchedule, CrontabScheduleAdmin),
    (SolarSchedule, SolarScheduleAdmin),
    (IntervalSchedule, IntervalScheduleAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(
        _model, type(_base.__name__, (_base,), {"inlines": [NamedPeriodicTaskInline]})
    )
