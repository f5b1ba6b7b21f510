"""Anonymous tips: filing without a user, following a tip with its tracking code, the reply.

A tip is an IncidentReport with channel "anonymous_tip" and no `filed_by`, plus a TipAccess row
holding the hash of its tracking code. Nothing about the tipster is stored: no address, no
browser, no session, no user; a photo loses its metadata (GPS position, camera, time) and its
file name. The code is returned once, to be shown once, and is never logged.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from binhyen.images import FORMATS, photo_clean
from binhyen.sniff import EXTENSIONS, sniff
from groups.access import hamlets_for
from groups.models import Hamlet

from .. import services as report_services
from ..models import (
    Attachment,
    Category,
    Channel,
    IncidentReport,
    ReportEvent,
    ReportFeedback,
    TipAccess,
    Urgency,
)
from . import codes

ADDITION_MAX_LENGTH = 2000
# HEIC and PDF carry metadata we cannot strip here, so a tipster is asked for a JPEG, PNG or
# WebP photo (binhyen.images re-encodes those from their pixels, within a pixel budget).
STRIPPABLE = FORMATS


@dataclass(frozen=True)
class FiledTip:
    report: IncidentReport
    code: str  # the tracking code in clear: show it once, store it nowhere


def _without_metadata(uploaded_file: UploadedFile) -> UploadedFile:
    """The photo with its pixels only (binhyen.images) and a neutral name. A file that is not a
    photo at all is passed on untouched, for the shared checks (services.store_attachment) to
    refuse with their message."""
    content_type = sniff(uploaded_file)
    if content_type is None or uploaded_file.size > Attachment.MAX_SIZE:
        return uploaded_file
    if content_type not in STRIPPABLE:
        raise ValidationError(
            _("Send the photo as JPEG, PNG or WebP (an iPhone can share a photo as JPEG)."),
            code="tip_photo_type",
        )
    return photo_clean(uploaded_file, name="tip-photo")


def _minute() -> datetime.datetime:
    """Now, to the minute: the times stored of a tip are no finer, so that they cannot be
    matched with a web server's or a proxy's log of the request that filed it."""
    return timezone.now().replace(second=0, microsecond=0)


def _coarsen(report: IncidentReport) -> None:
    """Every time stored when the tip was filed, the report's, its timeline's, its photo's, its
    tracking code's and their audit entries', rounded down to the minute."""
    minute = _minute()
    IncidentReport.objects.filter(pk=report.pk).update(created_at=minute, updated_at=minute)
    for model in (ReportEvent, Attachment, TipAccess):
        model.objects.filter(report=report).update(created_at=minute)
    for obj in [report, *TipAccess.objects.filter(report=report)]:  # the audited ones
        LogEntry.objects.get_for_object(obj).update(timestamp=minute)
    report.created_at = report.updated_at = minute


def _title(category: str) -> str:
    # Stored text is in the commune's language, like the erasure note of services.py.
    with translation.override(settings.LANGUAGE_CODE):
        return _("Anonymous tip: %(category)s") % {"category": Category(category).label}


@transaction.atomic
def tip_submit(
    *,
    hamlet: Hamlet,
    category: str,
    description: str,
    photo: UploadedFile | None = None,
    submission_key: uuid.UUID | None = None,
    latitude: Any = None,
    longitude: Any = None,
) -> FiledTip:
    """File an anonymous tip for a hamlet (no actor: anyone may, the view limits the rate).

    The report has channel anonymous_tip, no filer, normal urgency (the police judge the
    urgency); its title names only the category. Returns the report and the tracking code,
    which is stored only as its keyed hash (codes.py). Its point, if given, is stored
    rounded to about 110 m (services.file_report).

    A tip sent again from the same draft (`submission_key`, the phone's idempotency key) files
    nothing: ValidationError code already_filed. Its code cannot be shown again (only its hash
    is kept), and the repeat proves nothing about who sends it."""
    if report_services.filed_before(filed_by=None, submission_key=submission_key) is not None:
        raise ValidationError(_("This tip was already received."), code="already_filed")
    report = report_services.file_report(
        filed_by=None,
        submission_key=submission_key,
        hamlet=hamlet,
        category=category,
        title=_title(category),
        description=description,
        channel=Channel.ANONYMOUS_TIP,
        urgency=Urgency.NORMAL,
        latitude=latitude,
        longitude=longitude,
    )
    if photo is not None:
        stripped = _without_metadata(photo)
        report_services.store_attachment(
            report=report,
            uploaded_file=stripped,
            name="tip-photo" + EXTENSIONS.get(sniff(stripped) or "", ""),  # never the user's
            uploaded_by=None,
            shared=True,
        )
    for _attempt in range(3):  # 80 random bits: a collision is not going to happen, but
        code = codes.new_code()
        try:
            with transaction.atomic():
                TipAccess.objects.create(report=report, code_hash=codes.code_hash(code))
        except IntegrityError:
            continue
        _coarsen(report)
        return FiledTip(report=report, code=code)
    raise RuntimeError("could not draw a unique tracking code")


def tip_find(code: str) -> TipAccess | None:
    """The tip a typed tracking code opens, or None. A malformed code and an unknown one look
    the same to the caller, so the answer gives no hint about which codes exist."""
    hashes = codes.candidate_hashes(code)
    if not hashes:
        codes.code_hash("0" * codes.LENGTH)  # about the same work as a well-formed code
        return None
    access = (
        TipAccess.objects.filter(code_hash__in=hashes)
        .select_related("report__hamlet__commune")
        .first()
    )
    if access is None or not codes.matches(access.code_hash, code):
        return None
    return access


@transaction.atomic
def tip_add_information(*, access: TipAccess, text: str) -> ReportEvent:
    """The tipster adds information: a comment on the report's timeline with no actor, shared
    (it is the tipster's own words)."""
    text = text.strip()
    if not text:
        raise ValidationError(_("Write the information to add."), code="tip_addition_empty")
    if len(text) > ADDITION_MAX_LENGTH:
        raise ValidationError(
            _("Write at most %(max)d characters.") % {"max": ADDITION_MAX_LENGTH},
            code="tip_addition_too_long",
        )
    report = access.report
    if not report.is_open:
        raise ValidationError(
            _("This tip has been dealt with; new information cannot be added to it."),
            code="tip_closed",
        )
    event = ReportEvent(
        report=report,
        kind=ReportEvent.Kind.COMMENT,
        actor=None,
        text=text,
        shared=True,
        created_at=_minute(),  # no finer than the minute, like the tip (_coarsen)
    )
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def tip_feedback_give(
    *, code: str, resolved: str, satisfaction: int, comment: str = ""
) -> ReportFeedback:
    """The tipster's word on the outcome of their tip, given with its tracking code (the tip
    page's door; the same rules as report_feedback_give, services.record_feedback). Nothing of
    the tipster is kept: no author, times to the minute, like the tip (_coarsen). A code that
    opens no tip is refused like a missing permission."""
    access = tip_find(code)
    if access is None:
        raise PermissionDenied
    report = access.report
    feedback = report_services.record_feedback(
        report=report,
        author=None,
        resolved=resolved,
        satisfaction=satisfaction,
        comment=comment,
        at=_minute(),
    )
    if feedback.reopened:  # the reopening's times, no finer than the minute either
        minute = _minute()
        IncidentReport.objects.filter(pk=report.pk).update(updated_at=minute)
        LogEntry.objects.get_for_object(report).filter(timestamp__gte=minute).update(
            timestamp=minute
        )
    return feedback


@transaction.atomic
def tip_reply(*, actor: User, access: TipAccess, text: str) -> TipAccess:
    """Write (or change, or clear) the public reply the tipster reads with the code: for whoever
    can triage the report's hamlet. Also noted, internal, on the report's timeline."""
    if not actor.has_perm("reports.triage_report"):
        raise PermissionDenied
    if not hamlets_for(actor).filter(pk=access.report.hamlet_id).exists():
        raise PermissionDenied
    access = TipAccess.objects.select_for_update().get(pk=access.pk)
    access.public_reply = text.strip()
    access.replied_at = timezone.now() if access.public_reply else None
    access.replied_by = actor if access.public_reply else None
    access.full_clean()
    access.save()
    with translation.override(settings.LANGUAGE_CODE):
        note = _("Public reply to the tipster: %(text)s") % {"text": access.public_reply or "—"}
    ReportEvent.objects.create(
        report=access.report, kind=ReportEvent.Kind.COMMENT, actor=actor, text=note[:5000]
    )
    return access
