from celery import shared_task

from .services import bulletins_publish_due, reminders_send


@shared_task(name="bulletins.send_reminders")
def send_reminders() -> dict[str, int]:
    """Every five minutes: the reminder digests of each commune's slot that has come (exactly
    once per user and slot, so the frequent scan also catches up after a broker outage)."""
    run = reminders_send()
    return {"digests": run.digests, "escalations": run.escalations, "already": run.already_sent}


@shared_task(name="bulletins.publish_scheduled")
def publish_scheduled() -> int:
    """Every minute: publish the scheduled bulletins whose time has come."""
    return bulletins_publish_due()
