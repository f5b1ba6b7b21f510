import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from .models import Notification

logger = logging.getLogger(__name__)

# A notification whose e-mail task has not run after this long is taken to be lost.
EMAIL_GRACE = datetime.timedelta(minutes=2)


@shared_task(name="accounts.send_notification_email")
def send_notification_email(notification_id: int) -> bool:
    """E-mail one notification, once: the row is claimed by stamping `emailed_at` with a
    conditional update, so a second run (redelivery, the scan) finds nothing to do. If sending
    fails the claim is given back and the scan tries again."""
    claimed = Notification.objects.filter(
        pk=notification_id, email_wanted=True, emailed_at__isnull=True
    ).update(emailed_at=timezone.now())
    if not claimed:
        return False
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    body = notification.body
    if notification.url:
        body = f"{body}\n\n{settings.SITE_URL.rstrip('/')}{notification.url}".strip()
    try:
        send_mail(
            subject=notification.title,
            message=body,
            from_email=None,
            recipient_list=[notification.user.email],
        )
    except Exception:
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        logger.warning("E-mail of notification %s failed; the scan will retry", notification_id)
        raise
    return True


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
