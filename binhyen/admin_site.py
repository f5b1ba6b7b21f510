"""The project's admin site: Django's, with the app list kept per permission set."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.template.defaultfilters import urlencode
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.safestring import SafeString
from django.utils.translation import get_language

# The admin's drawn-once caches (app lists, sidebars, the action bar's widgets) hold one entry
# per distinct key, and those are few (a permission set per role plus the odd custom grant,
# times the languages): past this many a cache starts again rather than grow.
ENTRIES_KEPT = 256


class BinhYenAdminSite(admin.AdminSite):
    """Every admin page draws the app list (the sidebar, the index): Django builds it on each
    request, about 3 ms of permission checks and URL reversals for our twenty models, although
    it depends only on the user's permissions (no ModelAdmin here decides on anything else),
    the language and the script prefix. It is built once per such key in each process and shared
    read-only: a changed permission is a new key, so nothing is ever stale."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._app_lists: dict[tuple, list] = {}
        self._sidebars: dict[tuple, SafeString] = {}

    def each_context(self, request: HttpRequest) -> dict:
        context = super().each_context(request)
        context["nav_sidebar_apps"] = self._sidebar(request, context["available_apps"])
        return context

    def _sidebar(self, request: HttpRequest, app_list: list) -> SafeString | None:
        """The sidebar's app list (templates/admin/nav_sidebar.html), drawn once per app list
        and current page: Django's admin/app_list.html takes ~4 ms to draw it on each page. What
        the drawing reads of the page is which of the list's links its path contains."""
        key = _app_list_key(request, None)
        if key is None:
            return None
        path = urlencode(request.path)
        links = [app["app_url"] for app in app_list]
        links += [model.get("admin_url") for app in app_list for model in app["models"]]
        key += (tuple(link for link in links if link and link in path),)
        sidebar = self._sidebars.get(key)
        if sidebar is None:
            sidebar = render_to_string(
                "admin/app_list.html",
                {"app_list": app_list, "show_changelinks": False, "request": request},
            )
            keep(self._sidebars, key, sidebar)
        return sidebar

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list:
        key = _app_list_key(request, app_label)
        if key is None:
            return super().get_app_list(request, app_label)
        app_list = self._app_lists.get(key)
        if app_list is None:
            app_list = super().get_app_list(request, app_label)
            keep(self._app_lists, key, app_list)
        return app_list


def keep(kept: dict, key: tuple, value: object) -> None:
    """kept[key] = value, in a cache of at most ENTRIES_KEPT entries (then started again)."""
    if len(kept) >= ENTRIES_KEPT:
        kept.clear()
    kept[key] = value


def _app_list_key(request: HttpRequest, app_label: str | None) -> tuple | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_active:
        return None
    # A superuser may do everything: their list is the same whatever their permission rows.
    permissions = "*" if user.is_superuser else frozenset(user.get_all_permissions())
    return (permissions, user.is_staff, app_label, get_language(), get_script_prefix())


class BinhYenAdminConfig(AdminConfig):
    default_site = "binhyen.admin_site.BinhYenAdminSite"
