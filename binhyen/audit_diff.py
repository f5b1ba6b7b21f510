"""auditlog's model_instance_diff for many instances of one model: the `changes` of the audit
entries that bulk writes (which send no signals) record themselves.

model_instance_diff works out, for every call, which fields to compare (the model's fields, the
registry's include and exclude lists) and reads each through auditlog's get_field_value; for an
import of 10,000 rows that took longer than writing them. Here the fields are worked out once,
in the same way and the same order, and the plain ones (text, numbers, dates, foreign keys as
ids) are read directly, as get_field_value reads them; any other (date-times, JSON, reverse
relations) still goes through get_field_value. The result is model_instance_diff's, key order
included (groups/tests/test_import_bulk.py compares them).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from auditlog.diff import get_field_value, get_mask_function, track_field
from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.utils.encoding import smart_str
from django.utils.functional import Promise

_Reader = Callable[[models.Model], Any]
# get_field_value of a missing instance (`old` of a creation): its default, which for a
# missing instance is always None, as text.
_ABSENT = "None"


class InstanceDiff:
    """`diff(old, new)` gives model_instance_diff(old, new) for instances of `model`."""

    def __init__(self, model: type[models.Model]) -> None:
        self.registered = auditlog.get_model_fields(model)
        # As model_instance_diff builds them: a set, then filtered (its iteration order is the
        # order of the keys of the result).
        created = {f for f in model._meta.get_fields() if track_field(f)}
        updated = set(model._meta.fields + model._meta.fields)
        self.created = [(f, self._reader(f)) for f in self._filtered(created)]
        self.updated = [(f, self._reader(f)) for f in self._filtered(updated)]
        mask_callable = self.registered.get("mask_callable")
        self.mask = get_mask_function(mask_callable) if self.registered["mask_fields"] else None

    def _filtered(self, fields: set[models.Field]) -> list[models.Field] | set[models.Field]:
        include, exclude = self.registered["include_fields"], self.registered["exclude_fields"]
        if not (include or exclude) or not fields:
            return fields
        kept = [f for f in fields if f.name in include] if include else fields
        return [f for f in kept if f.name not in exclude] if exclude else kept

    def _reader(self, field: models.Field) -> _Reader:
        """How get_field_value reads `field` of an instance (use_json_for_changes off)."""
        if not isinstance(field, models.Field) or isinstance(
            field, models.DateTimeField | models.JSONField
        ):
            return lambda obj: get_field_value(obj, field)
        if field.is_relation:
            if settings.AUDITLOG_USE_FK_STRING_REPRESENTATION or not hasattr(field, "rel_class"):
                return lambda obj: get_field_value(obj, field)
            attname = field.attname

            def key(obj: models.Model) -> Any:
                value = getattr(obj, attname)
                return value if value is None or type(value) is int else _text(value, True)

            return key
        name = field.name
        return lambda obj: _text(getattr(obj, name))

    def diff(
        self, old: models.Model | None, new: models.Model
    ) -> dict[str, tuple[str, str]] | None:
        fields = self.created if old is None else self.updated
        changes = {}
        for field, read in fields:
            before = _ABSENT if old is None else read(old)
            after = read(new)
            if before == after:
                continue
            if self.mask is not None and field.name in self.registered["mask_fields"]:
                changes[field.name] = (self.mask(smart_str(before)), self.mask(smart_str(after)))
            else:
                changes[field.name] = (_text(before), _text(after))
        return changes or None


def _text(value: Any, strings_only: bool = False) -> Any:
    """smart_str (as auditlog calls it), with text, most values, taken as it is."""
    if type(value) is str:
        return value
    if not strings_only and type(value) in (int, datetime.date):
        return str(value)  # what smart_str gives them
    value = smart_str(value, strings_only=strings_only)
    return str(value) if isinstance(value, Promise) else value
