"""Every URL of the project, built from the URL resolver, with real objects in its parameters.

Shared by the authorization matrix (test_authorization_matrix.py) and the leak scan
(test_leak_scan.py). Nothing here is listed by hand: `routes()` walks `get_resolver()` (our apps,
the admin site with every registered ModelAdmin, the API router), so a page added tomorrow is
requested by both tests the day it is added.

How a pattern's parameters are filled (`targets()`):
- A parameter naming an object is filled once per *place* where the world has an object of that
  model, so each URL is requested for an object in hamlet A, in hamlet B and in another commune:
  `object_id`/`id` of an admin model view → that ModelAdmin's model; `pk` of an API route → the
  viewset's model; `hamlet_id` → Hamlet, `group_id` → ZaloGroup, `member_id` → Member,
  `report_id` → IncidentReport, `attachment_id` → Attachment, `review_id` → AnnualReview,
  `build_id` → ReviewBuild, `commendation_id` → Commendation, `assessment_id` →
  SafetyAssessment, `device_id` → PushSubscription (a user's own: the world's belong to the
  clerks, so they are another user's for every persona), and the bulletins' ids
  (PARAM_MODELS); a parameter naming an object by another field than its pk, e.g.
  `commune_code` → a Commune's `code` (PARAM_FIELDS, used by the public tip pages); the
  admin's `view_on_site` (`content_type_id` + `object_id`) → a member.
- `format` (DRF format suffixes) → "json"; the admin catch-all's `url` → a page that does not
  exist; a regex group of literal alternatives (the admin's `app_label`) → one URL per choice.
- Anything else cannot be filled: the matrix fails and names the pattern, to be taught here.

Places: "A" and "B" are hamlets A and B of our commune, "ours" is our commune itself (communes,
users), "other" is another commune or its hamlet, and "any" marks the one object of a model that
has no scope (Celery results and schedules, auth groups, API tokens).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from auditlog.models import LogEntry
from axes.models import AccessAttempt, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from django_celery_results.models import GroupResult, TaskResult
from rest_framework.authtoken.models import Token, TokenProxy

from accounts.models import PushSubscription, User
from binhyen.health import HEARTBEAT_TASK
from bulletins.models import Bulletin, BulletinImage, BulletinSettings, Guide, Posting
from bulletins.tests.factories import ProcedureQuestionFactory, add_image, add_proof, published
from groups.models import Commune, Hamlet, Member, ZaloGroup
from groups.tests.factories import MemberFactory, PeopleGroupFactory, ZaloGroupFactory
from reports.models import (
    Attachment,
    DeadlineRule,
    IncidentReport,
    InformantReveal,
    ReportSettings,
    TipAccess,
)
from reports.tests.factories import IncidentReportFactory
from reviews.models import (
    AnnualReview,
    Commendation,
    ReviewBuild,
    ReviewSettings,
    SafetyAssessment,
    SafetyCriterion,
)
from reviews.tests.factories import AnnualReviewFactory, build_with_files

PLACES = ("A", "B", "ours", "other", "any")
PARAM_MODELS: dict[str, type[models.Model]] = {
    "hamlet_id": Hamlet,
    "group_id": ZaloGroup,
    "member_id": Member,
    "bulletin_id": Bulletin,
    "image_id": BulletinImage,
    "posting_id": Posting,
    "guide_id": Guide,
    "report_id": IncidentReport,
    "attachment_id": Attachment,
    "review_id": AnnualReview,
    "build_id": ReviewBuild,
    "commendation_id": Commendation,
    "assessment_id": SafetyAssessment,
    "device_id": PushSubscription,
}
PARAM_FIELDS: dict[str, tuple[type[models.Model], str]] = {"commune_code": (Commune, "code")}
# The smallest valid PNG: an attachment in the world whose download can be served.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
    b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
MISSING_ADMIN_PAGE = "no-such-page/"


class Unbuildable(Exception):
    """A pattern whose parameters urlmap.py does not know how to fill."""


# --- The patterns -------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    route: str  # the full route, joined as Django joins it (ResolverMatch.route)
    chain: tuple[RoutePattern | RegexPattern, ...]
    name: str | None  # with its namespaces, e.g. "api:member-detail"
    callback: Any
    model_admin: admin.ModelAdmin | None = None
    key: str = ""  # what the matrix's expectation table is keyed by

    @property
    def params(self) -> list[str]:
        names: list[str] = []
        for pattern in self.chain:
            if isinstance(pattern, RoutePattern):
                names += list(pattern.converters)
            else:
                names += list(pattern.regex.groupindex)
        return names

    @property
    def viewset(self) -> type | None:
        return getattr(self.callback, "cls", None) if hasattr(self.callback, "actions") else None

    @property
    def model(self) -> type[models.Model] | None:
        """The model the page is about: its ModelAdmin's, its viewset's, or its object's."""
        if self.model_admin is not None:
            return self.model_admin.model
        if self.viewset is not None:
            queryset = getattr(self.viewset, "queryset", None)
            if queryset is not None:
                return queryset.model
            return self.viewset.serializer_class.Meta.model
        if "content_type_id" in self.params:
            return Member  # view_on_site: any model would do; members are the personal data
        for param in self.params:
            if param in PARAM_MODELS:
                return PARAM_MODELS[param]
            if param in PARAM_FIELDS:
                return PARAM_FIELDS[param][0]
        return None


