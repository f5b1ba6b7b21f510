"""The admin speaks Vietnamese to everyone who can open it (#19 item 8).

A crawl logs in as each role that can open the admin (accounts.roles.STAFF_ROLES) and as a
superuser, requests every admin page the URL map can build (index, every changelist, add, change,
history, delete and password pages, one object each from urlmap.build_world) plus a few actions'
pages, and fails on any English string of Django's and the installed apps' catalogues that shows
on them untranslated. What is "English" comes from the apps' own catalogues, not from a list kept
here: the msgids of django.contrib.admin/auth/contenttypes, axes, django-otp, auditlog,
django-celery-beat, django-celery-results and rest_framework. A msgid counts when a piece of it
between placeholders has two words or more (one English word may also be a name or a code), or
when it is one of the single words the admin shows on its own (SINGLE_WORDS).
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from groups.models import Member

from .urlmap import build_world, routes, targets

pytestmark = pytest.mark.django_db

# The apps whose English shows in the admin, by the package that holds their catalogues.
CATALOGUE_PACKAGES = (
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "axes",
    "django_otp",
    "auditlog",
    "django_celery_beat",
    "django_celery_results",
    "rest_framework",
)
# Single English words the admin shows on their own (buttons, headings, column titles); matched
# with their capital, as the admin prints them.
SINGLE_WORDS = {
    "Add", "Axes", "Change", "Delete", "Filter", "Go", "History", "Home", "Save", "Search",
    "View", "Yes", "No", "Unknown", "All", "Today", "Now", "Close", "Token", "Tokens", "Key",
    "Created", "Action", "Actions", "Resource", "Changes", "Field", "From", "To", "Objects",
    "Enabled", "Disabled", "Email", "Username", "Password", "Permissions", "Groups", "Summary",
    "User", "Users", "Sidebar", "Breadcrumbs", "Name", "Task", "Interval", "Priority",
    "Description",
}  # fmt: skip
# Text that may stay English, removed from the pages before the check: names, each with why.
ALLOWED = {
    # Django names the link table of users and their roles after the Python model names, on the
    # superuser's delete pages only ("liên kết User-group"): a code, not a word to translate.
    "User-group",
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{[^}]*\}|<[^>]+>")
WORD = re.compile(r"[A-Za-z][A-Za-z’']*")


def _catalogue(package: str, domain: str) -> polib.POFile | polib.MOFile | None:
    """The package's English catalogue, else any of its catalogues (the msgids are the same)."""
    spec = importlib.util.find_spec(package)
    assert spec and spec.submodule_search_locations, package
    locale = Path(next(iter(spec.submodule_search_locations))) / "locale"
    for pattern in (f"en/LC_MESSAGES/{domain}.po", f"*/LC_MESSAGES/{domain}.po"):
        for path in sorted(locale.glob(pattern)):
            return polib.pofile(str(path))
    for path in sorted(locale.glob(f"*/LC_MESSAGES/{domain}.mo")):
        return polib.mofile(str(path))
    return None


def english_phrases(msgid: str) -> Iterator[str]:
    """The pieces of a msgid between its placeholders that an untranslated page would show
    verbatim: two words or more, or one of SINGLE_WORDS."""
    for piece in PLACEHOLDER.split(msgid):
        words = WORD.findall(piece)
        if len(words) >= 2:
            start, end = piece.index(words[0]), piece.rindex(words[-1]) + len(words[-1])
            yield piece[start:end]
        elif len(words) == 1 and words[0] in SINGLE_WORDS and piece.strip(" :.") == words[0]:
            yield words[0]


def app_names() -> set[str]:
    """The apps' own names as the admin's index shows them in English (django-axes declares
    none: the admin makes "Axes" of its label)."""
    with translation.override("en"):
        return {
            str(config.verbose_name)
            for config in apps.get_app_configs()
            if config.name.startswith(CATALOGUE_PACKAGES)
        }


