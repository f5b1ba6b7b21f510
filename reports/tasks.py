"""Celery tasks of reports. Each takes primary keys, claims its work with a conditional update
and calls the code that does it, so that running twice (a redelivery, the scan meeting the
task, two workers) does it once."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from accounts.services import notification_send

from . import notifications
from .models import IncidentReport, ReportEvent
from .services import informants_erase_expired

logger = logging.getLogger(__name__)

# A report not yet notified after this long is taken to have lost its task (the broker was down
# when it was filed); younger ones are left to the task that is surely on its way.
NOTIFY_GRACE = datetime.timedelta(minutes=1)
# The scan does not dig further back than this: a report that old is in the queue anyway.
NOTIFY_HORIZON = datetime.timedelta(days=7)


@shared_task(name="reports.erase_expired_informants")
def erase_expired_informants() -> int:
    """Daily: erase informant identities kept past their commune's retention period."""
    return informants_erase_expired()


@shared_task(name="reports.notify_new_report")
def notify_new_report(report_id: int) -> int:
    """Tell the responsible officers about a new report, once (see reports/notifications.py).

    The report is claimed by stamping `notified_at` with a conditional update, in the same
    transaction as the notifications: a second run finds it stamped and does nothing; a run
    that fails rolls its stamp back, and the scan tries again (the notifications' keys make
    sure nobody is told twice). Returns how many users were notified."""
    with transaction.atomic():
        claimed = IncidentReport.objects.filter(pk=report_id, notified_at=None).update(
            notified_at=timezone.now()
        )
        if not claimed:
            return 0
        report = IncidentReport.objects.select_related("hamlet").get(pk=report_id)
        message = notifications.new_report_message(report)
        sent = _send(
            notifications.new_report_recipients(report),
            key=f"report-new:{report.pk}",
            kind=notifications.KIND_NEW_REPORT,
            message=message,
        )
    # Only the report's number: never its text, informant or tracking code.
    logger.info("Report #%s: %d users notified", report_id, sent)
    return sent


@shared_task(name="reports.notify_report_event")
def notify_report_event(event_id: int) -> int:
    """Tell the filer of a report about a reply or a change of status, or the police about a
    report its reporter reopened, once (see reports/notifications.py): claimed by stamping the
    event's `notified_at`, like notify_new_report. Returns how many users were notified."""
    with transaction.atomic():
        claimed = ReportEvent.objects.filter(pk=event_id, notified_at=None).update(
            notified_at=timezone.now()
        )
        if not claimed:
            return 0
        event = ReportEvent.objects.select_related(
            "report__hamlet", "report__filed_by", "report__assigned_to", "feedback"
        ).get(pk=event_id)
        recipients, kind, message = _event_news(event)
        sent = _send(recipients, key=f"report-event:{event.pk}", kind=kind, message=message)
    logger.info("Report event #%s: %d users notified", event_id, sent)
    return sent


def _event_news(event: ReportEvent):
    """Who is told of `event`, under which kind, and what (reports/notifications.py)."""
    if notifications.tells_police(event):
        return (
            notifications.reopening_recipients(event),
            notifications.KIND_REOPENED,
            notifications.reopening_message(event),
        )
    kind = (
        notifications.KIND_STATUS
        if event.kind == ReportEvent.Kind.STATUS_CHANGED
        else notifications.KIND_REPLY
    )
    return notifications.filer_recipients(event), kind, notifications.filer_message(event)


def _send(recipients, *, key: str, kind: str, message) -> int:
    """Notify each recipient once under `key` (and by e-mail); how many were notified."""
    sent = 0
    for user in recipients:
        notification = notification_send(
            user=user,
            key=key,
            kind=kind,
            title=message.title,
            body=message.body,
            url=message.url,
            email=True,
        )
        sent += notification is not None
    return sent


def _notify_pending_events(now: datetime.datetime) -> int:
    pending = (
        ReportEvent.objects.filter(
            notified_at=None,
            created_at__lt=now - NOTIFY_GRACE,
            created_at__gte=now - NOTIFY_HORIZON,
        )
        .filter(notifications.event_news())
        .order_by("created_at", "pk")
    )
    done = 0
    for event_id in list(pending.values_list("pk", flat=True)[:500]):
        try:
            notify_report_event(event_id)
            done += 1
        except Exception:
            logger.exception("Report event #%s not notified; left for the next scan", event_id)
    return done


@shared_task(name="reports.notify_pending_reports")
def notify_pending_reports() -> int:
    """Every 2 minutes: notify the reports, the replies and changes of status for their filers,
    and the reopenings by their reporters, whose task never ran (the broker was down when they
    were made, or the message was lost). Returns how many reports and events were notified."""
    now = timezone.now()
    pending = IncidentReport.objects.filter(
        notified_at=None,
        created_at__lt=now - NOTIFY_GRACE,
        created_at__gte=now - NOTIFY_HORIZON,
    ).order_by("created_at", "pk")
    done = 0
    for report_id in list(pending.values_list("pk", flat=True)[:500]):
        try:
            notify_new_report(report_id)
            done += 1
        except Exception:
            logger.exception("Report #%s not notified; left for the next scan", report_id)
    return done + _notify_pending_events(now)


@shared_task(name="reports.send_overdue_digest")
def send_overdue_digest() -> int:
    """Daily at 07:00: each commune's police lead gets the list of its overdue reports, once a
    day (the key holds the date). Returns how many digests were sent."""
    now = timezone.now()
    day = timezone.localdate(now).isoformat()
    overdue = (
        IncidentReport.objects.overdue(now)
        .select_related("hamlet", "assigned_to", "commune")
        .order_by("commune_id", "due_at", "pk")
    )
    by_commune: dict[int, list[IncidentReport]] = {}
    for report in overdue:
        by_commune.setdefault(report.commune_id, []).append(report)
    sent = 0
    for commune_id, reports in by_commune.items():
        message = notifications.overdue_digest_message(reports[0].commune, reports, now=now)
        for user in notifications.police_leads(commune_id):
            notification = notification_send(
                user=user,
                key=f"report-overdue-digest:{day}",
                kind=notifications.KIND_OVERDUE_DIGEST,
                title=message.title,
                body=message.body,
                url=message.url,
                email=True,
            )
            sent += notification is not None
    logger.info("Overdue digest: %d sent", sent)
    return sent
