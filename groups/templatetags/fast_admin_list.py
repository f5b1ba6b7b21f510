"""`{% fast_result_list cl %}`: Django's `{% result_list cl %}` (the rows of a changelist), with
what is the same for every row worked out once per page.

Django's items_for_result asks the model's options for every cell's field (an exception for
each column that is a method), builds the choices' dict and the empty-value text each time,
and the template then draws each cell on its own; on the member changelist (50 rows, 10
columns, drawn on every search) that was a third of the page. The HTML is the same (a test
compares it with Django's): the steps below follow
django/contrib/admin/templatetags/admin_list.py (Django 5.2); a changelist with editable
columns (a formset) is left to Django.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable

from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    lookup_field,
)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.template import Library
from django.urls import NoReverseMatch
from django.utils import formats
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from groups.admin_fast import keep_filters

register = Library()

# obj -> (what the cell shows, its class attribute)
Cell = Callable[[models.Model], tuple[object, str]]


def _blank(value):
    return "" if isinstance(value, str) and value.strip() == "" else value


def _value_cell(cl, name, css: str, empty: str) -> Cell:
    """A column that is no model field (a method, a callable, an automatic field)."""
    model_admin = cl.model_admin
    if callable(name):
        attr = name
    elif hasattr(model_admin, name) and name != "__str__":
        attr = getattr(model_admin, name)
    else:
        attr = None  # a model attribute or property: looked up on each row, as Django does

    def cell(obj):
        try:
            if attr is None:
                _field, found, value = lookup_field(name, obj, model_admin)
            else:
                found, value = attr, attr(obj)
        except ObjectDoesNotExist:
            return empty, css
        return _shown_value(name, found, _blank(value), css, empty)

    return cell


def _shown_value(name, attr, value, css: str, empty: str) -> tuple[object, str]:
    classes = "action-checkbox" if name == "action_checkbox" else css
    boolean = getattr(attr, "boolean", False)
    if isinstance(attr, property) and hasattr(attr, "fget"):
        boolean = getattr(attr.fget, "boolean", False)
    if isinstance(value, (datetime.date, datetime.time)):
        classes += " nowrap"
    shown = display_for_value(value, getattr(attr, "empty_value_display", empty), boolean)
    return shown, classes


@functools.lru_cache(maxsize=4096)
def _local_date(value: datetime.date, language: str | None) -> str:
    """formats.localize(value) of a date: the same few thousand dates on every page of a
    roster (joining and leaving dates), each formatted once per language and process."""
    return formats.localize(value)


@receiver(setting_changed)
def _formats_changed(**kwargs) -> None:  # as Django resets its own format cache
    _local_date.cache_clear()


def _field_display(field, empty: str, link: bool) -> Callable[[object], object]:
    """value -> display_for_field(value, field, …): choices from a dict made once per page,
    their labels translated once (Django makes the dict for every cell); dates memoised."""
    if getattr(field, "flatchoices", None):
        try:
            labels = {value: str(label) for value, label in field.flatchoices}
        except TypeError:  # list-like choices: Django's own way
            pass
        else:
            return lambda value: labels.get(value, empty)
    elif type(field) is models.DateField:
        language = get_language()
        return lambda value: empty if value in field.empty_values else _local_date(value, language)
    return lambda value: display_for_field(value, field, empty, avoid_link=link)


def _column(cl, index: int, name, empty: str, link: bool) -> Cell:
    css = f"field-{admin_list._coerce_field_name(name, index)}"
    try:
        field = _get_non_gfk_field(cl.model._meta, name)
    except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
        field = None
    if field is None or field.auto_created:
        return _value_cell(cl, name, css, empty)
    classes = css
    if isinstance(field, (models.DateField, models.TimeField, models.ForeignKey)):
        classes += " nowrap"
    if isinstance(field.remote_field, models.ManyToOneRel):  # the related object itself

        def cell(obj):
            try:
                related = getattr(obj, field.name)
            except ObjectDoesNotExist:
                return empty, css
            return (empty if related is None else related), classes

        return cell
    display = _field_display(field, empty, link)

    def cell(obj):
        try:
            value = getattr(obj, name)
        except ObjectDoesNotExist:
            return empty, css
        return display(_blank(value)), classes

    return cell


def _columns(cl) -> list[tuple[Cell, bool]]:
    """Each column's cell and whether it links to the row, as items_for_result decides:
    `first` only changes once a link column has been drawn, whatever the row."""
    empty = cl.model_admin.get_empty_value_display()
    columns, first = [], True
    for index, name in enumerate(cl.list_display):
        if cl.list_display_links is None:
            link = False
        elif first and not cl.list_display_links:
            link = True
        else:
            link = name in cl.list_display_links
        if link:
            first = False
        columns.append((_column(cl, index, name, empty, link), link))
    return columns


def _link(cl, obj, text, pk: str):
    try:
        url = cl.url_for_result(obj)
    except NoReverseMatch:
        return text
    if cl.preserved_filters:  # a FastChangeList has put them in url_for_result already
        url = keep_filters(url, cl.preserved_filters, cl.opts)
    popup = ""
    if cl.is_popup:
        value = obj.serializable_value(str(cl.to_field) if cl.to_field else pk)
        popup = format_html(' data-popup-opener="{}"', value)
    # format_html('<a href="{}"{}>{}</a>', url, popup, text), its steps written out.
    return SafeString(f'<a href="{conditional_escape(url)}"{popup}>{conditional_escape(text)}</a>')


def _row(cl, obj, columns, pk: str) -> SafeString:
    """The row's cells as one piece of HTML (the template draws each row, not each cell)."""
    cells, first = [], True
    for cell, link in columns:
        text, classes = cell(obj)
        if link:
            tag = "th" if first else "td"
            first = False
            text = _link(cl, obj, text, pk)
        else:
            tag = "td"
        # Class names need no escaping (Django marks them safe as they are).
        cells.append(f'<{tag} class="{classes}">{conditional_escape(text)}</{tag}>')
    return SafeString("".join(cells))


def fast_result_list(cl) -> dict:
    if cl.formset:  # editable columns: Django's own
        return admin_list.result_list(cl)
    headers = list(admin_list.result_headers(cl))
    columns = _columns(cl)
    pk = cl.lookup_opts.pk.attname
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": [
            admin_list.ResultList(None, [_row(cl, obj, columns, pk)]) for obj in cl.result_list
        ],
    }


@register.simple_tag(takes_context=True)
def url_keeping_filters(context, url: str) -> str:
    """`{% add_preserved_filters url is_popup to_field %}` for the add link: see keep_filters."""
    preserved = context.get("preserved_filters") or ""
    opts, popup, to_field = context.get("opts"), context.get("is_popup"), context.get("to_field")
    return keep_filters(url, preserved, opts, popup, to_field)


@register.tag(name="fast_result_list")
def fast_result_list_tag(parser, token):
    return InclusionAdminNode(
        parser,
        token,
        func=fast_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
