"""The API fuzzed from its own OpenAPI schema (schemathesis): every operation of /api/schema/,
called with generated parameters and bodies as the commune police and as a hamlet head, must
answer without a server error, and every error must be a structured 4xx (a JSON object, as DRF
writes them), never an HTML page or a bare string.

Bounded: FUZZ_EXAMPLES examples per operation and persona (at least MIN_CALLS calls in all), so
the whole module stays under a minute on the project's machines (it prints the count at the end)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.db import transaction
from django.test import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig

from accounts.roles import Role
from conftest import make_user
from groups.models import Commune, Hamlet
from groups.tests.factories import MemberFactory, PeopleGroupFactory, ZaloGroupFactory
from reports.tests.factories import IncidentReportFactory

FUZZ_EXAMPLES = 15
MIN_CALLS = 1000  # over both personas: the floor the security review asked for
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
FULL_COVERAGE = os.environ.get("FUZZ_COVERAGE") == "1"
CALLS: list[int] = []


def _schema() -> schemathesis.schemas.BaseSchema:
    """The schema /api/schema/ serves, generated in-process (no request, no database)."""
    raw = SchemaGenerator().get_schema(request=None, public=True)
    data = json.loads(OpenApiJsonRenderer().render(raw))
    # Only the fuzzing phase, bounded: the coverage phase (every boundary and wrong-typed value
    # of every parameter; it found the HTML 404 of an id like "1.5") takes minutes here, so its
    # finding is kept as a plain test below and it runs in full with FUZZ_COVERAGE=1.
    config = SchemathesisConfig.from_dict(
        {
            "phases": {
                "examples": {"enabled": False},
                "coverage": {"enabled": FULL_COVERAGE, "unexpected-methods": []},
            }
        }
    )  # fmt: skip
    loaded = schemathesis.openapi.from_dict(data, config=config)
    loaded.app = get_wsgi_application()
    return loaded


schema = _schema()


PERSONAS = ("police", "head_b")


@pytest.fixture(scope="module")
def tokens(django_db_setup, django_db_blocker) -> Iterator[dict[str, str]]:
    """The personas of conftest.py and a few real rows (so that generated ids sometimes hit
    something), made once for the module inside a transaction rolled back at its end: each
    test runs in a savepoint of it, as Django's TestCase.setUpTestData does. Made per test,
    these rows were a quarter of the module's time."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            commune = Commune.objects.create(
                code="25387", name="Xã Thuận Lợi", province="Tỉnh Đồng Nai"
            )
            other = Commune.objects.create(code="25390", name="Xã Khác", province="Tỉnh Đồng Nai")
            hamlet_a = Hamlet.objects.create(commune=commune, code="A", name="Ấp Thuận Hòa")
            hamlet_b = Hamlet.objects.create(commune=commune, code="B", name="Ấp Thuận Phú 1")
            elsewhere = Hamlet.objects.create(commune=other, code="X", name="Ấp Khác")
            users = {
                "police": make_user("police", Role.COMMUNE_POLICE, commune),
                "officer_a": make_user("officer_a", Role.AREA_OFFICER, commune, [hamlet_a]),
                "head_b": make_user("head_b", Role.HAMLET_HEAD, commune, [hamlet_b]),
                "party_office": make_user("party", Role.PARTY_OFFICE, commune),
                "leader": make_user("leader", Role.COMMUNE_LEADER, commune),
                "outsider": make_user("outsider", Role.COMMUNE_POLICE, other),
            }
            for hamlet in (hamlet_a, hamlet_b, elsewhere):
                group = ZaloGroupFactory(hamlet=hamlet)
                people = PeopleGroupFactory(hamlet=hamlet)
                MemberFactory.create_batch(3, group=group, people_group=people)
                IncidentReportFactory(hamlet=hamlet)
            keys = {}
            for name in PERSONAS:
                # Tokens of accounts that need a second factor work once one is enrolled.
                user = users[name]
                TOTPDevice.objects.create(user=user, name="fuzz", confirmed=True)
                keys[name] = Token.objects.create(user=user).key
            yield keys
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def keep_connection():
    """schemathesis calls the WSGI application directly, whose request_finished signal closes
    the database connection (and with it the test's transaction, on PostgreSQL); Django's test
    client disconnects that handler the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=PERSONAS)
def token(request, keep_connection, tokens, db) -> str:
    return tokens[request.param]


def check_structured(response, case) -> None:
    status = response.status_code
    where = f"{case.method} {case.formatted_path} {case.query or ''} {case.body!r:.200}"
    assert status < 500, f"{where}: {status}\n{response.text[:500]}"
    if status >= 400:
        content_type = next(
            (v[0] if isinstance(v, list) else v for k, v in response.headers.items()
             if k.lower() == "content-type"),
            "",
        )  # fmt: skip
        assert content_type.startswith("application/json"), (
            f"{where}: {status} is not JSON ({content_type}): {response.text[:200]}"
        )
        body = response.json()
        assert isinstance(body, dict) and body, f"{where}: {status} body {body!r}"


@pytest.mark.django_db
@override_settings(ALLOWED_HOSTS=["*"])
@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_answers_every_generated_call_without_a_server_error(case, token) -> None:
    response = case.call(headers={"Authorization": f"Token {token}"})
    CALLS.append(1)
    check_structured(response, case)


def test_the_fuzzing_reached_every_operation() -> None:
    operations = list(schema.get_all_operations())
    assert len(operations) >= 15
    print(f"\nAPI fuzzing: {len(operations)} operations, {len(CALLS)} calls")
    if CALLS:  # the fuzzing ran in this session (not deselected)
        assert len(CALLS) >= MIN_CALLS


@pytest.mark.parametrize(
    "path", ["/api/v1/hamlets/1.5/", "/api/v1/no-such-thing/", "/api/v1/members/1/x/"]
)
def test_an_api_url_no_route_matches_answers_json(client, tokens, db, path) -> None:
    """What the coverage phase found: Django's HTML 404 answered API clients."""
    response = client.get(path, HTTP_AUTHORIZATION=f"Token {tokens['police']}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Không tìm thấy."}


def test_pages_outside_the_api_keep_the_html_404(client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