def _model_admin_at(namespaces: tuple[str, ...], pattern: Any) -> admin.ModelAdmin | None:
    """The ModelAdmin whose URLs are included at `<app_label>/<model_name>/` of the admin site."""
    if namespaces != (admin.site.name,):
        return None
    parts = str(pattern).strip("/").split("/")
    if len(parts) != 2:
        return None
    try:
        model = apps.get_model(*parts)
    except (LookupError, ValueError):
        return None
    return admin.site.get_model_admin(model) if admin.site.is_registered(model) else None


def _key(name: str | None, local_route: str, route: str, model_admin: Any) -> str:
    """Admin model views are keyed by their kind ("admin:{model}_change"), so that one rule,
    derived from the model's permissions, covers that view of every registered model."""
    if model_admin is not None:
        opts = model_admin.model._meta
        prefix = f"{opts.app_label}_{opts.model_name}_"
        if name and name.split(":")[-1].startswith(prefix):
            return "admin:{model}_" + name.split(":")[-1].removeprefix(prefix)
        if not name and local_route == "<path:object_id>/":
            return "admin:{model}_object"  # the redirect to the change view
    return name or route


def routes() -> list[Route]:
    """Every URL pattern of the project, from the resolver, in resolution order."""
    found: list[Route] = []

    def walk(resolver: URLResolver, chain: tuple, namespaces: tuple, model_admin: Any) -> None:
        for entry in resolver.url_patterns:
            here = (*chain, entry.pattern)
            if isinstance(entry, URLResolver):
                spaces = (*namespaces, entry.namespace) if entry.namespace else namespaces
                walk(entry, here, spaces, model_admin or _model_admin_at(spaces, entry.pattern))
                continue
            assert isinstance(entry, URLPattern)
            route = reduce(URLResolver._join_route, (str(p) for p in here))
            name = ":".join((*namespaces, entry.name)) if entry.name else None
            key = _key(name, str(entry.pattern), route, model_admin)
            found.append(Route(route, here, name, entry.callback, model_admin, key))

    walk(get_resolver(), (), (), None)
    return found


# --- The objects the URLs point at ----------------------------------------------------------


@dataclass
class World:
    """Objects of every model a URL parameter can name, by place."""

    objects: dict[type[models.Model], dict[str, models.Model]] = field(default_factory=dict)

    def add(self, place: str, *objs: models.Model) -> None:
        assert place in PLACES, place
        for obj in objs:
            self.objects.setdefault(type(obj), {})[place] = obj

    def places(self, model: type[models.Model]) -> dict[str, models.Model]:
        if model not in self.objects:
            raise Unbuildable(
                f"no {model._meta.label} object to put in the URL: add one per place to "
                "urlmap.build_world()"
            )
        return self.objects[model]

    def get(self, model: type[models.Model], place: str) -> models.Model:
        return self.places(model)[place]


