"""Tasks go through a real broker and a real worker (not eager mode)."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django_celery_results.models import TaskResult

from binhyen.celery import app
from binhyen.health import HEARTBEAT_TASK, heartbeat


def round_trip(client) -> None:
    app.control.purge()  # leftovers of an interrupted run must not be taken for ours
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        result = heartbeat.delay()
        stamp = result.get(timeout=30)
    assert result.status == "SUCCESS"
    row = TaskResult.objects.get(task_id=result.id)
    assert row.task_name == HEARTBEAT_TASK
    assert row.result.strip('"') == stamp
    assert client.get("/healthz").json()["checks"]["heartbeat"]["ok"] is True


@pytest.mark.django_db(transaction=True)
def test_task_round_trip_through_a_real_worker_on_the_configured_broker(client) -> None:
    round_trip(client)


@pytest.mark.needs_redis
@pytest.mark.django_db(transaction=True)
def test_task_round_trip_through_a_real_worker_on_redis(client) -> None:
    assert app.conf.broker_url == settings.REDIS_URL
    assert app.connection_for_write().transport_cls in ("redis", "rediss")
    round_trip(client)


def test_tasks_are_acknowledged_late_and_requeued_if_the_worker_dies() -> None:
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_time_limit and app.conf.task_soft_time_limit


def test_heartbeat_is_scheduled_every_minute() -> None:
    assert app.conf.beat_schedule["heartbeat"] == {"task": HEARTBEAT_TASK, "schedule": 60.0}


def test_the_embedded_broker_only_ever_shows_whole_messages(tmp_path) -> None:
    """A message appears in the queue folder complete (staged, then renamed), so a polling
    worker can never read a half-written one. Without REDIS_URL settings select this transport."""
    from kombu import Connection

    if not settings.REDIS_URL:
        assert app.conf.broker_transport == "binhyen.broker:Transport"
    folders = {name: tmp_path / name for name in ("queue", "processed", "control", "staging")}
    for folder in folders.values():
        folder.mkdir()
    options = {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
        "staging_folder": str(folders["staging"]),
    }
    with Connection(
        "filesystem://", transport="binhyen.broker:Transport", transport_options=options
    ) as connection:
        connection.default_channel._put("probe-queue", {"body": "x" * 100_000})
    written = list(folders["queue"].iterdir())
    assert len(written) == 1 and not any(folders["staging"].iterdir())
    assert written[0].read_bytes().endswith(b"}") and written[0].name.endswith(".probe-queue.msg")
