from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_results.models import TaskResult

from binhyen.celery import app
from binhyen.health import HEARTBEAT_TASK


def beat_at(when) -> None:
    row = TaskResult.objects.create(
        task_id=f"hb-{when.timestamp()}", task_name=HEARTBEAT_TASK, status="SUCCESS"
    )
    # date_done is auto_now: set it the way a past run would have left it.
    TaskResult.objects.filter(pk=row.pk).update(date_done=when)


@pytest.fixture
def fresh_heartbeat(db) -> None:
    beat_at(timezone.now() - timedelta(seconds=30))


def test_healthy_answers_200_json_without_login(client, fresh_heartbeat) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: part["ok"] for name, part in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "heartbeat": True,
    }
    assert body["checks"]["heartbeat"]["age_seconds"] in range(25, 40)
    assert "no-cache" in response["Cache-Control"]


def test_no_heartbeat_yet_is_unhealthy(client, db) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["heartbeat"] == {"ok": False, "last": None}


def test_stale_heartbeat_is_unhealthy(client, db, settings) -> None:
    settings.HEARTBEAT_MAX_AGE_SECONDS = 300
    beat_at(timezone.now() - timedelta(minutes=6))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["heartbeat"]["ok"] is False


def test_unreachable_broker_is_unhealthy_and_says_nothing_more(
    client, fresh_heartbeat, monkeypatch
) -> None:
    # A real connection attempt to a port where nothing listens. Patched as items, not
    # attributes: reading the attribute broker_write_url gives broker_url's value when unset,
    # and restoring that value would pin this process's writes to it for every later test.
    monkeypatch.setitem(app.conf, "broker_write_url", "redis://127.0.0.1:9/0")
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    monkeypatch.setitem(app.conf, "broker_transport", None)  # the URL's, not the embedded one
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"] == {"ok": False}
    assert "127.0.0.1" not in response.content.decode()


def test_database_failure_is_unhealthy(client, fresh_heartbeat, monkeypatch) -> None:
    def broken_cursor(*args, **kwargs):
        raise OSError("connection refused")

    from binhyen import health

    with monkeypatch.context() as patch:
        patch.setattr(health.connection, "cursor", broken_cursor)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False}
    assert "refused" not in response.content.decode()


def test_healthz_only_answers_get(client, db) -> None:
    assert client.post("/healthz").status_code == 405