def build_world(
    *,
    commune: Commune,
    other_commune: Commune,
    hamlet_a: Hamlet,
    hamlet_b: Hamlet,
    hamlet_elsewhere: Hamlet,
    members: dict[str, dict[str, str]] | None = None,
) -> World:
    """A register in hamlets A, B and another commune, and one object of each unscoped model.
    Attachments are written under settings.DATA_DIR: the callers point it at a temporary folder.

    `members` overrides fields of the member created at a place, e.g. {"B": {"phone": …}}."""
    world = World()
    world.add("ours", commune)
    world.add("other", other_commune)
    hamlets = {"A": hamlet_a, "B": hamlet_b, "other": hamlet_elsewhere}
    for place, hamlet in hamlets.items():
        people_group = PeopleGroupFactory(hamlet=hamlet, name=f"Tổ {place}")
        group = ZaloGroupFactory(hamlet=hamlet, people_group=people_group, code=f"map-{place}")
        fields = {"group": group, "people_group": people_group, **(members or {}).get(place, {})}
        member = MemberFactory(**fields)
        entry = LogEntry.objects.get_for_object(member).get()  # auditlog wrote its creation
        world.add(place, hamlet, people_group, group, member, entry)
    clerk = User.objects.create_user("clerk", full_name="Thư ký xã", commune=commune)
    clerk_x = User.objects.create_user("clerk_x", full_name="Thư ký xã khác", commune=other_commune)
    world.add("ours", clerk)
    world.add("other", clerk_x)
    for place, user in (("ours", clerk), ("other", clerk_x)):
        # A push device is its user's alone: the clerks', so every persona's is someone else's.
        world.add(
            place,
            PushSubscription.objects.create(
                user=user, endpoint=f"https://push.example.org/{place}", p256dh="-", auth="-"
            ),
        )
    for place, user in (("ours", clerk), ("other", clerk_x)):
        seen = {"username": user.username, "ip_address": "192.0.2.1", "user_agent": "map"}
        world.add(
            place,
            AccessAttempt.objects.create(**seen, failures_since_start=1, get_data="", post_data=""),
            AccessLog.objects.create(**seen),
        )
    for place, hamlet in hamlets.items():
        report = IncidentReportFactory(hamlet=hamlet, code=f"TB-2026-MAP{place}")
        reveal = InformantReveal.objects.create(
            report=report, user=clerk_x if place == "other" else clerk, reason="map"
        )
        tip = IncidentReportFactory(
            hamlet=hamlet, code=f"TB-2026-TIP{place}", channel="anonymous_tip"
        )
        access = TipAccess.objects.create(report=tip, code_hash=f"map-{place}")
        attachment = Attachment(
            report=report, original_name=f"map-{place}.png", content_type="image/png", size=len(PNG)
        )
        attachment.file.save("map.png", ContentFile(PNG), save=True)
        world.add(place, report, reveal, access, attachment)
    for place, unit in (("ours", commune), ("other", other_commune)):
        world.add(
            place,
            DeadlineRule.objects.create(commune=unit, urgency="urgent", hours=12),
            ReportSettings.objects.create(commune=unit),
        )
    _add_bulletins(world, clerk, clerk_x)

    _add_reviews(world, hamlets)
    _add_unscoped(world, clerk)
    return world


def _add_bulletins(world: World, clerk: User, clerk_x: User) -> None:
    """Per place, a published bulletin reaching only that hamlet, with its picture, its
    posting in the place's group (with a proof screenshot) and a logged question."""
    for place in ("A", "B", "other"):
        hamlet, group = world.get(Hamlet, place), world.get(ZaloGroup, place)
        author = clerk_x if place == "other" else clerk
        bulletin = published(author, hamlet, title=f"Bản tin {place}")
        posting = add_proof(Posting.objects.get(bulletin=bulletin, group=group))
        question = ProcedureQuestionFactory(group=group, recorded_by=author)
        world.add(place, bulletin, add_image(bulletin), posting, question)
    for place, commune in (
        ("ours", world.get(Commune, "ours")),
        ("other", world.get(Commune, "other")),
    ):
        world.add(place, BulletinSettings.objects.create(commune=commune))
    world.add("any", Guide.objects.order_by("pk").first())


def _add_reviews(world: World, hamlets: dict[str, Hamlet]) -> None:
    """A draft review of each commune with a finished build (tiny files), a nomination and the
    year's safety assessment of each hamlet."""
    for place in ("ours", "other"):
        commune = world.get(Commune, place)
        review = AnnualReviewFactory(commune=commune)
        settings = ReviewSettings.for_commune(commune)  # the defaults, saved
        settings.save()
        world.add(
            place,
            review,
            build_with_files(review, f"map-{place}"),
            Commendation.objects.create(
                review=review,
                nominee_kind=Commendation.Nominee.HAMLET,
                hamlet=hamlets["A" if place == "ours" else "other"],
                name="map",
                reason="map",
            ),
            settings,
        )
    for place, hamlet in hamlets.items():
        world.add(place, SafetyAssessment.objects.create(hamlet=hamlet, year=2026))
    world.add("any", SafetyCriterion.objects.order_by("pk").first())


def _add_unscoped(world: World, user: User) -> None:
    Token.objects.create(user=user)
    interval = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.MINUTES)
    world.add(
        "any",
        Group.objects.order_by("pk").first(),
        TokenProxy.objects.get(user=user),
        interval,
        CrontabSchedule.objects.create(minute="30", hour="0"),
        SolarSchedule.objects.create(event="sunrise", latitude=11.5, longitude=106.9),
        ClockedSchedule.objects.create(
            clocked_time=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
        ),
        PeriodicTask.objects.create(name="map-task", task="binhyen.heartbeat", interval=interval),
        # A fresh heartbeat, so that /healthz answers 200 (and is one result to show).
        TaskResult.objects.create(task_id="map-hb", task_name=HEARTBEAT_TASK, status="SUCCESS"),
        GroupResult.objects.create(group_id="map-group"),
    )


