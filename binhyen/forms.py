"""What every form of our pages shares."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import BLANK_CHOICE_DASH

# How our pages name "no choice": Django's own is "---------" (a ModelChoiceField's default
# empty_label, and the blank choice of a model field with blank=True).
EMPTY_CHOICE = "—"


_DASHES = BLANK_CHOICE_DASH[0][1]
# The admin's action menu starts with this instead of Django's BLANK_CHOICE_DASH.
EMPTY_ACTION_CHOICE = [("", EMPTY_CHOICE)]


def empty_choice_shown(field: forms.Field | None) -> forms.Field | None:
    """The field, with its select's empty choice shown as EMPTY_CHOICE instead of Django's
    dashes. A field given its own empty label (e.g. "— choose —") keeps it."""
    if isinstance(field, forms.ModelChoiceField):
        if field.empty_label == _DASHES:
            field.empty_label = EMPTY_CHOICE
    elif isinstance(field, forms.ChoiceField):
        field.choices = [
            (value, EMPTY_CHOICE if value == "" and label == _DASHES else label)
            for value, label in field.choices
        ]
    return field


class EmptyChoiceMixin:
    """A form whose selects show their empty choice as EMPTY_CHOICE (empty_choice_shown)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            empty_choice_shown(field)


class EmptyChoiceAdminMixin:
    """The same in a ModelAdmin or inline of ours: its form fields and its action menu."""

    def formfield_for_dbfield(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        return empty_choice_shown(super().formfield_for_dbfield(db_field, request, **kwargs))

    def get_action_choices(self, request: Any, default_choices: Any = None) -> list:
        return super().get_action_choices(request, default_choices=EMPTY_ACTION_CHOICE)
