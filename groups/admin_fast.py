"""Cheaper per-row pieces of the changelist, for the register's big lists (a page of 50 members
is drawn on every search). Each gives exactly the HTML Django's own gives, worked out without
rendering a widget template or resolving a URL once per row."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.views.main import ChangeList
from django.urls import get_script_prefix
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from binhyen.admin_site import keep
from binhyen.pk_urls import pk_url

CHECKBOX_NAME = conditional_escape(helpers.ACTION_CHECKBOX_NAME)


def keep_filters(url: str, preserved_filters: str, opts, popup=False, to_field=None) -> str:
    """add_preserved_filters for a URL that is not the changelist's own (an add or a change
    page). Django resolves the URL to find out (about a millisecond, twice on every search);
    given the filters as `preserved_qsl` instead, it does not, and returns the same URL."""
    context = {"opts": opts, "preserved_qsl": parse_qsl(preserved_filters)}
    return add_preserved_filters(context, url, popup, to_field)


class FastChangeList(ChangeList):
    """The link of every row carries the same preserved filters (`?_changelist_filters=…`):
    Django parses them and resolves the row's URL again for each row; here once per page."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._row_filters = self.preserved_filters
        self._row_query: str | None = None
        self._change_url: Callable[[int], str] | None = None
        # items_for_result adds cl.preserved_filters to each link: url_for_result does it now.
        self.preserved_filters = ""

    def get_results(self, request) -> None:
        """The first page read with one row more than it shows: when they all fit, its rows
        are the count and no COUNT query runs (a search mostly finds one page); when they do
        not, the count runs as in Django and the rows read are the page."""
        if self.model_admin.list_only:
            self.queryset = self.queryset.only(*self.model_admin.list_only)
        per_page = self.list_per_page
        # Django's own where the page, "show all", a formset or the unfiltered total needs it.
        if (
            self.page_num != 1
            or self.show_all
            or self.list_editable
            or self.model_admin.show_full_result_count
        ):
            return super().get_results(request)
        rows = list(self.queryset[: per_page + 1])
        if len(rows) > per_page:
            super().get_results(request)
            self.result_list = rows[:per_page]  # the page is read already: not again
            return None
        paginator = self.model_admin.get_paginator(request, self.queryset, per_page)
        paginator.count = len(rows)  # Paginator.count is a cached property: this is its value
        self.result_count = len(rows)
        self.show_full_result_count = False
        self.show_admin_actions = True
        self.full_result_count = None
        self.result_list = rows
        self.can_show_all = True
        self.multi_page = False
        self.paginator = paginator

    def url_for_result(self, result) -> str:
        pk = getattr(result, self.pk_attname)
        if isinstance(pk, int):
            # Django reverses the change URL for every row: once here, each row's pk put in.
            if self._change_url is None:
                self._change_url = pk_url(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                    current_app=self.model_admin.admin_site.name,
                )
            url = self._change_url(pk)
        else:  # a text key is quoted twice (admin's quote, then the URL's): Django does it
            url = super().url_for_result(result)
        if not self._row_filters:
            return url
        if self._row_query is None:
            full = keep_filters(url, self._row_filters, self.opts)
            if not full.startswith(url):  # not a plain suffix: let Django do every row
                return full
            self._row_query = full[len(url) :]
        return url + self._row_query


class DrawnOnce:
    """A widget whose HTML is kept, per process, for all it is drawn from: its name, value and
    attributes, its choices' values and labels, the language and the renderer. The action bar
    of a changelist is the same few choices on every page, and drawing it through the widget
    templates costs about a millisecond each time."""

    _drawn: dict[tuple, str] = {}

    def render(self, name, value, attrs=None, renderer=None):
        key = (
            type(self),
            name,
            str(value),
            tuple(sorted({**self.attrs, **(attrs or {})}.items())),
            tuple((str(choice), str(label)) for choice, label in getattr(self, "choices", ())),
            get_language(),
            renderer,
        )
        html = self._drawn.get(key)
        if html is None:
            html = super().render(name, value, attrs, renderer)
            keep(self._drawn, key, html)
        return html


class DrawnOnceSelect(DrawnOnce, forms.Select):
    pass


class DrawnOnceHiddenInput(DrawnOnce, forms.HiddenInput):
    pass


class ActionForm(helpers.ActionForm):
    """Django's action bar (the same fields and HTML), its two widgets drawn once."""

    action = forms.ChoiceField(label=_lazy("Action:"), widget=DrawnOnceSelect)
    select_across = forms.BooleanField(
        label="",
        required=False,
        initial=0,
        widget=DrawnOnceHiddenInput({"class": "select-across"}),
    )


class FastChangeListMixin:
    """FastChangeList, reading only `list_only`; the action bar drawn once; the action
    checkbox of each row as HTML rather than a widget; the audit-log link of each row without
    a URL reversal per row."""

    # The columns the rows draw (only() names, with the related ones of list_select_related):
    # the others are neither read nor turned into Python values. Empty: every column.
    list_only: tuple[str, ...] = ()
    action_form = ActionForm

    def get_changelist(self, request, **kwargs):
        return FastChangeList

    def action_checkbox(self, obj) -> str:
        # What forms.CheckboxInput(attrs).render(ACTION_CHECKBOX_NAME, str(obj.pk)) draws, as
        # format_html would build it (each value escaped; the translated format is ours).
        label = _("Select this object for an action - {}").format(conditional_escape(str(obj)))
        return SafeString(
            f'<input type="checkbox" name="{CHECKBOX_NAME}" '
            f'value="{conditional_escape(str(obj.pk))}" class="action-select" aria-label="{label}">'
        )

    @admin.display(description=_lazy("Audit log"))
    def auditlog_link(self, obj) -> str:
        # auditlog's AuditlogHistoryAdminMixin.auditlog_link, its URL reversed once per page.
        if not isinstance(obj.pk, int):
            return super().auditlog_link(obj)
        # Keyed by the script prefix, the one thing besides the pk a reversal depends on here.
        urls = self.__dict__.setdefault("_auditlog_urls", {})
        prefix = get_script_prefix()
        url = urls.get(prefix)
        if url is None:
            opts = self.model._meta
            url = urls[prefix] = pk_url(f"admin:{opts.app_label}_{opts.model_name}_auditlog")
        href, text = conditional_escape(url(obj.pk)), conditional_escape(_("View"))
        return SafeString(f'<a href="{href}">{text}</a>')
