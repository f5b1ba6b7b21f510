"""What every form of our pages shares."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import BLANK_CHOICE_DASH

# How our pages name "no choice": Django's own is "---------" (a ModelChoiceField's default
# empty_label, and the blank choice of a model field with blank=True).
EMPTY_CHOICE = "—"


class EmptyChoiceMixin:
    """Shows a select's empty choice as EMPTY_CHOICE instead of Django's dashes. A field given
    its own empty label (e.g. "— choose —") keeps it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        dashes = BLANK_CHOICE_DASH[0][1]
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                if field.empty_label == dashes:
                    field.empty_label = EMPTY_CHOICE
            elif isinstance(field, forms.ChoiceField):
                field.choices = [
                    (value, EMPTY_CHOICE if value == "" and label == dashes else label)
                    for value, label in field.choices
                ]
