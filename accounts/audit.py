"""The audit log, scoped: which django-auditlog entries a user may read, and how they read.

One queryset (`audit_entries_visible_to`) serves the admin's log and the audit page. Every model
registered with auditlog whose default manager has `visible_to(user)` is included, scoped by it,
so that bulletins, reviews and whatever comes next are audited here the day they are registered;
users (role assignments) are scoped by `groups.access.users_for` (the own commune). A model with
no scope shows to superusers only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from auditlog.context import auditlog_value, set_extra_data
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.core.management.base import BaseCommand
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


# Who made a change. During a request AuditlogMiddleware opens the audit context with the session's
# user; a token is read later, by DRF inside the view, so the token's user is put into that context
# then (audit_actor_set). Outside a request, tasks and commands open their own context that names
# them (audit_origin): "additional_data" is django-auditlog's field for whatever else an entry says.


def audit_actor_set(actor: User | None) -> None:
    """The entries written from now on in the current audit context are made by `actor`."""
    context = auditlog_value.get(None)
    if context is not None and actor is not None and actor.is_authenticated:
        context["actor"] = actor


@contextmanager
def audit_origin(*, kind: str, name: str, actor: User | None = None) -> Iterator[None]:
    """Entries written inside say which task or command made them ("kind": "task" or
    "command"), and by whom when the command was run --as a user. The context open before
    (a request running an eager task) is restored after."""
    token = auditlog_value.set({})  # set_extra_data sets the variable and never resets it
    data = {"actor": actor, "additional_data": {"origin": {"kind": kind, "name": name}}}
    try:
        with set_extra_data(context_data=data):
            yield
    finally:
        auditlog_value.reset(token)


class AuditedCommand(BaseCommand):
    """A management command whose audited changes name the command."""

    def execute(self, *args: object, **options: object) -> str | None:
        name = self.__module__.rsplit(".", 1)[-1]
        with audit_origin(kind="command", name=name):
            return super().execute(*args, **options)


def origin_label(entry: LogEntry) -> str | None:
    """ "task x" or "command y", as the entry was recorded by audit_origin, else None."""
    data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    origin = data.get("origin")
    if not isinstance(origin, dict):
        return None
    name = str(origin.get("name", ""))
    if origin.get("kind") == "task":
        return _("task %(name)s") % {"name": name}
    if origin.get("kind") == "command":
        return _("command %(name)s") % {"name": name}
    return None


def actor_label(entry: LogEntry) -> str:
    """Who made the change: the user, the task or command (and its --as user), else "system"."""
    origin = origin_label(entry)
    if entry.actor_id and origin:
        return f"{entry.actor} ({origin})"
    if entry.actor_id:
        return str(entry.actor)
    return origin or _("system")
