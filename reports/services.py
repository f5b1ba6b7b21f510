"""Writes to incident reports: filing, triage, timeline, attachments, the sealed informant.

Every service checks the acting user's permission and scope (groups/access.py) and raises
PermissionDenied for either: to a view, out of scope reads as missing. A new report notifies
its officers after commit, and a reply or change of status its filer (reports/tasks.py,
reports/notifications.py).
"""

from __future__ import annotations

import calendar
import datetime
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from binhyen.celery import enqueue_on_commit
from binhyen.images import photo_clean
from binhyen.sniff import EXTENSIONS, sniff
from groups.access import hamlets_for
from groups.models import Hamlet, PeopleGroup, ZaloGroup

from . import crypto, notifications
from .models import (
    DEFAULT_DEADLINE_HOURS,
    FEEDBACK_STATUSES,
    OPEN_STATUSES,
    Attachment,
    Channel,
    DeadlineRule,
    FeedbackAnswer,
    IncidentReport,
    Informant,
    InformantReveal,
    ReportCounter,
    ReportEvent,
    ReportFeedback,
    ReportSettings,
    Status,
    Urgency,
)
from .points import coarsen

# The reports and the residents' word on them: the topic (binhyen.page_cache) of the pages that
# list them (the queue), touched by their signals (reports/apps.py).
REPORTS_TOPIC = "reports"
REPORTS_MODELS = (IncidentReport, ReportFeedback)

INFORMANT_MAX_LENGTH = 500


# --- checks -------------------------------------------------------------------------------