@cache
def english_pattern() -> re.Pattern:
    phrases: set[str] = set()
    for package in CATALOGUE_PACKAGES:
        catalogue = _catalogue(package, "django")
        assert catalogue is not None, f"{package} has no catalogue"
        for entry in catalogue:
            for msgid in (entry.msgid, entry.msgid_plural):
                phrases.update(english_phrases(msgid or ""))
    phrases |= app_names()
    several = sorted((p for p in phrases if " " in p), key=len, reverse=True)
    single = sorted(p for p in phrases if " " not in p)
    # Several words: any case (the admin capitalises verbose names); one word: as printed.
    alternatives = [f"(?i:{re.escape(p)})" for p in several] + [re.escape(p) for p in single]
    return re.compile(r"(?<![\w’'])(?:" + "|".join(alternatives) + r")(?![\w’'])")


class VisibleText(HTMLParser):
    """The text a person reads on a page: text nodes outside scripts and styles, and the
    attributes a browser shows (titles, placeholders, labels, button values)."""

    SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self.skipping += 1
        values = dict(attrs)
        self.chunks += [values[name] or "" for name in self.SHOWN_ATTRIBUTES if name in values]
        if tag == "input" and values.get("type") in ("submit", "button", "reset"):
            self.chunks.append(values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.chunks.append(data)


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return [" ".join(chunk.split()) for chunk in parser.chunks if chunk.strip()]


def english_on(html: str) -> set[str]:
    """English phrases of the catalogues in the page's visible text (one chunk at a time, so
    that no phrase is made of two neighbouring elements)."""
    pattern = english_pattern()
    found = set()
    for chunk in visible_text(html):
        for allowed in ALLOWED:
            chunk = chunk.replace(allowed, "")
        found |= {match[0] for match in pattern.finditer(chunk)}
    return found


def test_the_detector_finds_untranslated_admin_text() -> None:
    """The check itself: Django's English on a page is found, Vietnamese and names are not."""
    assert english_on("<p>Show counts</p>") == {"Show counts"}
    assert english_on("<h2>Access attempts</h2><a title='Add another user'>+</a>") == {
        "Access attempts",
        "Add another",
    }
    assert english_on('<input type="submit" value="Go">') == {"Go"}
    assert english_on("<script>var s = 'Show counts';</script><p>Hiện số lượng</p>") == set()
    assert english_on("<p>Nhóm Zalo Ấp Thuận Hòa · No</p>") == {"No"}
    assert english_on("<p>Không có</p><p>no</p>") == set()


# --- The crawl ------------------------------------------------------------------------------

PREFERRED_PLACES = ("A", "ours", "any", "B", "other")


@pytest.fixture
def world(settings, tmp_path, commune, other_commune, hamlet_a, hamlet_b, hamlet_elsewhere):
    settings.DATA_DIR = tmp_path
    return build_world(
        commune=commune,
        other_commune=other_commune,
        hamlet_a=hamlet_a,
        hamlet_b=hamlet_b,
        hamlet_elsewhere=hamlet_elsewhere,
    )


@pytest.fixture
def admin_users(police, officer_a, commune) -> dict[str, User]:
    """Everyone who can open the admin: the staff roles (accounts.roles.STAFF_ROLES) and a
    superuser; the police persona also administers the commune's users."""
    from django.contrib.auth.models import Permission

    police.user_permissions.add(Permission.objects.get(codename="manage_commune_users"))
    root = User.objects.create_superuser("root", "root@example.invalid", "x", full_name="Quản trị")
    return {"police": police, "officer_a": officer_a, "superuser": root}


def admin_urls(world) -> list[str]:
    """One URL per admin page: each pattern of the admin site, with one object per model
    (in hamlet A or the own commune when there is one)."""
    urls = []
    for route in routes():
        if not route.route.startswith("admin/") or route.route in ("admin/logout/",):
            continue
        if route.name in ("admin:jsi18n",):
            continue
        built = targets(route, world)
        built.sort(key=lambda t: PREFERRED_PLACES.index(t.place) if t.place else -1)
        if built:
            urls.append(built[0].url)
    return urls


def action_pages(client: Client, world) -> Iterator[tuple[str, str]]:
    """A few actions' pages: the changelist's filters with their counts shown, a search, the
    delete confirmation of a selection, and the user admin's codes after a reset."""
    members = reverse("admin:groups_member_changelist")
    member = world.get(Member, "A")
    for query in ("?_facets=True", "?q=zzz", "?q=" + member.full_name.split()[-1]):
        yield members + query, client.get(members + query).content.decode()
    users = reverse("admin:accounts_user_changelist")
    yield users + "?_facets=True", client.get(users + "?_facets=True").content.decode()
    selected = {ACTION_CHECKBOX_NAME: [member.pk], "index": "0"}
    response = client.post(members, {**selected, "action": "delete_selected"})
    yield members + " (delete selected)", response.content.decode()
    clerk = User.objects.get(username="clerk")
    response = client.post(
        users, {ACTION_CHECKBOX_NAME: [clerk.pk], "index": "0", "action": "reset_two_factor"}
    )
    yield users + " (reset two-factor)", response.content.decode()


def test_every_admin_page_is_vietnamese_for_everyone_who_can_open_it(
    world, admin_users: dict[str, User]
) -> None:
    urls = admin_urls(world)
    assert any(url.endswith("/add/") for url in urls) and any("/change/" in url for url in urls)
    found: dict[str, set[str]] = {}
    seen = 0
    for name, user in admin_users.items():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        pages = [(url, client.get(url)) for url in urls]
        pages = [
            (url, response.content.decode())
            for url, response in pages
            if response.status_code == 200 and response["Content-Type"].startswith("text/html")
        ]
        pages += list(action_pages(client, world))
        seen += len(pages)
        for url, html in pages:
            english = english_on(html)
            if english:
                found[f"{name} {url}"] = english
    assert seen > 150
    assert not found, "English in the admin:\n" + "\n".join(
        f"{page}: {sorted(words)}" for page, words in sorted(found.items())
    )


def test_the_admin_login_page_is_vietnamese() -> None:
    html = Client().get(reverse("admin:login")).content.decode()
    assert not english_on(html)


def test_the_admins_scripts_speak_vietnamese(client: Client, police) -> None:
    """The admin's scripts (selection counter, calendar, the two-box selector) read their
    strings from the JavaScript catalogue: every string of Django's has a Vietnamese one, and
    the selection counter is natural Vietnamese."""
    client.force_login(police)
    script = client.get(reverse("admin:jsi18n")).content.decode()
    catalogue = json.loads(re.search(r"const newcatalog = (\{.*?\});\n", script, re.S)[1])
    english = _catalogue("django.contrib.admin", "djangojs")
    keys = [f"{e.msgctxt}\x04{e.msgid}" if e.msgctxt else e.msgid for e in english if e.msgid]
    missing = [key for key in keys if key not in catalogue]
    assert not missing
    assert catalogue["%(sel)s of %(cnt)s selected"] == ["Đã chọn %(sel)s/%(cnt)s"]


def test_no_admin_page_asks_for_a_missing_favicon(client: Client, police) -> None:
    """Browsers ask for /favicon.ico on every page without an icon link: it is answered, and
    the admin's pages link our icon."""
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    client.force_login(police)
    html = client.get(reverse("admin:index")).content.decode()
    assert re.search(r'<link rel="icon" href="[^"]*/img/favicon[.\w]*svg"', html)


def test_the_user_list_names_roles_in_vietnamese(client: Client, police, officer_a) -> None:
    client.force_login(police)
    with translation.override("vi"):
        html = client.get(reverse("admin:accounts_user_changelist")).content.decode()
        change = client.get(
            reverse("admin:accounts_user_change", args=[officer_a.pk])
        ).content.decode()
    text = " ".join(visible_text(html))
    assert "Cảnh sát khu vực" in text
    assert "area_officer" not in text and "commune_police" not in text
    assert "area_officer" not in " ".join(visible_text(change))
