"""The authorization matrix: every URL pattern of the project × every persona (ASVS V4 / V8).

The patterns come from the URL resolver (urlmap.routes()), not from a list, and each is requested
with real objects in hamlet A, hamlet B and another commune (urlmap.targets()). What each persona
must get is decided by EXPECTATIONS, one table keyed by the pattern's name (its route when it has
none): a pattern without an entry fails here, and so does an entry without a pattern. The admin's
model views share one rule per kind of view ("admin:{model}_change"), derived from the role's
permissions in ROLE_PERMISSIONS and from is_staff, so a newly registered model needs no entry; its
objects must be added to urlmap.build_world(), or its object URLs cannot be built (and fail). A
ModelAdmin that decides differently from its model permissions gets an entry under the view's own
name (e.g. "admin:reports_incidentreport_add"), which wins over the kind's rule.

Outcomes: "ok" (200), "redirect" (a redirect that is the page's normal answer), "login" (sent to
a login page, or 401 from the API, while anonymous), "forbidden" (403, or a signed-in user sent to
the admin's login), "missing" (404, or the admin's "… doesn't exist" redirect to its index),
"not-allowed" (405), "invalid" (400). Out of scope is "missing", like an object that does not
exist; in scope without the permission is "forbidden" (STYLE.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.messages import constants, get_messages
from django.db import models
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import ROLE_PERMISSIONS, STAFF_ROLES, Role
from binhyen.tests.urlmap import Route, Target, Unbuildable, World, build_world, routes, targets
from groups.access import hamlets_for
from groups.models import Commune, Hamlet

pytestmark = pytest.mark.django_db

OK, REDIRECT, LOGIN, FORBIDDEN = "ok", "redirect", "login", "forbidden"
MISSING, NOT_ALLOWED, INVALID = "missing", "not-allowed", "invalid"
ACCEPTED = "accepted"  # an unsafe method the persona may use: "ok" or "invalid"


# --- Personas -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Persona:
    """A persona of conftest.py, and what it may see: its commune ("ours" or "other") and, in
    ours, the hamlets in its scope."""

    name: str
    role: Role | None = None
    commune: str | None = None
    hamlets: frozenset[str] = frozenset()

    def __str__(self) -> str:
        return self.name

    @property
    def anonymous(self) -> bool:
        return self.role is None

    @property
    def staff(self) -> bool:
        return self.role in STAFF_ROLES

    def has(self, action: str, model: type[models.Model]) -> bool:
        """Whether the role holds `<action>_<model>` of the model's app ("view"), or a permission
        given in full ("reports.view_informant")."""
        opts = model._meta
        code = action if "." in action else f"{opts.app_label}.{action}_{opts.model_name}"
        return code in ROLE_PERMISSIONS.get(self.role, ())

    def sees(self, place: str | None) -> bool:
        """Whether an object at `place` (see urlmap) is in this persona's scope."""
        if place is None:
            return True
        if self.anonymous:
            return False
        if place in ("A", "B"):
            return place in self.hamlets
        return place == "any" or place == self.commune


PERSONAS = [
    Persona("anonymous"),
    Persona("police", Role.COMMUNE_POLICE, "ours", frozenset("AB")),
    Persona("officer_a", Role.AREA_OFFICER, "ours", frozenset("A")),
    Persona("head_b", Role.HAMLET_HEAD, "ours", frozenset("B")),
    Persona("party_office", Role.PARTY_OFFICE, "ours", frozenset("AB")),
    Persona("leader", Role.COMMUNE_LEADER, "ours", frozenset("AB")),
    Persona("outsider", Role.COMMUNE_POLICE, "other"),
]


# --- Rules: (persona, target) -> outcome ------------------------------------------------------

Rule = Callable[[Persona, Target], str]


def public(answer: str = OK) -> Rule:
    return lambda persona, target: answer


def signed_in(answer: str = OK) -> Rule:
    return lambda persona, target: LOGIN if persona.anonymous else answer