# --- Concrete URLs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    url: str
    route: Route
    place: str | None = None  # where the object the URL points at is; None: no object
    kwargs: dict[str, str] = field(default_factory=dict)

    @property
    def model(self) -> type[models.Model] | None:
        return self.route.model

    def __str__(self) -> str:
        return self.url


_GROUP = re.compile(r"\(\?P<(\w+)>")
_ROUTE_PARAM = re.compile(r"<(?:[^>:]+:)?([^>]+)>")
_ALTERNATIVES = re.compile(r"\w+(\|\w+)+")


def _regex_groups(regex: str) -> Iterator[tuple[re.Match, int, str]]:
    """Each named group of `regex`: its opening match, where it ends, and its body."""
    start = 0
    while match := _GROUP.search(regex, start):
        depth, end = 1, match.end()
        while depth:
            char = regex[end]
            if char == "\\":
                end += 2
                continue
            depth += {"(": 1, ")": -1}.get(char, 0)
            end += 1
        yield match, end, regex[match.end() : end - 1]
        start = end


def _fill(pattern: RoutePattern | RegexPattern, values: dict[str, str]) -> str:
    if isinstance(pattern, RoutePattern):
        return _ROUTE_PARAM.sub(
            lambda m: pattern.converters[m[1]].to_url(values[m[1]]), str(pattern)
        )
    regex, text, last = str(pattern), [], 0
    for match, end, _body in _regex_groups(regex):
        text += [regex[last : match.start()], values[match[1]]]
        last = end
    text.append(regex[last:])
    filled = "".join(text).removeprefix("^").removesuffix("$").replace("/?", "")
    return re.sub(r"\\(.)", r"\1", filled)


def _choices(route: Route) -> dict[str, list[str]]:
    """Values of the parameters that do not name an object."""
    choices: dict[str, list[str]] = {}
    for pattern in route.chain:
        if isinstance(pattern, RegexPattern):
            for match, _end, body in _regex_groups(str(pattern)):
                if _ALTERNATIVES.fullmatch(body):
                    choices[match[1]] = body.split("|")
    for param in route.params:
        if param == "format":
            choices[param] = ["json"]
        elif param == "size":  # the web app's icons (binhyen/webapp.py)
            choices[param] = ["192"]
        elif param == "url" and getattr(route.callback, "__name__", "") == "catch_all_view":
            choices[param] = [MISSING_ADMIN_PAGE]
    return choices


def _object_values(route: Route, obj: models.Model, world: World, place: str) -> dict[str, str]:
    names = [
        p
        for p in route.params
        if p in ("object_id", "id", "pk") or p in PARAM_MODELS or p in PARAM_FIELDS
    ]
    if len(names) > 1:
        raise Unbuildable(f"{names} name several objects in {route.route!r}: teach urlmap.py")
    values = {}
    for param in route.params:
        if param in PARAM_FIELDS:
            values[param] = str(getattr(obj, PARAM_FIELDS[param][1]))
        elif param in PARAM_MODELS and not isinstance(obj, PARAM_MODELS[param]):
            # An action of a viewset about another model (/api/v1/bulletins/images/<image_id>/
            # of the bulletins' viewset): that model's object of the same place, not the
            # viewset's id (equal only while both tables' ids match, as in a fresh database).
            values[param] = str(world.get(PARAM_MODELS[param], place).pk)
        elif param in names:
            values[param] = str(obj.pk)
        elif param == "content_type_id":
            values[param] = str(ContentType.objects.get_for_model(obj).pk)
    return values


def targets(route: Route, world: World) -> list[Target]:
    """The concrete URLs of a pattern: one per place of its object and per choice of value."""
    choices = _choices(route)
    combos: list[dict[str, str]] = [{}]
    for param, values in choices.items():
        combos = [{**combo, param: value} for combo in combos for value in values]
    objects: dict[str | None, models.Model | None] = {None: None}
    if any(p not in choices for p in route.params):
        model = route.model
        if model is None:
            unknown = [p for p in route.params if p not in choices]
            raise Unbuildable(f"no rule to fill {unknown} of {route.route!r}: teach urlmap.py")
        objects = dict(world.places(model))
    found = []
    for place, obj in objects.items():
        for combo in combos:
            values = {**combo, **(_object_values(route, obj, world, place) if obj else {})}
            missing = [p for p in route.params if p not in values]
            if missing:
                raise Unbuildable(f"no rule to fill {missing} of {route.route!r}")
            url = "/" + "".join(_fill(pattern, values) for pattern in route.chain)
            _check_resolves(url, route)
            found.append(Target(url, route, place, combo))
    return found


def _check_resolves(url: str, route: Route) -> None:
    try:
        match = resolve(url)
    except Resolver404 as exc:
        raise Unbuildable(f"{url} built for {route.route!r} resolves to nothing") from exc
    if match.route != route.route:
        raise Unbuildable(f"{url} built for {route.route!r} resolves to {match.route!r}")
