"""Writes of the accounts app: notifications."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from binhyen.celery import enqueue_on_commit

from .models import Notification, User


@transaction.atomic
def notification_send(
    *,
    user: User,
    key: str,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    email: bool = False,
) -> Notification | None:
    """Notify `user` once per `key`: the same key again (a task run twice, two workers, beat
    firing twice) creates nothing and returns None. With `email`, the message is also e-mailed
    after commit by a worker; if the broker is down then, the periodic scan
    (accounts.email_pending_notifications) sends it later. Inactive users are not notified.

    The title and body go into an e-mail: never put an informant's identity in them."""
    if not user.is_active:
        return None
    notification = Notification(
        user=user,
        key=key,
        kind=kind,
        title=title[:200],
        body=body,
        url=url,
        email_wanted=email and bool(user.email),
    )
    notification.full_clean(validate_constraints=False)
    try:
        # The unique (user, key) constraint decides: of two concurrent senders, the second
        # waits for the first to commit and then gets IntegrityError, i.e. "already sent".
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        return None
    if notification.email_wanted:
        from .tasks import send_notification_email

        enqueue_on_commit(send_notification_email, notification.pk)
    return notification


def notifications_mark_read(*, actor: User, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own notifications read: the given ids, or all of them. Other users'
    ids are ignored. Returns how many changed."""
    unread = Notification.objects.filter(user=actor).unread()
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