def login_page(persona: Persona, target: Target) -> str:
    return OK if persona.anonymous else REDIRECT  # redirect_authenticated_user


def page(permission: str, allowed: str = OK) -> Rule:
    """Our HTML pages: login first, then scope (404), then the permission (403); `allowed` is
    the answer with it (a redirect for a page that sends a published bulletin back)."""

    def rule(persona: Persona, target: Target) -> str:
        if persona.anonymous:
            return LOGIN
        if not persona.sees(target.place):
            return MISSING
        return allowed if permission in ROLE_PERMISSIONS.get(persona.role, ()) else FORBIDDEN

    return rule


def page_any(*permissions: str) -> Rule:
    """A page that answers any of several permissions (the report list: the queue for who
    triages, "my reports" for who files)."""

    def rule(persona: Persona, target: Target) -> str:
        if persona.anonymous:
            return LOGIN
        if not persona.sees(target.place):
            return MISSING
        held = ROLE_PERMISSIONS.get(persona.role, ())
        return OK if any(permission in held for permission in permissions) else FORBIDDEN

    return rule


TRIAGE = "reports.triage_report"


def api(action: str = "view") -> Rule:
    """The API: 401 without credentials; the model permission (RegisterPermissions) is checked
    before the object is fetched (403), then the scoped queryset answers 404."""

    def rule(persona: Persona, target: Target) -> str:
        if persona.anonymous:
            return LOGIN
        if not persona.has(action, target.model):
            return FORBIDDEN
        return OK if persona.sees(target.place) else MISSING

    return rule


def report_map(persona: Persona, target: Target) -> str:
    """The map of reports (page and API, reports.maps.may_see_map): who reads reports and either
    triages them or sees every hamlet (police, area officers, party office, leaders), each on
    their own scope; not a hamlet head."""
    if persona.anonymous:
        return LOGIN
    held = ROLE_PERMISSIONS.get(persona.role, ())
    wide = TRIAGE in held or "groups.view_all_hamlets" in held
    return OK if "reports.view_incidentreport" in held and wide else FORBIDDEN


def admin_site(staff: str | Rule) -> Rule:
    """A page of the admin: anonymous users go to its login, signed-in users who are not staff
    are refused (sent to its login), staff get `staff`."""

    def rule(persona: Persona, target: Target) -> str:
        if persona.anonymous:
            return LOGIN
        if not persona.staff:
            return FORBIDDEN
        return staff(persona, target) if callable(staff) else staff

    return rule


def admin_model(actions: str, *, scope_first: bool = False) -> Rule:
    """A view of a registered model, allowed with any of "view|change", or all of "add+change",
    of the model's permissions. An object out of scope reads as missing: after the permission
    check (the change and delete views), or before it (`scope_first`: the history view)."""

    def staff(persona: Persona, target: Target) -> str:
        needed = actions.split("+") if "+" in actions else None
        if needed:
            allowed = all(persona.has(action, target.model) for action in needed)
        else:
            allowed = any(persona.has(action, target.model) for action in actions.split("|"))
        seen = persona.sees(target.place)
        if scope_first and not seen:
            return MISSING
        if not allowed:
            return FORBIDDEN
        return OK if seen else MISSING

    return admin_site(staff)


def app_index(persona: Persona, target: Target) -> str:
    """An app's page lists the registered models the user has any permission on, else 404."""
    registered = filter(
        admin.site.is_registered, apps.get_app_config(target.kwargs["app_label"]).get_models()
    )
    actions = ("view", "add", "change", "delete")
    return OK if any(persona.has(a, m) for m in registered for a in actions) else MISSING


def admin_login(persona: Persona, target: Target) -> str:
    if persona.staff:
        return REDIRECT  # already in: on to the index
    return OK  # the form; a signed-in non-staff user is told they are not authorized


def admin_logout(persona: Persona, target: Target) -> str:
    # Logging out is a POST; the admin sends anyone outside it to its index first.
    return NOT_ALLOWED if persona.staff else REDIRECT


