"""The review's settings in the admin: the commune's document header and signature, and the
criteria of the safety assessment (data, to be checked against the official text). Reviews
themselves are worked on in their own pages (reviews/views.py), through the services."""

from django.contrib import admin

from groups.admin import ScopedAdmin

from .models import ReviewSettings, SafetyCriterion


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(ScopedAdmin):
    list_display = ("commune", "issuing_body", "signer_title", "period_kind")
    fields = (
        "commune",
        "higher_body",
        "issuing_body",
        "number_suffix",
        "place_name",
        "signer_on_behalf",
        "signer_title",
        "signer_name",
        "recipients",
        "period_kind",
    )


@admin.register(SafetyCriterion)
class SafetyCriterionAdmin(admin.ModelAdmin):
    list_display = ("order", "text", "source", "to_verify", "active")
    list_display_links = ("text",)
    list_editable = ("order", "active")
    list_filter = ("active", "to_verify")
    search_fields = ("text",)
