"""Filters shared by the apps' FilterSets."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms

# The largest id a row can have (a 64-bit primary key). A larger number in a query string is
# an id of nothing; passed on to SQLite it would be a server error (Python's int overflows).
MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """A filter on a row's id (a foreign key): a whole number from 1 to MAX_ID, else the
    filter answers 400 like any other invalid value (django-filter's NumberFilter takes
    decimals and numbers of any size)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
