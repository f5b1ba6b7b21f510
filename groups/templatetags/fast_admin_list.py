"""`{% fast_result_list cl %}`: Django's `{% result_list cl %}` (the rows of a changelist), with
each column's field or callable looked up once per page instead of once per cell.

Django's items_for_result asks the model's options for every cell's field (an exception for
each column that is a method) and builds the empty-value text each time; on the member
changelist (50 rows, 9 columns, drawn on every search) that was a quarter of the page. The HTML
is the same: the body below follows django/contrib/admin/templatetags/admin_list.py (Django
5.2) step by step; a changelist with editable columns (a formset) is left to Django.
"""

from __future__ import annotations

import datetime

from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    lookup_field,
)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.template import Library
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

register = Library()


def _column_reader(name, cl):
    """A function obj -> (field, attr, value), what lookup_field(name, obj, admin) returns,
    with the part that is the same for every row worked out here."""
    model_admin = cl.model_admin
    try:
        field = _get_non_gfk_field(cl.model._meta, name)
    except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
        if callable(name):
            return lambda obj: (None, name, name(obj))
        if hasattr(model_admin, name) and name != "__str__":
            attr = getattr(model_admin, name)
            return lambda obj: (None, attr, attr(obj))
        return lambda obj: lookup_field(name, obj, model_admin)
    return lambda obj: (field, None, getattr(obj, name))


def _columns(cl) -> list[tuple]:
    """(name, reader, link, default empty text) of each column, as items_for_result decides
    them: `first` only changes once a link column has been drawn, whatever the row."""
    empty_default = cl.model_admin.get_empty_value_display()
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
        css = f"field-{admin_list._coerce_field_name(name, index)}"
        columns.append((name, _column_reader(name, cl), link, empty_default, css))
    return columns


def _items(cl, result, columns, pk):
    first = True
    for field_name, reader, link_to_changelist, empty_default, css in columns:
        empty_value_display = empty_default
        row_classes = [css]
        try:
            f, attr, value = reader(result)
        except ObjectDoesNotExist:
            result_repr = empty_value_display
        else:
            empty_value_display = getattr(attr, "empty_value_display", empty_value_display)
            if isinstance(value, str) and value.strip() == "":
                value = ""
            if f is None or f.auto_created:
                if field_name == "action_checkbox":
                    row_classes = ["action-checkbox"]
                boolean = getattr(attr, "boolean", False)
                if isinstance(attr, property) and hasattr(attr, "fget"):
                    boolean = getattr(attr.fget, "boolean", False)
                result_repr = display_for_value(value, empty_value_display, boolean)
                if isinstance(value, (datetime.date, datetime.time)):
                    row_classes.append("nowrap")
            else:
                if isinstance(f.remote_field, models.ManyToOneRel):
                    field_val = getattr(result, f.name)
                    result_repr = empty_value_display if field_val is None else field_val
                else:
                    result_repr = display_for_field(
                        value, f, empty_value_display, avoid_link=link_to_changelist
                    )
                if isinstance(f, (models.DateField, models.TimeField, models.ForeignKey)):
                    row_classes.append("nowrap")
        row_class = f' class="{" ".join(row_classes)}"'  # class names: nothing to escape
        if link_to_changelist:
            table_tag = "th" if first else "td"
            first = False
            try:
                url = cl.url_for_result(result)
            except NoReverseMatch:
                link_or_text = result_repr
            else:
                url = add_preserved_filters(
                    {"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url
                )
                value = result.serializable_value(str(cl.to_field) if cl.to_field else pk)
                link_or_text = format_html(
                    '<a href="{}"{}>{}</a>',
                    url,
                    format_html(' data-popup-opener="{}"', value) if cl.is_popup else "",
                    result_repr,
                )
            cell = conditional_escape(link_or_text)
            yield SafeString(f"<{table_tag}{row_class}>{cell}</{table_tag}>")
        else:
            yield SafeString(f"<td{row_class}>{conditional_escape(result_repr)}</td>")


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
            admin_list.ResultList(None, _items(cl, result, columns, pk))
            for result in cl.result_list
        ],
    }


@register.tag(name="fast_result_list")
def fast_result_list_tag(parser, token):
    return InclusionAdminNode(
        parser,
        token,
        func=fast_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )
