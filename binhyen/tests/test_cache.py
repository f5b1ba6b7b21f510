"""The cache speeds pages up and nothing more: Redis being down is a miss, never an error."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string


@pytest.mark.needs_redis
def test_the_cache_is_on_redis() -> None:
    cache.set("probe", "ok", 5)
    assert cache.get("probe") == "ok"
    assert settings.CACHES["default"]["LOCATION"] == settings.CACHE_URL


@pytest.mark.needs_redis
def test_a_redis_that_is_down_is_a_cache_miss() -> None:
    config = {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}  # closed port
    down = import_string(config["BACKEND"])(config["LOCATION"], config)
    down.set("probe", "ok", 5)  # no exception
    assert down.get("probe") is None
    assert down.get_or_set("probe", "computed", 5) == "computed"