def enrolled_only(persona: Persona, target: Target) -> str:
    """Pages for users who have a second factor: the personas who need one have it (conftest
    verifies their test logins); the others are sent to enrolment."""
    if persona.anonymous:
        return LOGIN
    required = any(p in ROLE_PERMISSIONS.get(persona.role, ()) for p in OTP_REQUIRED)
    return OK if required else REDIRECT


OTP_REQUIRED = settings.OTP_REQUIRED_PERMISSIONS


EXPECTATIONS: dict[str, Rule] = {
    # accounts
    "home": signed_in(),
    "login": login_page,
    "logout": public(NOT_ALLOWED),  # POST only
    "password_change": signed_in(),
    "password_change_done": signed_in(),
    "notifications": signed_in(),  # one's own only
    "notification-read": signed_in(NOT_ALLOWED),  # POST only
    "two-factor-setup": signed_in(),  # enrolment, or the status once enrolled
    "api-token": signed_in(),  # one's own token only
    "push-devices": signed_in(),  # one's own devices only
    "push-subscribe": signed_in(NOT_ALLOWED),  # POST only
    "push-device": signed_in(NOT_ALLOWED),  # POST only; another's device is 404 (test_push.py)
    "push-device-remove": signed_in(MISSING),  # the devices of the world are the clerks'
    "two-factor-verify": signed_in(REDIRECT),  # already verified, or nothing to verify with
    "two-factor-recovery": enrolled_only,
    "audit-log": page("auditlog.view_logentry"),
    # the register's pages
    "groups:coverage": page("groups.view_hamlet"),
    "groups:coverage-hamlet": page("groups.view_hamlet"),
    "groups:group-poster": page("groups.view_zalogroup"),
    "groups:member-list": page("groups.view_member"),
    "groups:member-export": page("groups.view_member"),
    "groups:member-detail": page("groups.view_member"),
    # anonymous tips: public pages, no login (reports/tip_urls.py); a commune of any place
    "tips:new": public(),
    "tips:qr": public(),
    "tips:track": public(),
    # the report pages
    "reports:report-list": page_any(TRIAGE, "reports.add_incidentreport"),
    "reports:report-create": page("reports.add_incidentreport"),
    "reports:queue-assign": signed_in(NOT_ALLOWED),  # POST only
    "reports:queue-export": page(TRIAGE),
    "reports:report-figures": page("reports.view_incidentreport"),
    "reports:report-map": report_map,
    "reports:reveal-log": page("reports.view_informantreveal"),
    "reports:report-detail": page("reports.view_incidentreport"),
    "reports:report-comment": signed_in(NOT_ALLOWED),  # POST only
    "reports:report-attach": signed_in(NOT_ALLOWED),  # POST only
    "reports:report-feedback": signed_in(NOT_ALLOWED),  # POST only
    "reports:report-transition": signed_in(NOT_ALLOWED),  # POST only
    "reports:report-assign": signed_in(NOT_ALLOWED),  # POST only
    "reports:report-outcome": signed_in(NOT_ALLOWED),  # POST only
    "reports:informant-reveal": page("reports.view_informant"),
    # The world's reports were filed by nobody: only who can triage may download their files
    # (whoever filed a report may too, see reports/tests/test_views.py).
    "reports:attachment-download": page(TRIAGE),
    # bulletins, the checklist, guides and questions (POST-only views answer GET with 405)
    "bulletins:bulletin-list": page("bulletins.view_bulletin"),
    "bulletins:bulletin-create": page("bulletins.add_bulletin"),
    "bulletins:bulletin-detail": page("bulletins.view_bulletin"),
    # The world's bulletins are published: the editor sends whoever may edit back to the page.
    "bulletins:bulletin-edit": page("bulletins.add_bulletin", REDIRECT),
    "bulletins:bulletin-transition": signed_in(NOT_ALLOWED),
    "bulletins:image-upload": signed_in(NOT_ALLOWED),
    "bulletins:image": page("bulletins.view_bulletin"),
    "bulletins:checklist": page("bulletins.add_posting"),
    "bulletins:posting-posted": signed_in(NOT_ALLOWED),
    "bulletins:posting-skip": signed_in(NOT_ALLOWED),
    "bulletins:posting-proof": page("bulletins.view_posting"),
    "bulletins:progress": page("bulletins.view_posting"),
    "bulletins:guide-list": page("bulletins.view_guide"),
    "bulletins:guide-detail": page("bulletins.view_guide"),
    "bulletins:questions": page("bulletins.view_procedurequestion"),
    # the yearly review: police build and finalise, the party office reads and approves
    # commendations, the leader reads; hamlet heads and area officers are refused (403)
    "reviews:list": page("reviews.view_annualreview"),
    "reviews:create": signed_in(NOT_ALLOWED),  # POST only
    "reviews:detail": page("reviews.view_annualreview"),
    "reviews:edit": page("reviews.change_annualreview"),
    "reviews:build": signed_in(NOT_ALLOWED),  # POST only
    "reviews:refresh": signed_in(NOT_ALLOWED),  # POST only
    "reviews:finalise": page("reviews.finalise_review"),
    "reviews:commendation-create": page("reviews.add_commendation"),
    "reviews:commendation-decide": signed_in(NOT_ALLOWED),  # POST only
    "reviews:safety": page("reviews.view_safetyassessment"),
    "reviews:build-status": page("reviews.view_annualreview"),
    "reviews:download": page("reviews.view_annualreview"),
    # infrastructure
    "healthz": public(),
    # the installable web app: the same for everyone (the manifest's start URL is the user's)
    "manifest": public(),
    "service-worker": public(),
    "offline": public(),
    "icon": public(),
    "icon-maskable": public(),
    "favicon": public(REDIRECT),  # to the static icon
    "set_language": public(REDIRECT),  # back to the page (or /), the language set by POST
    # the admin site
    "admin:index": admin_site(OK),
    "admin:login": admin_login,
    "admin:logout": admin_logout,
    "admin:password_change": admin_site(OK),
    "admin:password_change_done": admin_site(OK),
    "admin:autocomplete": admin_site(FORBIDDEN),  # without a source field nothing is allowed
    "admin:jsi18n": admin_site(OK),
    "admin:view_on_site": admin_site(MISSING),  # no model has a public page
    "admin:app_list": admin_site(app_index),
    "admin/(?P<url>.*)$": admin_site(MISSING),
    "admin:{model}_changelist": admin_model("view|change"),
    "admin:{model}_add": admin_model("add"),
    "admin:{model}_change": admin_model("view|change"),
    "admin:{model}_delete": admin_model("delete"),
    "admin:{model}_history": admin_model("view|change", scope_first=True),
    "admin:{model}_object": admin_site(REDIRECT),  # to the change view, which decides
    "admin:{model}_auditlog": admin_model("view|change"),
    "admin:{model}_import": admin_model("add+change"),
    "admin:{model}_import_template": admin_model("view|change"),
    "admin:auth_user_password_change": admin_model("change"),
    # Bulletins and postings are written through the pages and services only.
    "admin:bulletins_bulletin_add": admin_site(FORBIDDEN),
    "admin:bulletins_posting_add": admin_site(FORBIDDEN),
    # the API
    "api:api-root": signed_in(),
    "api:me": signed_in(),
    "api:commune-list": api(),
    "api:commune-detail": api(),
    "api:hamlet-list": api(),
    "api:hamlet-detail": api(),
    "api:hamlet-coverage": api(),
    "api:zalogroup-list": api(),
    "api:zalogroup-detail": api(),
    "api:member-list": api(),
    "api:member-detail": api(),
    "api:report-list": api(),
    "api:report-detail": api(),
    "api:report-map": report_map,
    "api:report-comments": api(),
    "api:report-feedback": api(),  # GET lists; POST answers (the filer, once resolved)
    "api:report-transition": signed_in(NOT_ALLOWED),  # POST only
    "api:report-reveal": signed_in(NOT_ALLOWED),  # POST only
    "api:bulletin-list": api(),
    "api:bulletin-detail": api(),
    "api:bulletin-transition": signed_in(NOT_ALLOWED),  # POST only
    "api:bulletin-images": api(),  # GET lists; POST uploads (add_bulletin, a draft)
    "api:bulletin-image-file": api(),
    "api:posting-list": api(),
    "api:posting-detail": api(),
    "api:posting-mark-posted": signed_in(NOT_ALLOWED),  # POST only
    "api:posting-skip": signed_in(NOT_ALLOWED),  # POST only
    "schema": signed_in(),
    "api-docs": signed_in(),
}


