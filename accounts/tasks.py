import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from .models import Notification

logger = logging.getLogger(__name__)

# A notification whose e-mail task has not run after this long is taken to be lost.
EMAIL_GRACE = datetime.timedelta(minutes=2)


# Namespace of the advisory locks of e-mail sends (PostgreSQL), so that they meet no other lock.
EMAIL_LOCK_NAMESPACE = 0x6E6F7469  # "noti"


@shared_task(name="accounts.send_notification_email")
def send_notification_email(notification_id: int) -> bool:
    """E-mail one notification, once: a second run (redelivery, the scan) finds nothing to do.
    If sending fails the row stays unsent and the scan tries again."""
    if connection.vendor == "postgresql":
        return _send_email_locked(notification_id)
    return _send_email_claimed(notification_id)


def _send_email_locked(notification_id: int) -> bool:
    """PostgreSQL: the send happens inside a transaction that holds an advisory lock on the
    notification, and the row is stamped as sent at its end. A worker killed in the middle of
    the send (binhyen/tests/test_faults.py) takes its transaction and its lock with it, so the
    redelivered task sends the message; a concurrent run does not get the lock and leaves it to
    the holder. (An advisory lock, not SELECT FOR UPDATE: the user marking the notification read
    meanwhile must not wait for the mail server.) Returns whether this run sent it."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)",
                [EMAIL_LOCK_NAMESPACE, notification_id % 2**31],
            )
            if not cursor.fetchone()[0]:
                return False
        notification = (
            Notification.objects.select_related("user")
            .filter(pk=notification_id, email_wanted=True, emailed_at__isnull=True)
            .first()
        )
        if notification is None:
            return False
        try:
            _send(notification)
        except Exception:
            logger.warning("E-mail of notification %s failed; the scan will retry", notification_id)
            raise
        Notification.objects.filter(pk=notification_id).update(emailed_at=timezone.now())
    return True


def _send_email_claimed(notification_id: int) -> bool:
    """SQLite: a write transaction would lock the whole database for as long as the mail server
    takes, so the row is claimed first by stamping `emailed_at` with a conditional update, and
    the claim is given back if sending fails. A worker killed in the middle of the send loses
    that one e-mail (the notification itself stays on the portal): the price of the embedded
    database, which small installations use."""
    claimed = Notification.objects.filter(
        pk=notification_id, email_wanted=True, emailed_at__isnull=True
    ).update(emailed_at=timezone.now())
    if not claimed:
        return False
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    try:
        _send(notification)
    except Exception:
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        logger.warning("E-mail of notification %s failed; the scan will retry", notification_id)
        raise
    return True


def _send(notification: Notification) -> None:
    body = notification.body
    if notification.url:
        body = f"{body}\n\n{settings.SITE_URL.rstrip('/')}{notification.url}".strip()
    send_mail(
        subject=notification.title,
        message=body,
        from_email=None,
        recipient_list=[notification.user.email],
    )


@shared_task(name="accounts.email_pending_notifications")
def email_pending_notifications() -> int:
    """Every 5 minutes: send the e-mails whose task never ran (the broker was down when the
    notification was created, or the message was lost). Returns how many were sent."""
    due = Notification.objects.filter(
        email_wanted=True,
        emailed_at__isnull=True,
        created_at__lt=timezone.now() - EMAIL_GRACE,
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(due[:500]):
        try:
            sent += send_notification_email(pk)
        except Exception:
            logger.exception("Notification %s not e-mailed; left for the next scan", pk)
    return sent
