import datetime
import logging
from collections.abc import Callable
from typing import TypeVar

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F, Model, Q, QuerySet
from django.utils import timezone

from . import push
from .models import Notification, PushDelivery, PushSubscription

logger = logging.getLogger(__name__)
M = TypeVar("M", bound=Model)

# A notification whose e-mail task has not run after this long is taken to be lost.
EMAIL_GRACE = datetime.timedelta(minutes=2)


# Namespace of the advisory locks of e-mail sends (PostgreSQL), so that they meet no other lock.
EMAIL_LOCK_NAMESPACE = 0x6E6F7469  # "noti"


@shared_task(name="accounts.send_notification_email")
def send_notification_email(notification_id: int) -> bool:
    """E-mail one notification, once: a second run (redelivery, the scan) finds nothing to do.
    If sending fails the row stays unsent and the scan tries again."""
    rows = Notification.objects.select_related("user")
    pending = Q(email_wanted=True, emailed_at__isnull=True)

    def send(notification: Notification) -> bool:
        try:
            _send(notification)
        except Exception:
            logger.warning("E-mail of notification %s failed; the scan will retry", notification_id)
            raise
        return True

    return _once(
        rows, pending, notification_id, stamp="emailed_at", lock=EMAIL_LOCK_NAMESPACE, send=send
    )


def _once(
    rows: QuerySet[M], pending: Q, pk: int, *, stamp: str, lock: int, send: Callable[[M], bool]
) -> bool:
    """Send the row `pk` of `rows` once if it is `pending` (not yet stamped), whoever else tries,
    then stamp `stamp`; returns what `send` says, or False when another run has it or had it. The
    claim of every send of this module (e-mails, pushes):

    - PostgreSQL: the send happens inside a transaction that holds an advisory lock on the row,
      and the row is stamped at its end. A worker killed in the middle of the send
      (binhyen/tests/test_faults.py) takes its transaction and its lock with it, so the
      redelivered task sends it; a concurrent run does not get the lock and leaves it to the
      holder. (An advisory lock, not SELECT FOR UPDATE: the user marking the notification read
      meanwhile must not wait for the mail server.)
    - SQLite: a write transaction would lock the whole database for as long as the mail server
      or push service takes, so the row is claimed first by stamping it with a conditional
      update, and the claim is given back if sending fails. A worker killed in the middle of the
      send loses that one message (the notification itself stays on the portal): the price of
      the embedded database, which small installations use."""
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [lock, pk % 2**31])
                if not cursor.fetchone()[0]:
                    return False
            row = rows.filter(pending, pk=pk).first()
            if row is None:
                return False
            done = send(row)
            rows.model.objects.filter(pk=pk).update(**{stamp: timezone.now()})
        return done
    if not rows.model.objects.filter(pending, pk=pk).update(**{stamp: timezone.now()}):
        return False
    row = rows.get(pk=pk)
    try:
        return send(row)
    except Exception:
        rows.model.objects.filter(pk=pk).update(**{stamp: None})
        raise


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
    """One device's push, claimed as an e-mail is (_once)."""
    rows = PushDelivery.objects.select_related("notification", "subscription")
    pending = Q(sent_at__isnull=True)
    return _once(rows, pending, delivery_id, stamp="sent_at", lock=PUSH_LOCK_NAMESPACE, send=_push)


def _push(delivery: PushDelivery) -> bool:
    """Send, then record the answer (_once stamps the delivery as done): sent (the device's last
    use), gone (the device is removed with its deliveries), refused for good (never retried)."""
    device = delivery.subscription
    outcome = push.send(device, push.payload(delivery.notification))
    if outcome.gone:
        logger.info("Push device %s is gone; removed", device.pk)
        PushSubscription.objects.filter(pk=device.pk).delete()
        return False
    PushDelivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1)
    if outcome.sent:
        PushSubscription.objects.filter(pk=device.pk).update(last_used_at=timezone.now())
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