# --- Requests and their outcome ---------------------------------------------------------------


def fetch(client: Client, method: str, url: str) -> HttpResponse:
    # Messages left by an earlier request would otherwise be read with this one's.
    client.cookies.pop("messages", None)
    return client.generic(method, url)


def outcome(response: HttpResponse, persona: Persona) -> str:
    status = response.status_code
    if status >= 500:
        error = getattr(response, "exc_info", None)
        return f"error {status}" + (f" ({error[1]!r})" if error else "")
    if status in (301, 302, 303, 307, 308):
        path = urlsplit(response["Location"]).path
        if path in (resolve_url(settings.LOGIN_URL), reverse("admin:login")):
            return LOGIN if persona.anonymous else FORBIDDEN
        if path == reverse("admin:index") and any(
            m.level == constants.WARNING for m in get_messages(response.wsgi_request)
        ):
            return MISSING  # "… with ID “7” doesn't exist. Perhaps it was deleted?"
        return REDIRECT
    known = {200: OK, 400: INVALID, 401: LOGIN, 403: FORBIDDEN, 404: MISSING, 405: NOT_ALLOWED}
    return known.get(status, f"HTTP {status}")


@pytest.fixture
def world(
    settings,
    tmp_path,
    commune: Commune,
    other_commune: Commune,
    hamlet_a: Hamlet,
    hamlet_b: Hamlet,
    hamlet_elsewhere: Hamlet,
) -> World:
    settings.DATA_DIR = tmp_path  # the world's attachments
    return build_world(
        commune=commune,
        other_commune=other_commune,
        hamlet_a=hamlet_a,
        hamlet_b=hamlet_b,
        hamlet_elsewhere=hamlet_elsewhere,
    )


