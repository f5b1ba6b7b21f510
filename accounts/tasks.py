import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from . import push
from .models import Notification, PushDelivery, PushSubscription

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


# --- Web Push -----------------------------------------------------------------------------

# A push whose task has not run after this long is taken to be lost; after PUSH_HORIZON a push
# still not sent is dropped (the notification itself stays on the portal and in the e-mail).
PUSH_GRACE = datetime.timedelta(minutes=2)
PUSH_HORIZON = datetime.timedelta(days=2)
PUSH_LOCK_NAMESPACE = 0x70757368  # "push"


@shared_task(name="accounts.send_notification_push")
def send_notification_push(notification_id: int) -> int:
    """Push one notification to each of its devices, once per device (PushDelivery): a second
    run, a redelivery or the scan finds nothing left to do. A device whose push service is down
    keeps its delivery pending for the scan; one that is gone (404/410) is removed. Returns how
    many devices it was pushed to."""
    if not push.enabled():
        return 0  # the keys were taken away: the pending pushes wait, then expire
    due = PushDelivery.objects.filter(notification_id=notification_id, sent_at__isnull=True)
    sent = 0
    for delivery_id in list(due.values_list("pk", flat=True)):
        try:
            sent += _push_one(delivery_id)
        except Exception as error:  # one device's failure never holds up the others
            PushDelivery.objects.filter(pk=delivery_id).update(attempts=F("attempts") + 1)
            if isinstance(error, push.PushServiceUnavailable):
                logger.warning("Push %s not sent (%s); the scan will retry", delivery_id, error)
            else:
                logger.exception("Push %s failed; the scan will retry", delivery_id)
    return sent


def _push_one(delivery_id: int) -> bool:
    """The e-mail's claim, per device: PostgreSQL holds an advisory lock on the delivery while
    it is sent and stamps it in the same transaction; SQLite claims it first by stamping it, and
    gives the claim back if the push service is down (see send_notification_email)."""
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_try_advisory_xact_lock(%s, %s)",
                    [PUSH_LOCK_NAMESPACE, delivery_id % 2**31],
                )
                if not cursor.fetchone()[0]:
                    return False
            delivery = _pending_delivery(delivery_id)
            if delivery is None:
                return False
            return _push_and_stamp(delivery)
    claimed = PushDelivery.objects.filter(pk=delivery_id, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    if not claimed:
        return False
    delivery = PushDelivery.objects.select_related("notification", "subscription").get(
        pk=delivery_id
    )
    try:
        return _push_and_stamp(delivery)
    except Exception:
        PushDelivery.objects.filter(pk=delivery_id).update(sent_at=None)
        raise


def _pending_delivery(delivery_id: int) -> PushDelivery | None:
    return (
        PushDelivery.objects.select_related("notification", "subscription")
        .filter(pk=delivery_id, sent_at__isnull=True)
        .first()
    )


def _push_and_stamp(delivery: PushDelivery) -> bool:
    """Send, then record the answer: sent (stamped, the device's last use), gone (the device
    is removed with its deliveries), refused for good (stamped: never retried)."""
    device = delivery.subscription
    outcome = push.send(device, push.payload(delivery.notification))
    now = timezone.now()
    if outcome.gone:
        logger.info("Push device %s is gone; removed", device.pk)
        PushSubscription.objects.filter(pk=device.pk).delete()
        return False
    PushDelivery.objects.filter(pk=delivery.pk).update(sent_at=now, attempts=F("attempts") + 1)
    if outcome.sent:
        PushSubscription.objects.filter(pk=device.pk).update(last_used_at=now)
    return outcome.sent


@shared_task(name="accounts.push_pending_notifications")
def push_pending_notifications() -> int:
    """Every 5 minutes: push what is still pending (the broker was down when the notification
    was made, or the push service when it was sent), for PUSH_HORIZON; drop what is older.
    Returns how many pushes were sent."""
    now = timezone.now()
    PushDelivery.objects.filter(sent_at__isnull=True, created_at__lt=now - PUSH_HORIZON).delete()
    due = (
        PushDelivery.objects.filter(sent_at__isnull=True, created_at__lt=now - PUSH_GRACE)
        .order_by("notification_id")
        .values_list("notification_id", flat=True)
        .distinct()
    )
    sent = 0
    for notification_id in list(due[:500]):
        try:
            sent += send_notification_push(notification_id)
        except Exception:
            logger.exception("Notification %s not pushed; left for the next scan", notification_id)
    return sent
