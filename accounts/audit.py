"""The audit log, scoped: which django-auditlog entries a user may read, and how they read.

One queryset (`audit_entries_visible_to`) serves the admin's log and the audit page. Every model
registered with auditlog whose default manager has `visible_to(user)` is included, scoped by it,
so that bulletins, reviews and whatever comes next are audited here the day they are registered;
users (role assignments) are scoped by `groups.access.users_for` (the own commune). A model with
no scope shows to superusers only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from groups.access import users_for

from .models import User
from .roles import Role


def _visible(model: type[models.Model], user: User) -> QuerySet | None:
    if model is User:
        return users_for(user) if user.commune_id else None
    manager = model._default_manager
    if hasattr(manager, "visible_to"):
        return manager.visible_to(user)
    return None


def audited_models(user: User) -> list[type[models.Model]]:
    """The audited models whose entries the user may read some of."""
    models_ = sorted(auditlog.get_models(), key=lambda m: str(m._meta.verbose_name))
    if user.is_active and user.is_superuser:
        return models_
    return [model for model in models_ if _visible(model, user) is not None]


def audit_entries_visible_to(user: User) -> QuerySet[LogEntry]:
    """Audit entries about rows the user can see now: another commune's history (names, phones
    in the changes) stays out of sight, like the rows themselves."""
    if user.is_active and user.is_superuser:
        return LogEntry.objects.all()
    query = Q(pk__in=[])
    for model in auditlog.get_models():
        visible = _visible(model, user)
        if visible is None:
            continue
        content_type = ContentType.objects.get_for_model(model)
        query |= Q(content_type=content_type, object_id__in=visible.order_by().values("pk"))
    return LogEntry.objects.filter(query)


@dataclass(frozen=True)
class Change:
    field: str
    text: str


def changes_of(entry: LogEntry) -> Iterator[Change]:
    """Each changed field as "old → new" (or "+ added / − removed" for many-to-many), with the
    field's verbose name and choice labels, without a query per entry."""
    model = entry.content_type.model_class()
    for name, values in (entry.changes_dict or {}).items():
        label, choices = name, {}
        if model is not None:
            try:
                field = model._meta.get_field(name)
                label = str(getattr(field, "verbose_name", name))
                choices = {str(k): str(v) for k, v in (getattr(field, "choices", None) or [])}
            except FieldDoesNotExist:
                pass
        if isinstance(values, dict):  # many-to-many: {"type": "m2m", "operation", "objects"}
            sign = "+" if values.get("operation") == "add" else "−"
            names = [str(o) for o in values.get("objects", [])]
            if model is User and name == "groups":  # role groups by their label
                labels = dict(Role.choices)
                names = [f"{labels[n]} ({n})" if n in labels else n for n in names]
            objects = ", ".join(names)
            yield Change(label, f"{sign} {objects}")
            continue
        shown = [choices.get(str(v), "—" if v in (None, "None", "") else str(v)) for v in values]
        yield Change(label, " → ".join(shown))


def action_label(entry: LogEntry) -> str:
    return str(dict(LogEntry.Action.choices).get(entry.action, _("other")))
