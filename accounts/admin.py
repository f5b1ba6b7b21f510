from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


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
