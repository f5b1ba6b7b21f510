"""The Celery app. Configuration lives in settings under the CELERY_ namespace."""

import logging
import os
from typing import Any

from celery import Celery, Task
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "binhyen.settings")


class AuditedTask(Task):
    """A task whose audited changes name the task (run by a worker, eagerly, or called)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from accounts.audit import audit_origin  # the apps are loaded only once a task runs

        with audit_origin(kind="task", name=self.name):
            return super().__call__(*args, **kwargs)


app = Celery("binhyen", task_cls=AuditedTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


def enqueue(task: Any, *args: Any) -> bool:
    """`task.delay(*args)`, except that a broker which is down is logged, not raised.

    Callers only enqueue work that a periodic scan also finds (a row not yet stamped as done),
    so a message that could not be sent is delayed until the next scan, never lost; and the
    request that saved the row still succeeds. Returns whether the message was sent."""
    try:
        task.delay(*args)
    except Exception:  # kombu.OperationalError, redis/socket errors, a full disk…
        logger.warning("Broker unavailable: %s left for the periodic scan", task.name)
        return False
    return True


def enqueue_on_commit(task: Any, *args: Any) -> None:
    """Enqueue `task` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task, *args))