def _require_perm(actor: User, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied


def _require_scope(actor: User, hamlet_ids: set[int]) -> None:
    if not hamlet_ids or hamlets_for(actor).filter(pk__in=hamlet_ids).count() != len(hamlet_ids):
        raise PermissionDenied


def _lock(report: IncidentReport) -> None:
    """Lock the report's row for this transaction and reload `report` from it, so that two
    officers acting at once see each other's change (no lost update, no double transition)."""
    list(IncidentReport.objects.select_for_update().filter(pk=report.pk).values_list("pk"))
    report.refresh_from_db()


def _event(report: IncidentReport, *, kind: str, actor: User | None, **fields: Any) -> ReportEvent:
    event = ReportEvent(report=report, kind=kind, actor=actor, **fields)
    event.full_clean()
    event.save()
    return event


def _tell_filer(event: ReportEvent) -> None:
    """A reply or a change of status is news for whoever filed the report (a hamlet head, who
    otherwise sees only a badge): told after commit, once (reports/notifications.py)."""
    from .tasks import notify_report_event  # tasks import this module

    if notifications.tells_filer(event):
        enqueue_on_commit(notify_report_event, event.pk)


def _tell_police(event: ReportEvent) -> None:
    """A report its reporter reopened is news for the police: told after commit, once."""
    from .tasks import notify_report_event  # tasks import this module

    enqueue_on_commit(notify_report_event, event.pk)


# --- filing -------------------------------------------------------------------------------


def _deadline_hours(*, commune_id: int, urgency: str, category: str) -> int:
    """The commune's rule for the category, else its rule for any category, else the default."""
    rules = dict(
        DeadlineRule.objects.filter(
            commune_id=commune_id, urgency=urgency, category__in=[category, ""]
        ).values_list("category", "hours")
    )
    return rules.get(category) or rules.get("") or DEFAULT_DEADLINE_HOURS[Urgency(urgency)]


def _next_code(*, commune_id: int, year: int) -> str:
    """The next number of the commune's year, e.g. TB-2026-00042. The counter row stays locked
    until the filing transaction ends: a rollback gives the number back, so there are no gaps,
    and concurrent filings wait for each other here (and only here)."""
    # INSERT … ON CONFLICT DO NOTHING: two first filings of a year do not both create a row.
    ReportCounter.objects.bulk_create(
        [ReportCounter(commune_id=commune_id, year=year)], ignore_conflicts=True
    )
    counter = ReportCounter.objects.select_for_update().get(commune_id=commune_id, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"TB-{year}-{counter.last:05d}"


def filing_channels(actor: User) -> list[str]:
    """The channels the actor may file a report on: the ones their report form offers. Who can
    triage records what came by any channel but the anonymous tip; whoever else files (a
    hamlet head) uses their web form. An anonymous tip is filed only by the public tip form
    (tips.services.tip_submit), never through report_create: its figures count in the review."""
    if actor.has_perm("reports.triage_report"):
        return [value for value in Channel.values if value != Channel.ANONYMOUS_TIP]
    return [Channel.WEB_FORM]


def _check_channel(actor: User, channel: str) -> None:
    if channel in filing_channels(actor):
        return
    if channel == Channel.ANONYMOUS_TIP:
        message = _("An anonymous tip can only be sent through the public tip form.")
    elif channel in Channel.values:
        message = _("You cannot file a report received by “%(channel)s”.") % {
            "channel": Channel(channel).label
        }
    else:
        return  # not a channel at all: the model's validation says so
    raise ValidationError({"channel": message}, code="channel_not_allowed")


def _informant_values(informant: dict[str, str]) -> dict[str, str]:
    unknown = set(informant) - set(Informant.FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown informant fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            code="informant_unknown_field",
        )
    values = {key: str(informant.get(key) or "").strip() for key in Informant.FIELDS}
    if not (values["name"] or values["phone"]):
        raise ValidationError(
            _("Give at least the informant's name or phone number."), code="informant_empty"
        )
    if any(len(value) > INFORMANT_MAX_LENGTH for value in values.values()):
        raise ValidationError(
            _("Each informant field has at most %(max)d characters.")
            % {"max": INFORMANT_MAX_LENGTH},
            code="informant_too_long",
        )
    return values


def _seal(report: IncidentReport, values: dict[str, str]) -> Informant:
    informant = Informant(
        report=report,
        **{column: crypto.encrypt(values[key]) for key, column in Informant.FIELDS.items()},
    )
    informant.save()
    return informant


@transaction.atomic
def report_create(
    *,
    actor: User,
    hamlet: Hamlet,
    category: str,
    title: str,
    description: str,
    channel: str,
    urgency: str,
    occurred_at: datetime.datetime | None = None,
    location: str = "",
    latitude: Any = None,
    longitude: Any = None,
    people_group: PeopleGroup | None = None,
    zalo_group: ZaloGroup | None = None,
    informant: dict[str, str] | None = None,
    submission_key: uuid.UUID | None = None,
) -> IncidentReport:
    """File a report for a hamlet in the actor's scope (permission add_incidentreport).

    `submission_key` is the idempotency key of the draft the report is sent from: sent again
    with the same key, nothing is created and ValidationError code already_filed is raised
    (report_file_once gives the report filed the first time instead).

    Internal fields (status, assignee, outcome) are not parameters: a report always starts
    received and unassigned, on a channel of filing_channels(actor). It gets the next gap-free
    code of its commune and year, a due date from the commune's deadline rules, a 'created'
    event, and, when `informant` is given (keys name, phone, address, relation_to_case), the
    sealed identity."""
    _require_perm(actor, "reports.add_incidentreport")
    _require_scope(actor, {hamlet.pk})
    _check_channel(actor, channel)
    if filed_before(filed_by=actor, submission_key=submission_key) is not None:
        raise ValidationError(_("This report was already received."), code="already_filed")
    values = _informant_values(informant) if informant is not None else None
    report = file_report(
        filed_by=actor,
        submission_key=submission_key,
        hamlet=hamlet,
        people_group=people_group,
        category=category,
        title=title,
        description=description,
        occurred_at=occurred_at,
        location=location,
        latitude=latitude,
        longitude=longitude,
        channel=channel,
        zalo_group=zalo_group,
        urgency=urgency,
    )
    if values is not None:
        _seal(report, values)
    return report


def report_file_once(*, actor: User, **values: Any) -> tuple[IncidentReport, bool]:
    """report_create for a draft that may be sent more than once (the phone lost the answer,
    or the page and its Background Sync sent it at the same moment): (the report, True) when
    filed now; (the report filed the first time from the same submission_key, False) when
    it was already received, whichever request got there first."""
    try:
        return report_create(actor=actor, **values), True
    except ValidationError as exc:
        if getattr(exc, "code", None) != "already_filed":
            raise
        # report_create's savepoint is gone with the error: the first filing is read afresh.
        earlier = filed_before(filed_by=actor, submission_key=values.get("submission_key"))
        if earlier is None:
            raise
        return earlier, False


def filed_before(
    *, filed_by: User | None, submission_key: uuid.UUID | None
) -> IncidentReport | None:
    """The report already filed from the draft with this idempotency key, or None.

    The key only finds a report of the same filer (for a tip: one with no filer). A key of
    someone else's report is refused without saying whose or what it is: a key must never
    open a report its sender may not read."""
    if submission_key is None:
        return None
    earlier = IncidentReport.objects.filter(submission_key=submission_key).first()
    if earlier is None:
        return None
    if earlier.filed_by_id != (filed_by.pk if filed_by is not None else None):
        raise ValidationError(_("This report was already received."), code="already_filed")
    return earlier


def file_report(*, filed_by: User | None, hamlet: Hamlet, **fields: Any) -> IncidentReport:
    """The steps of filing shared by report_create and the anonymous tips (reports/tips/),
    which file with no user: validate, the due date, the next code, the 'created' event, and
    the notification of the responsible officers once the transaction commits. Checks no
    permission: callers do. Call inside a transaction."""
    now = timezone.now()
    for name in ("title", "description", "location"):
        fields[name] = fields.get(name, "").strip()
    if fields.get("channel") == Channel.ANONYMOUS_TIP:
        # About 110 m: a tip's point must not lead to the tipster's house (reports/points.py).
        for name in ("latitude", "longitude"):
            fields[name] = coarsen(fields.get(name))
    report = IncidentReport(
        commune_id=hamlet.commune_id, hamlet=hamlet, filed_by=filed_by, created_at=now, **fields
    )
    # Everything the caller gave, first; the key's uniqueness is left to the database, which
    # alone sees a copy of the same draft filed at the same moment (the IntegrityError below).
    report.full_clean(exclude=["code", "due_at", "submission_key"])
    report.due_at = now + datetime.timedelta(
        hours=_deadline_hours(
            commune_id=hamlet.commune_id, urgency=report.urgency, category=report.category
        )
    )
    report.code = _next_code(commune_id=hamlet.commune_id, year=timezone.localtime(now).year)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        # The same draft sent twice at the same moment: the first one filed it.
        if report.submission_key is None:
            raise
        raise ValidationError(
            _("This report was already received."), code="already_filed"
        ) from None
    _event(
        report, kind=ReportEvent.Kind.CREATED, actor=filed_by, to_status=report.status, shared=True
    )
    from .tasks import notify_new_report  # tasks import this module

    # After commit, and never raising: with the broker down the scan notifies it later.
    enqueue_on_commit(notify_new_report, report.pk)
    return report


# --- triage -------------------------------------------------------------------------------


@transaction.atomic
def report_transition(
    *, actor: User, report: IncidentReport, to_status: str, note: str = ""
) -> IncidentReport:
    """Move a report along the workflow (models.ALLOWED_TRANSITIONS), with an optional note
    that stays internal. Closing stamps closed_at, from which retention counts."""
    _require_perm(actor, "reports.triage_report")
    _require_scope(actor, {report.hamlet_id})
    _lock(report)
    _require_scope(actor, {report.hamlet_id})
    if to_status not in report.allowed_transitions:
        raise ValidationError(
            _("A report cannot go from “%(from)s” to “%(to)s”.")
            % {
                "from": report.get_status_display(),
                "to": Status(to_status).label if to_status in Status.values else to_status,
            },
            code="transition_not_allowed",
        )
    from_status = report.status
    report.status = to_status
    if to_status == Status.CLOSED:
        report.closed_at = timezone.now()
    report.full_clean()
    report.save()
    event = _event(
        report,
        kind=ReportEvent.Kind.STATUS_CHANGED,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        text=note.strip(),
    )
    _tell_filer(event)
    return report


@transaction.atomic
def report_assign(*, actor: User, reports: Iterable[IncidentReport], assignee: User) -> int:
    """Assign reports (one or many) to an officer who can triage and whose scope covers each
    report's hamlet. Reports already assigned to them are left alone. Returns how many changed."""
    _require_perm(actor, "reports.triage_report")
    pks = {report.pk for report in reports}
    locked = list(IncidentReport.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
    if len(locked) != len(pks):
        raise PermissionDenied
    hamlet_ids = {report.hamlet_id for report in locked}
    _require_scope(actor, hamlet_ids)
    if not (
        assignee.is_active
        and assignee.has_perm("reports.triage_report")
        and hamlets_for(assignee).filter(pk__in=hamlet_ids).count() == len(hamlet_ids)
    ):
        raise ValidationError(
            _("%(name)s cannot handle reports of every selected hamlet.") % {"name": assignee},
            code="assignee_out_of_scope",
        )
    changed = 0
    for report in locked:
        if report.assigned_to_id == assignee.pk:
            continue
        report.assigned_to = assignee
        report.save(update_fields=["assigned_to", "updated_at"])
        _event(report, kind=ReportEvent.Kind.ASSIGNED, actor=actor, assignee=assignee)
        changed += 1
    return changed


@transaction.atomic
def report_comment(*, actor: User, report: IncidentReport, text: str, shared: bool) -> ReportEvent:
    """Add a comment to the timeline. Whoever can triage chooses whether it is shared with the
    hamlet head or internal; others may comment only on reports they filed, always shared."""
    _require_perm(actor, "reports.view_incidentreport")
    _require_scope(actor, {report.hamlet_id})
    if not actor.has_perm("reports.triage_report"):
        if report.filed_by_id != actor.pk:
            raise PermissionDenied
        shared = True
    text = text.strip()
    if not text:
        raise ValidationError(_("The comment is empty."), code="comment_empty")
    event = _event(report, kind=ReportEvent.Kind.COMMENT, actor=actor, text=text, shared=shared)
    _tell_filer(event)
    return event


@transaction.atomic
def report_record_outcome(
    *, actor: User, report: IncidentReport, valuable_tip: bool, solved_by_tip: bool, outcome: str
) -> IncidentReport:
    """Record what came of the report: the figures of the yearly review."""
    _require_perm(actor, "reports.triage_report")
    _require_scope(actor, {report.hamlet_id})
    _lock(report)
    report.valuable_tip = valuable_tip
    report.solved_by_tip = solved_by_tip
    report.outcome = outcome.strip()
    report.full_clean()
    report.save()
    _event(report, kind=ReportEvent.Kind.OUTCOME_RECORDED, actor=actor, text=report.outcome)
    return report


# --- the reporter's feedback --------------------------------------------------------------
#
# When a report is resolved or closed, its reporter (the hamlet head who filed it, or the holder
# of an anonymous tip's tracking code) is asked whether it was resolved, how satisfied they are
# and for a comment. Rules:
# - one answer per resolution: the first resolution is round 1; each time the report is reopened
#   (by the police, or by a "no") and resolved or closed again, the reporter may answer again;
# - a "no" reopens the report (back to "handling", with a fresh deadline) once in its life: a
#   later "no" is recorded and shown, and the police decide;
# - the comment is the reporter's own words on the shared timeline, read like the description.


def feedback_round(report: IncidentReport) -> int:
    """Which resolution of the report an answer now would answer: 1, plus one for each time it
    was reopened (moved from resolved or closed back to an open status)."""
    reopenings = report.events.filter(
        kind=ReportEvent.Kind.STATUS_CHANGED,
        from_status__in=FEEDBACK_STATUSES,
        to_status__in=OPEN_STATUSES,
    ).count()
    return reopenings + 1


def feedback_awaited(report: IncidentReport) -> bool:
    """Whether the reporter may answer now: resolved or closed, and not yet answered since."""
    if report.status not in FEEDBACK_STATUSES:
        return False
    return not report.feedback.filter(round=feedback_round(report)).exists()


def may_give_feedback(user: User, report: IncidentReport) -> bool:
    """Whether `user` is the report's reporter in the portal: whoever filed it, unless they
    triage (an officer who recorded a call is not the resident)."""
    return (
        report.filed_by_id is not None
        and report.filed_by_id == user.pk
        and user.is_active
        and not user.has_perm("reports.triage_report")
    )


@transaction.atomic
def report_feedback_give(
    *,
    actor: User,
    report: IncidentReport,
    resolved: str,
    satisfaction: int,
    comment: str = "",
) -> ReportFeedback:
    """The filer's word on a resolved or closed report (the page's and the API's door). Only
    whoever filed the report, in scope and able to read reports (PermissionDenied otherwise)."""
    _require_perm(actor, "reports.view_incidentreport")
    _require_scope(actor, {report.hamlet_id})
    if not may_give_feedback(actor, report):
        raise PermissionDenied
    return record_feedback(
        report=report,
        author=actor,
        resolved=resolved,
        satisfaction=satisfaction,
        comment=comment,
    )


def record_feedback(
    *,
    report: IncidentReport,
    author: User | None,
    resolved: str,
    satisfaction: int,
    comment: str,
    at: datetime.datetime | None = None,
) -> ReportFeedback:
    """The steps shared by report_feedback_give and the tip's door (tips.services.
    tip_feedback_give, with no author and a time to the minute): the answer, its line on the
    shared timeline and, for a first "no", the reopening. Checks no permission: callers do.
    Call inside a transaction."""
    _lock(report)  # a repeated POST waits here, then finds the answer given
    if report.status not in FEEDBACK_STATUSES:
        raise ValidationError(
            _("You can give your feedback once the report is resolved or closed."),
            code="feedback_not_resolved",
        )
    round_ = feedback_round(report)
    if report.feedback.filter(round=round_).exists():
        raise ValidationError(
            _("Your feedback on this outcome was already recorded."), code="feedback_given"
        )
    now = at or timezone.now()
    feedback = ReportFeedback(
        report=report,
        round=round_,
        author=author,
        resolved=resolved,
        satisfaction=satisfaction,
        comment=(comment or "").strip(),
        created_at=now,
    )
    feedback.full_clean(exclude=["event"])
    feedback.reopened = (
        resolved == FeedbackAnswer.NO and not report.feedback.filter(reopened=True).exists()
    )
    feedback.event = _event(
        report,
        kind=ReportEvent.Kind.FEEDBACK,
        actor=author,
        text=feedback.comment,
        shared=True,
        created_at=now,
    )
    feedback.save()
    if feedback.reopened:
        _reopen(report, actor=author, at=now)
        _tell_police(feedback.event)
    return feedback


def _reopen(report: IncidentReport, *, actor: User | None, at: datetime.datetime) -> None:
    """Back to handling, as the police's own reopening of a resolved report, with a fresh
    deadline (the old one is long past) and no closing date (retention counts from a close)."""
    from_status = report.status
    report.status = Status.HANDLING
    report.closed_at = None
    report.due_at = at + datetime.timedelta(
        hours=_deadline_hours(
            commune_id=report.commune_id, urgency=report.urgency, category=report.category
        )
    )
    report.save(update_fields=["status", "closed_at", "due_at", "updated_at"])
    with translation.override(settings.LANGUAGE_CODE):  # stored text: the commune's language
        note = _("Reopened: the reporter says it was not resolved.")
    _event(
        report,
        kind=ReportEvent.Kind.STATUS_CHANGED,
        actor=actor,
        from_status=from_status,
        to_status=Status.HANDLING,
        text=note,
        shared=True,
        created_at=at,
    )


# --- attachments --------------------------------------------------------------------------


def _check_upload(report: IncidentReport, uploaded_file: UploadedFile, name: str) -> str:
    if uploaded_file.size > Attachment.MAX_SIZE:
        raise ValidationError(
            _("“%(name)s” is larger than %(max)d MB.")
            % {"name": name, "max": Attachment.MAX_SIZE // (1024 * 1024)},
            code="attachment_too_large",
        )
    if report.attachments.count() >= Attachment.MAX_PER_REPORT:
        raise ValidationError(
            _("A report has at most %(max)d attachments.") % {"max": Attachment.MAX_PER_REPORT},
            code="attachment_too_many",
        )
    content_type = sniff(uploaded_file)
    if content_type is None:
        raise ValidationError(
            _(
                "“%(name)s” is not a photo (JPEG, PNG, WebP, HEIC) or a PDF file, whatever its "
                "name says."
            )
            % {"name": name},
            code="attachment_type",
        )
    return content_type


@transaction.atomic
def attachment_add(
    *, actor: User, report: IncidentReport, uploaded_file: UploadedFile
) -> Attachment:
    """Attach a photo or PDF. The type is read from the content, never the name; at most
    Attachment.MAX_SIZE bytes and MAX_PER_REPORT files. Who can triage may attach to any
    report in scope, a hamlet head to the reports they filed."""
    _require_perm(actor, "reports.view_incidentreport")
    _require_scope(actor, {report.hamlet_id})
    if not actor.has_perm("reports.triage_report") and report.filed_by_id != actor.pk:
        raise PermissionDenied
    name = Path(uploaded_file.name or "file").name[:255]
    return store_attachment(
        report=report,
        uploaded_file=uploaded_file,
        name=name,
        uploaded_by=actor,
        shared=report.filed_by_id == actor.pk,
    )


def store_attachment(
    *,
    report: IncidentReport,
    uploaded_file: UploadedFile,
    name: str,
    uploaded_by: User | None,
    shared: bool,
) -> Attachment:
    """The checks (type from the content, size, count) and the storing of an attachment,
    shared by attachment_add and the anonymous tips. Checks no permission: callers do.
    Call inside a transaction."""
    _lock(report)  # the count limit holds when two uploads arrive at once
    content_type = _check_upload(report, uploaded_file, name)
    # Only the pixels of a photo are kept (binhyen.images): no position, camera or comment.
    uploaded_file = photo_clean(uploaded_file, name=name)
    attachment = Attachment(
        report=report,
        original_name=name,
        content_type=content_type,
        size=uploaded_file.size,
        uploaded_by=uploaded_by,
    )
    attachment.file.save(f"upload{EXTENSIONS[content_type]}", uploaded_file, save=False)
    try:
        attachment.full_clean()
        attachment.save()
        _event(
            report,
            kind=ReportEvent.Kind.ATTACHMENT_ADDED,
            actor=uploaded_by,
            text=name,
            shared=shared,
        )
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


# --- the sealed informant -----------------------------------------------------------------


@transaction.atomic
def informant_reveal(*, actor: User, report: IncidentReport, reason: str) -> dict[str, Any]:
    """The informant's identity, for a user with reports.view_informant and the report in
    scope, who gives a reason. The reveal is logged (InformantReveal) in the same transaction:
    no identity without its log line. Returns the fields name, phone, address,
    relation_to_case, plus erased / erased_at / erasure_note (fields empty once erased)."""
    return informant_identity(
        reveal=informant_reveal_log(actor=actor, report=report, reason=reason)
    )


@transaction.atomic
def informant_reveal_log(*, actor: User, report: IncidentReport, reason: str) -> InformantReveal:
    """Log that `actor` reveals the informant of `report`, for `reason` (the checks of
    informant_reveal). The page reads the identity after its redirect, with informant_identity."""
    _require_perm(actor, "reports.view_informant")
    _require_scope(actor, {report.hamlet_id})
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            _("Give the reason for revealing the identity."), code="reason_required"
        )
    if not Informant.objects.filter(report_id=report.pk).exists():
        raise ValidationError(_("No informant was recorded for this report."), code="no_informant")
    reveal = InformantReveal(report=report, user=actor, reason=reason)
    reveal.full_clean()
    reveal.save()
    return reveal


def informant_identity(*, reveal: InformantReveal) -> dict[str, Any]:
    """The identity a logged reveal opened (never without its InformantReveal row)."""
    informant = Informant.objects.get(report_id=reveal.report_id)
    result: dict[str, Any] = {
        "erased": informant.is_erased,
        "erased_at": informant.erased_at,
        "erasure_note": informant.erasure_note,
    }
    for key, column in Informant.FIELDS.items():
        result[key] = "" if informant.is_erased else _decrypt(getattr(informant, column))
    return result


def _decrypt(token: str) -> str:
    from cryptography.fernet import InvalidToken  # loaded by crypto.decrypt anyway

    try:
        return crypto.decrypt(token)
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "No key in INFORMANT_KEYS opens this identity: was a key removed?"
        ) from exc


def _months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The same day and time `months` earlier (the month's last day when it is shorter)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@transaction.atomic
def informants_erase_expired(*, now: datetime.datetime | None = None) -> int:
    """Erase the identities of reports closed longer ago than their commune's retention period
    (ReportSettings.retention_months, default 12): the ciphertext is wiped, `erased_at` and a
    note remain. Idempotent (erased rows are not touched again). Returns how many were erased."""
    now = now or timezone.now()
    pending = Informant.objects.filter(
        erased_at__isnull=True, report__status=Status.CLOSED, report__closed_at__isnull=False
    )
    communes = set(pending.values_list("report__commune_id", flat=True).distinct())
    months = dict(
        ReportSettings.objects.filter(commune_id__in=communes).values_list(
            "commune_id", "retention_months"
        )
    )
    erased = 0
    for commune_id in sorted(communes):
        retention = months.get(commune_id, ReportSettings.DEFAULT_RETENTION_MONTHS)
        with translation.override(settings.LANGUAGE_CODE):  # stored text: the commune's language
            note = _(
                "Identity erased on %(date)s: %(months)d months after the report was closed."
            ) % {"date": timezone.localdate(now).strftime("%d/%m/%Y"), "months": retention}
        wipe = dict.fromkeys(Informant.FIELDS.values(), "")
        erased += pending.filter(
            report__commune_id=commune_id, report__closed_at__lte=_months_before(now, retention)
        ).update(**wipe, erased_at=now, erasure_note=note)
    return erased
