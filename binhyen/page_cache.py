"""The main part of a busy page, kept drawn until what it shows changes.

A list page (the triage queue, the roster, the checklist, a dashboard) costs several times the
signed-in page around it, and the same person asks for it again, unchanged, far more often
than the rows under it change. Its `{% block content %}` is therefore kept in the default cache,
drawn, under:

- the page, the address with its query, the language, the user and their access version
  (roles, permissions and hamlets: accounts.access), and the CSRF cookie, since its forms
  carry a token of that cookie's secret;
- the versions of the **topics** it reads. A topic is a name for a set of tables ("reports",
  "members", …); any write to them replaces the topic's version: through the models' signals
  (`watch`, for every door that saves through the ORM: services, admin, shell) or an explicit
  `touch` where a service writes around them (`update()`, bulk inserts, COPY). The next request
  sees another version and draws the page again, so nobody is shown a page older than their
  last action;
- a time after which it is drawn again whatever happens (a deadline passing turns a row
  overdue; a new day changes "today"), and at most MAX_AGE, for a write outside the ORM that
  no service made (raw SQL, a restored backup).

Versions are random tokens, never counters: an evicted topic gets a new one, and what was
kept under the old one is never read again. When the cache does not answer (Redis down), the
page is drawn as if nothing were kept, and nothing is kept.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.safestring import SafeString

MAX_AGE = 300  # seconds

T = TypeVar("T")


def topic_key(topic: str) -> str:
    return f"topic:{topic}"


def current(topics: Sequence[str]) -> dict[str, str] | None:
    """The topics' versions, made for those that have none yet; None if the cache is down."""
    keys = [topic_key(topic) for topic in topics]
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    for key in missing:
        cache.add(key, uuid.uuid4().hex, None)
    if missing:
        found = cache.get_many(keys)
    return found if len(found) == len(keys) else None


def touch(*topics: str) -> None:
    """The topics' rows changed: give them new versions now (the writing request and the next
    ones see it) and again once the transaction commits (a request that read the old rows
    between the two may have kept its page under the first new version)."""

    def replace() -> None:
        cache.set_many({topic_key(topic): uuid.uuid4().hex for topic in topics}, None)

    replace()
    transaction.on_commit(replace)


def watch(topic: str, models: Iterable[type[Model]]) -> None:
    """Touch `topic` whenever one of `models` is saved or deleted through the ORM. Called from
    an app's ready()."""

    def changed(sender: type[Model], **kwargs: object) -> None:
        touch(topic)

    for model in models:
        uid = f"page_cache:{topic}:{model._meta.label}"
        post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}:saved")
        post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}:deleted")


def kept(key: str, topics: Sequence[str], compute: Callable[[], tuple[T, float | None]]) -> T:
    """The value kept under `key`, if the topics' versions are still those it was kept under and
    its time has not come; else `compute()`d and kept. `compute` returns the value and the
    timestamp at which it stops being true (None: only a write ends it). One round trip reads
    the versions and the entry, which holds the versions it was computed under."""
    found = cache.get_many([*(topic_key(topic) for topic in topics), key])
    entry = found.pop(key, None)
    versions = found if len(found) == len(topics) else current(topics)
    now = timezone.now().timestamp()
    if versions is not None and entry is not None:
        entry_versions, until, value = entry
        if entry_versions == versions and now < until:
            return value
    value, until = compute()
    if versions is not None:
        until = now + MAX_AGE if until is None else min(until, now + MAX_AGE)
        if until > now:
            cache.set(key, (versions, until, value), int(until - now) + 1)
    return value


# The HTML (render_to_string's), and when it must be drawn again.
Drawn = tuple[SafeString, datetime.datetime | None]


def cached_part(
    request: HttpRequest, name: str, topics: Sequence[str], draw: Callable[[], Drawn]
) -> SafeString:
    """The part `name` of this request's page: kept if it is still true, else `draw()`n (and
    kept). `draw` returns the HTML and the time it stops being true (None: only a write ends
    it). The view has checked who may see the page before asking."""
    csrf = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    if request.method != "GET" or not csrf:  # a token drawn now would need the new cookie
        return draw()[0]

    def compute() -> tuple[SafeString, float | None]:
        html, until = draw()  # a SafeString from render_to_string, kept as such
        return html, None if until is None else until.timestamp()

    return kept(_key(request, name, csrf), topics, compute)


def _key(request: HttpRequest, name: str, csrf: str) -> str:
    user = request.user
    parts = [
        request.get_full_path(),
        translation.get_language(),
        str(user.pk),
        str(getattr(user, "access_version", "")),
        csrf,
    ]
    digest = hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()
    return f"page:{name}:{digest}"