@pytest.fixture
def client_for(personas: dict[str, User]) -> Callable[[Persona], Client]:
    def make(persona: Persona) -> Client:
        client = Client(raise_request_exception=False)
        if not persona.anonymous:
            client.force_login(personas[persona.name])
        return client

    return make


def expectation(route: Route) -> Rule | None:
    """The rule for a pattern: by its own name first (which may single out one model's admin
    view, e.g. "admin:reports_incidentreport_add"), then by its key."""
    return EXPECTATIONS.get(route.name or "") or EXPECTATIONS.get(route.key)


def all_targets(world: World) -> tuple[list[tuple[Target, Rule]], list[str]]:
    """Every concrete URL with its rule, and a problem for each pattern that has no expectation
    or cannot be built."""
    found, problems = [], []
    for route in routes():
        rule = expectation(route)
        if rule is None:
            problems.append(f"add an expectation for {route.key!r} ({route.route})")
            continue
        try:
            found += [(target, rule) for target in targets(route, world)]
        except Unbuildable as exc:
            problems.append(f"cannot build a URL for {route.route}: {exc}")
    return found, problems


# --- The tests --------------------------------------------------------------------------------


def test_every_url_pattern_has_an_expectation_and_every_expectation_a_pattern() -> None:
    everything = routes()
    missing = [f"add an expectation for {route.key!r} ({route.route})"
               for route in everything if expectation(route) is None]  # fmt: skip
    keys = {route.key for route in everything} | {route.name for route in everything}
    stale = [f"the expectation for {key!r} matches no URL pattern: remove it"
             for key in EXPECTATIONS if key not in keys]  # fmt: skip
    assert not missing + stale, "\n".join(missing + stale)


