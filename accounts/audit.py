"""The audit log, scoped: which django-auditlog entries a user may read, and how they read.

One queryset (`audit_entries_visible_to`) serves the admin's log and the audit page. Every model
registered with auditlog whose default manager has `visible_to(user)` is included, scoped by it,
so that bulletins, reviews and whatever comes next are audited here the day they are registered;
users (role assignments) are scoped by `groups.access.users_for` (the own commune). A model with
no scope shows to superusers only.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from auditlog.context import auditlog_value, set_extra_data
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import dateformat, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

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


@dataclass(frozen=True)
class AuditRow:
    """One entry as a person reads it: when (local time), who, what was done, to which record
    and the changes, each field by its label and each value as the portal shows it."""

    entry: LogEntry
    when: datetime.datetime
    actor: str
    action: str
    model: str
    changes: list[Change]


# The actions by the words an official uses, not auditlog's "create/update/delete".
ACTION_LABELS = {
    LogEntry.Action.CREATE: pgettext_lazy("audit action", "Created"),
    LogEntry.Action.UPDATE: pgettext_lazy("audit action", "Changed"),
    LogEntry.Action.DELETE: pgettext_lazy("audit action", "Deleted"),
    LogEntry.Action.ACCESS: pgettext_lazy("audit action", "Viewed"),
}
ACTION_CHOICES = list(ACTION_LABELS.items())
EMPTY = "—"


def model_of(entry: LogEntry) -> type[models.Model] | None:
    """The entry's model, from the content types' cache (no query per entry)."""
    return ContentType.objects.get_for_id(entry.content_type_id).model_class()


def action_label(entry: LogEntry) -> str:
    return str(ACTION_LABELS.get(entry.action, _("other")))


def shown_fields(model: type[models.Model] | None) -> dict[str, models.Field]:
    """The fields of a model an entry may show: its own columns and declared many-to-many
    fields, never its primary key, reverse relations (auditlog records those of a new or
    deleted row as "reports.InformantReveal.None") or fields auditlog was told to leave out
    (entries written before they were left out still hold them)."""
    if model is None:
        return {}
    excluded = (
        set(auditlog.get_model_fields(model)["exclude_fields"])
        if auditlog.contains(model)
        else set()
    )
    return {
        field.name: field
        for field in model._meta.get_fields()
        if (field.concrete or (field.many_to_many and not field.auto_created))
        and not getattr(field, "primary_key", False)
        and field.name not in excluded
    }


def field_label(field: models.Field) -> str:
    """A field's label as a heading. A relation declared without a verbose_name is named by
    Django after the field ("people group", English): the related model's name is used."""
    name = field.verbose_name
    if field.is_relation and name == field.name.replace("_", " "):
        name = field.related_model._meta.verbose_name
    return str(capfirst(name))


def _is_empty(value: object) -> bool:
    return value is None or value in ("None", "")


def _related_names(entries: list[LogEntry]) -> dict[tuple[type[models.Model], str], str]:
    """The names (str) of the rows the entries' foreign keys point at: one query per related
    model whatever the number of entries, following the non-null foreign keys their names may
    read (a Zalo group is named with its hamlet)."""
    wanted: dict[type[models.Model], set[str]] = {}
    for entry in entries:
        fields = shown_fields(model_of(entry))
        for name, values in (entry.changes_dict or {}).items():
            field = fields.get(name)
            if field is None or (not field.many_to_one and not field.one_to_one):
                continue
            if isinstance(values, list):
                wanted.setdefault(field.related_model, set()).update(
                    str(v) for v in values if not _is_empty(v)
                )
    names = {}
    for model, pks in wanted.items():
        valid = []
        for pk in pks:
            try:
                valid.append(model._meta.pk.to_python(pk))
            except ValidationError:
                continue
        for obj in model._base_manager.select_related().filter(pk__in=valid):
            names[(model, str(obj.pk))] = str(obj)
    return names


def _local_time(text: str, *, field: models.Field) -> str:
    """A stored date or time as the portal prints it. auditlog stores date-times in UTC without
    an offset ("2026-12-01 10:34:00"): shown in the portal's time zone (17:34)."""
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        return text
    if isinstance(field, models.DateTimeField):
        if timezone.is_naive(value):
            value = value.replace(tzinfo=datetime.UTC)
        return dateformat.format(timezone.localtime(value), "d/m/Y H:i")
    if isinstance(field, models.DateField):
        return dateformat.format(value.date(), "d/m/Y")
    return text


def _value(value: object, field: models.Field, names: dict) -> str:
    if _is_empty(value):
        return EMPTY
    text = str(value)
    choices = {str(k): str(v) for k, v in (field.flatchoices or [])} if field.choices else {}
    if text in choices:
        return choices[text]
    if isinstance(field, models.BooleanField):
        return str(_("Yes")) if text == "True" else str(_("No")) if text == "False" else text
    if field.many_to_one or field.one_to_one:
        name = names.get((field.related_model, text))
        return name if name is not None else _("#%(id)s (deleted)") % {"id": text}
    if isinstance(field, (models.DateTimeField, models.DateField)):
        return _local_time(text, field=field)
    return text


def _changes(entry: LogEntry, names: dict) -> list[Change]:
    model = model_of(entry)
    fields = shown_fields(model)
    changes = []
    for name, values in (entry.changes_dict or {}).items():
        field = fields.get(name)
        if field is None:
            continue
        label = field_label(field)
        if isinstance(values, dict):  # many-to-many: {"type": "m2m", "operation", "objects"}
            sign = "+" if values.get("operation") == "add" else "−"
            objects = [str(o) for o in values.get("objects", [])]
            if model is User and name == "groups":  # roles by their names, not their codes
                labels = dict(Role.choices)
                objects = [str(labels.get(o, o)) for o in objects]
            changes.append(Change(label, f"{sign} {', '.join(objects)}"))
            continue
        shown = [_value(v, field, names) for v in values]
        if len(set(shown)) == 1 and len(shown) == 2:
            continue  # the same to a person (a time re-saved to the microsecond)
        changes.append(Change(label, " → ".join(shown)))
    return changes


def changed_fields(entry: LogEntry) -> list[str]:
    """The labels of the fields an entry changed (no values, no query)."""
    fields = shown_fields(model_of(entry))
    names = [name for name in (entry.changes_dict or {}) if name in fields]
    return [field_label(fields[name]) for name in names]


def audit_rows(entries: Iterable[LogEntry]) -> list[AuditRow]:
    """The entries as people read them (the audit page, its exports, a member's history, the
    admin's history), with a fixed number of queries whatever their number. The entries come
    with their content type and actor (select_related)."""
    entries = list(entries)
    names = _related_names(entries)
    rows = []
    for entry in entries:
        model = model_of(entry)
        rows.append(
            AuditRow(
                entry=entry,
                when=timezone.localtime(entry.timestamp),
                actor=actor_label(entry),
                action=action_label(entry),
                model=str(model._meta.verbose_name).capitalize() if model else _("(removed)"),
                changes=_changes(entry, names),
            )
        )
    return rows


def changes_of(entry: LogEntry) -> list[Change]:
    """One entry's changes (a query per related model: for one entry; pages use audit_rows)."""
    return audit_rows([entry])[0].changes


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
