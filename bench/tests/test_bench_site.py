"""What only the benchmark serves and runs: the framework floor page (bench/urls.py, with
bench/settings.py), and the province generator's care for the product's caches."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client, modify_settings, override_settings
from django.urls import reverse

from accounts.models import User
from bench import scale
from reports import officers

pytestmark = pytest.mark.django_db


def test_the_product_serves_no_floor_page(police: User) -> None:
    client = Client()
    client.force_login(police)
    assert client.get("/bench/floor/").status_code == 404


@override_settings(ROOT_URLCONF="bench.urls")
@modify_settings(INSTALLED_APPS={"append": "bench"})  # as bench/settings.py: its templates
def test_the_benchmarks_urls_serve_the_floor_and_the_product(police: User) -> None:
    assert reverse("bench-floor") == "/bench/floor/"
    anonymous = Client().get("/bench/floor/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    client = Client()
    client.force_login(police)
    response = client.get("/bench/floor/")
    assert response.status_code == 200
    assert '<h1 class="h3">' in response.content.decode()
    assert client.get(reverse("home")).status_code == 200


def test_the_benchmark_settings_add_the_bench_app() -> None:
    from bench import settings as bench_settings
    from binhyen import settings as product_settings

    assert "bench" not in product_settings.INSTALLED_APPS
    assert [*product_settings.INSTALLED_APPS, "bench"] == bench_settings.INSTALLED_APPS
    assert bench_settings.ROOT_URLCONF == "bench.urls"


def test_the_province_loader_forgets_the_cached_lists() -> None:
    """seed_scale writes users in bulk (no signals) and, on PostgreSQL, restarts their keys."""
    cache.set(officers.VERSION_KEY, "before", None)
    scale.reset()
    assert cache.get(officers.VERSION_KEY) not in (None, "before")


def test_bare_django_is_django_alone() -> None:
    """bench/bare.py, the reference row of `make bench`: one view, nothing around it."""
    from bench import bare

    assert bare.MIDDLEWARE == [] and bare.INSTALLED_APPS == [] and bare.DATABASES == {}
    with override_settings(ROOT_URLCONF="bench.bare", MIDDLEWARE=[]):
        response = Client().get("/bench/bare/")
    assert response.status_code == 200 and response.content == bare.BODY
    assert not response.cookies


def test_stock_django_is_a_signed_in_page_with_djangos_middleware_only(police: User) -> None:
    """bench/stock.py, the other reference row: the product's user and sessions, Django's own
    middleware and a small template."""
    from bench import stock

    assert all(name.startswith("django.") for name in stock.MIDDLEWARE)
    with override_settings(
        ROOT_URLCONF="bench.stock",
        MIDDLEWARE=stock.MIDDLEWARE,
        TEMPLATES=stock.TEMPLATES,
        LOGIN_URL=stock.LOGIN_URL,
    ):
        anonymous = Client().get("/bench/stock/")
        client = Client()
        client.force_login(police)
        response = client.get("/bench/stock/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<p>{police.get_username()}</p>" in html and "csrfmiddlewaretoken" in html