def test_personas_match_the_fixtures(personas: dict[str, User], world: World) -> None:
    """The roles and scopes written in PERSONAS are what conftest.py gives each persona."""
    assert {p.name for p in PERSONAS if not p.anonymous} == set(personas)
    places = {hamlet.pk: place for place, hamlet in world.places(Hamlet).items()}
    for persona in PERSONAS[1:]:
        user = personas[persona.name]
        assert user.roles == [persona.role], persona
        assert user.is_staff == persona.staff, persona
        assert user.commune == world.get(Commune, persona.commune), persona
        seen = {places[hamlet.pk] for hamlet in hamlets_for(user)}
        assert seen == {p for p in places.values() if persona.sees(p)}, persona


@pytest.mark.parametrize("persona", PERSONAS, ids=str)
def test_every_url_answers_each_persona_as_expected(
    persona: Persona, world: World, client_for: Callable[[Persona], Client]
) -> None:
    client = client_for(persona)
    found, problems = all_targets(world)
    mismatches = []
    for target, rule in found:
        expected = rule(persona, target)
        got = outcome(fetch(client, "GET", target.url), persona)
        if got != expected:
            where = f"object in {target.place}" if target.place else "no object"
            mismatches.append(
                f"{persona} GET {target.url} ({target.route.key}, {where}): "
                f"expected {expected}, got {got}"
            )
    assert len(found) > 100  # the walk found the project's patterns
    assert not problems + mismatches, "\n".join(problems + mismatches)


UNSAFE = {"post": "add", "put": "change", "patch": "change", "delete": "delete"}


def unsafe_expectation(persona: Persona, target: Target, method: str) -> str:
    """An empty body: refused (401, 405, 403, 404, in that order) or, when the persona may,
    accepted: "invalid" (400) or "ok" (an empty PATCH, or a PUT of a model whose writable fields
    all have defaults, is a valid change of nothing)."""
    if persona.anonymous:
        return LOGIN
    if method not in target.route.callback.actions:
        return NOT_ALLOWED  # e.g. DELETE: a member or group is never deleted
    if not persona.has(UNSAFE[method], target.model):
        return FORBIDDEN
    if not persona.sees(target.place):
        return MISSING
    return ACCEPTED


@pytest.mark.parametrize("persona", PERSONAS, ids=str)
def test_unsafe_api_methods_are_refused_without_the_permission(
    persona: Persona, world: World, client_for: Callable[[Persona], Client]
) -> None:
    client = client_for(persona)
    api_targets = [
        target
        for route in routes()
        if route.viewset is not None and "format" not in route.params
        for target in targets(route, world)
    ]
    mismatches = []
    for target in api_targets:
        for method in UNSAFE:
            expected = unsafe_expectation(persona, target, method)
            got = outcome(fetch(client, method.upper(), target.url), persona)
            if got != expected and not (expected == ACCEPTED and got in (OK, INVALID)):
                mismatches.append(
                    f"{persona} {method.upper()} {target.url} (object in {target.place}): "
                    f"expected {expected}, got {got}"
                )
    assert api_targets
    assert not mismatches, "\n".join(mismatches)


# --- Filing channels: each role files only on the channels its pages offer ----------------------


