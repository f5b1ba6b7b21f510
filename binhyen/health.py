"""Liveness of the whole installation: database, broker, and the beat → worker heartbeat."""

import logging
from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_celery_results.models import TaskResult

from .celery import app

logger = logging.getLogger(__name__)

HEARTBEAT_TASK = "binhyen.heartbeat"


@shared_task(name=HEARTBEAT_TASK, ignore_result=False)
def heartbeat() -> str:
    """Run every minute by beat. Its stored result (django-celery-results) is the record of
    when beat, the broker and a worker last worked together."""
    return timezone.now().isoformat()


def last_heartbeat() -> datetime | None:
    row = (
        TaskResult.objects.filter(task_name=HEARTBEAT_TASK, status="SUCCESS")
        .order_by("-date_done")
        .values_list("date_done", flat=True)
        .first()
    )
    return row


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure means unhealthy; the detail goes to the log only
        logger.exception("health: database check failed")
        return False


def check_broker() -> bool:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
            return True
    except Exception:
        logger.exception("health: broker check failed")
        return False


def check_heartbeat() -> dict:
    try:
        last = last_heartbeat()
    except Exception:
        logger.exception("health: heartbeat check failed")
        return {"ok": False, "last": None}
    if last is None:
        return {"ok": False, "last": None}
    age = (timezone.now() - last).total_seconds()
    return {
        "ok": age <= settings.HEARTBEAT_MAX_AGE_SECONDS,
        "last": last.isoformat(),
        "age_seconds": round(age),
    }


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Public, login-free, and says nothing but the state of each part."""
    database = check_database()
    checks = {
        "database": {"ok": database},
        "broker": {"ok": check_broker()},
        "heartbeat": check_heartbeat() if database else {"ok": False, "last": None},
    }
    healthy = all(part["ok"] for part in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unhealthy", "checks": checks},
        status=200 if healthy else 503,
    )
