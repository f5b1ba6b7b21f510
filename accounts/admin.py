from axes.admin import AccessAttemptAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services
from .models import User

# Second factors are not edited as rows (their admin would list every commune's devices): a lost
# phone is handled by the "reset two-factor authentication" action on users, scoped like them.
for model in (TOTPDevice, StaticDevice, AccessFailureLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "full_name", "commune", "is_active", "is_staff", "last_login")
    list_filter = ("groups", "commune", "is_active", "is_staff")
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

    actions = ["reset_two_factor"]

    @admin.action(description=_("Reset two-factor authentication"), permissions=["change"])
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet) -> None:
        try:
            count = services.two_factor_reset(actor=request.user, users=list(queryset))
        except (PermissionDenied, ValidationError) as error:
            text = " ".join(getattr(error, "messages", [])) or _("You may not do this.")
            self.message_user(request, text, messages.ERROR)
        else:
            self.message_user(
                request,
                _(
                    "Two-factor authentication reset for %(count)d users: "
                    "they enrol again at their next login."
                )
                % {"count": count},
                messages.SUCCESS,
            )

    def get_queryset(self, request):
        """The users of the own commune; another commune's staff reads as missing."""
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(commune_id=request.user.commune_id)

    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "commune", "password1", "password2"),
            },
        ),
    )


def _commune_usernames(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Login records of the own commune's users (usernames compared without case, as the
    lockout counts them); a superuser sees every record, unknown usernames included."""
    if request.user.is_superuser:
        return queryset
    usernames = (
        User.objects.filter(commune_id=request.user.commune_id)
        .annotate(key=Lower("username"))
        .values("key")
    )
    return queryset.annotate(username_key=Lower("username")).filter(username_key__in=usernames)


for model in (AccessAttempt, AccessLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(AccessAttempt)
class ScopedAccessAttemptAdmin(AccessAttemptAdmin):
    """Failed logins; deleting a row lifts that username + address's lockout at once."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return _commune_usernames(request, super().get_queryset(request))


@admin.register(AccessLog)
class ScopedAccessLogAdmin(AccessLogAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return _commune_usernames(request, super().get_queryset(request))