@pytest.mark.parametrize("persona", PERSONAS, ids=str)
def test_each_role_files_through_the_api_only_on_the_channels_its_pages_offer(
    persona: Persona, world: World, client_for: Callable[[Persona], Client]
) -> None:
    """POST /api/v1/reports/ on every channel: 401 anonymous, 403 without add_incidentreport;
    with it, 201 on the channels of the role's report form (who triages: all but the anonymous
    tip; the others: their web form) and 400 on the rest. `anonymous_tip` is the tip form's."""
    from reports.models import Channel, IncidentReport

    client = client_for(persona)
    place = next((p for p in ("B", "A", "other") if persona.sees(p)), "B")
    hamlet = world.get(Hamlet, place)
    held = ROLE_PERMISSIONS.get(persona.role, ())
    if TRIAGE in held:
        offered = set(Channel.values) - {Channel.ANONYMOUS_TIP}
    else:
        offered = {Channel.WEB_FORM}
    mismatches = []
    for channel in Channel.values:
        before = IncidentReport.objects.count()
        body = {"hamlet": hamlet.pk, "category": "crime", "title": "Mất trộm", "urgency": "normal",
                "description": "Mất xe đạp trước nhà.", "channel": channel}  # fmt: skip
        response = client.post("/api/v1/reports/", body, content_type="application/json")
        if persona.anonymous:
            expected = 401
        elif "reports.add_incidentreport" not in held:
            expected = 403
        else:
            expected = 201 if channel in offered else 400
        created = IncidentReport.objects.count() - before
        if response.status_code != expected or created != (expected == 201):
            mismatches.append(
                f"{persona} {channel}: expected {expected}, got {response.status_code}"
            )
    assert not mismatches, "\n".join(mismatches)


# --- Rules that hold for every role: a posting's time, a token write's actor ---------------------


@pytest.mark.parametrize("persona", PERSONAS, ids=str)
def test_no_role_records_a_posting_before_its_bulletin_existed(
    persona: Persona, world: World, client_for: Callable[[Persona], Client]
) -> None:
    """Marking a posting posted in 2001 (before its bulletin was published) falsifies the
    on-time rates: refused to everyone, through the API and the checklist page, whatever
    reason is given; the posting stays to do."""
    from bulletins.models import Posting

    client = client_for(persona)
    for place in ("A", "B", "other"):
        posting = world.get(Posting, place)
        Posting.objects.filter(pk=posting.pk).update(status="pending", posted_at=None)
        body = {"posted_at": "2001-01-01T08:00:00+07:00", "backdate_reason": "Quên ghi"}
        api = client.post(f"/api/v1/postings/{posting.pk}/mark-posted/", body)
        page = client.post(f"/postings/{posting.pk}/posted/", body)
        posting.refresh_from_db()
        assert api.status_code >= 400, (persona, place, api.status_code)
        assert posting.posted_at is None or posting.posted_at.year != 2001, (persona, place)
        assert page.status_code in (302, 400, 403, 404, 405), (persona, place, page.status_code)


@pytest.mark.parametrize("persona", [p for p in PERSONAS if not p.anonymous], ids=str)
def test_a_write_made_with_a_token_is_logged_under_the_tokens_owner(
    persona: Persona, world: World, personas: dict[str, User]
) -> None:
    """A report filed through the API with each role's token: its audit entry names the
    token's owner, never "the system" (roles that may not file are refused, and log nothing)."""
    from auditlog.models import LogEntry
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from rest_framework.authtoken.models import Token

    from reports.models import IncidentReport

    user = personas[persona.name]
    TOTPDevice.objects.get_or_create(user=user, name="phone", defaults={"confirmed": True})
    token = Token.objects.create(user=user)
    place = next((p for p in ("B", "A", "other") if persona.sees(p)), "B")
    body = {"hamlet": world.get(Hamlet, place).pk, "category": "crime", "title": "Mất trộm",
            "urgency": "normal", "description": "Mất xe đạp.", "channel": "web_form"}  # fmt: skip
    response = Client().post(
        "/api/v1/reports/", body, content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )  # fmt: skip
    if "reports.add_incidentreport" not in ROLE_PERMISSIONS.get(persona.role, ()):
        assert response.status_code in (403, 404), (persona, response.status_code)
        return
    assert response.status_code == 201, (persona, response.content[:200])
    report = IncidentReport.objects.get(pk=response.json()["id"])
    entry = LogEntry.objects.get_for_object(report).get(action=LogEntry.Action.CREATE)
    assert entry.actor == user, (persona, entry.actor)
