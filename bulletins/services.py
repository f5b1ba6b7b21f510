"""Writes to bulletins, postings and the question log, and the reminder run.

Every service checks the acting user's permission and scope (groups/access.py) and raises
PermissionDenied for either; the views turn out-of-scope into 404 before calling. The HTML
editor, the API, the admin, the management command and the Celery tasks all call these.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import NotificationMessage, notifications_send_many
from binhyen import page_cache
from binhyen.images import photo_clean
from binhyen.sniff import EXTENSIONS, sniff
from groups.access import hamlets_for
from groups.models import Commune, Hamlet, ZaloGroup

from .models import (
    Bulletin,
    BulletinEvent,
    BulletinHamlet,
    BulletinImage,
    BulletinSettings,
    Guide,
    Posting,
    ProcedureQuestion,
    ReminderDigest,
    Status,
    TargetMode,
)
from .sanitize import body_html, zalo_text_from_html

# The bulletins, their pictures and their postings: the topic (binhyen.page_cache) of the pages
# that show them (the checklist), touched by their signals (bulletins/apps.py) and by the
# writes that send none.
POSTINGS_TOPIC = "postings"
POSTINGS_MODELS = (Bulletin, BulletinImage, Posting)

# --- checks -------------------------------------------------------------------------------


def _require_perm(actor: User, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied


def _require_visible(actor: User, bulletin: Bulletin) -> None:
    if not Bulletin.objects.visible_to(actor).filter(pk=bulletin.pk).exists():
        raise PermissionDenied


def _lock(bulletin: Bulletin) -> None:
    """Lock the bulletin's row and reload it: two people acting at once see each other."""
    list(Bulletin.objects.select_for_update().filter(pk=bulletin.pk).values_list("pk"))
    bulletin.refresh_from_db()


def _event(bulletin: Bulletin, actor: User | None, from_status: str, comment: str = "") -> None:
    BulletinEvent.objects.create(
        bulletin=bulletin,
        actor=actor,
        from_status=from_status,
        to_status=bulletin.status,
        comment=comment,
    )


def _not_allowed(bulletin: Bulletin, to_status: str) -> ValidationError:
    return ValidationError(
        _("A bulletin cannot go from “%(from)s” to “%(to)s”.")
        % {"from": bulletin.get_status_display(), "to": Status(to_status).label},
        code="transition_not_allowed",
    )


# --- targeting ------------------------------------------------------------------------------


def target_groups(bulletin: Bulletin) -> QuerySet[ZaloGroup]:
    """The active Zalo groups the bulletin's targeting names today."""
    groups = ZaloGroup.objects.active().filter(hamlet__commune_id=bulletin.commune_id)
    if bulletin.target_mode == TargetMode.HAMLETS:
        return groups.filter(hamlet__in=bulletin.target_hamlets.all())
    if bulletin.target_mode == TargetMode.GROUPS:
        return groups.filter(pk__in=bulletin.target_groups.values("pk"))
    return groups


def _check_targets(
    actor: User, commune: Commune, mode: str, hamlets: list[Hamlet], groups: list[ZaloGroup]
) -> None:
    scope = hamlets_for(actor).filter(commune=commune)
    if mode == TargetMode.ALL:
        if scope.count() != Hamlet.objects.filter(commune=commune).count():
            raise ValidationError(
                {"target_mode": _("You can send to the groups of your own hamlets only.")}
            )
    elif mode == TargetMode.HAMLETS:
        if not hamlets:
            raise ValidationError({"target_hamlets": _("Choose at least one hamlet.")})
        if scope.filter(pk__in=[h.pk for h in hamlets]).count() != len(set(hamlets)):
            raise ValidationError({"target_hamlets": _("A hamlet is outside your scope.")})
    elif mode == TargetMode.GROUPS:
        if not groups:
            raise ValidationError({"target_groups": _("Choose at least one group.")})
        hamlet_ids = {group.hamlet_id for group in groups}
        if scope.filter(pk__in=hamlet_ids).count() != len(hamlet_ids):
            raise ValidationError({"target_groups": _("A group is outside your scope.")})


def _save_targets(bulletin: Bulletin, hamlets: Iterable[Hamlet], groups: Iterable[ZaloGroup]):
    mode = bulletin.target_mode
    bulletin.target_hamlets.set(list(hamlets) if mode == TargetMode.HAMLETS else [])
    bulletin.target_groups.set(list(groups) if mode == TargetMode.GROUPS else [])
    if mode == TargetMode.ALL:
        reached = set(
            Hamlet.objects.filter(commune_id=bulletin.commune_id).values_list("pk", flat=True)
        )
    elif mode == TargetMode.HAMLETS:
        reached = {hamlet.pk for hamlet in hamlets}
    else:
        reached = {group.hamlet_id for group in groups}
    BulletinHamlet.objects.filter(bulletin=bulletin).exclude(hamlet_id__in=reached).delete()
    BulletinHamlet.objects.bulk_create(
        [BulletinHamlet(bulletin=bulletin, hamlet_id=pk) for pk in reached],
        ignore_conflicts=True,
    )


# --- writing --------------------------------------------------------------------------------


@dataclass
class Content:
    """What the editor (form, API) gives for a bulletin."""

    title: str
    theme: str
    body: str
    zalo_text: str = ""
    procedure: str = ""
    directive: str = ""
    target_mode: str = TargetMode.ALL
    target_hamlets: list[Hamlet] | None = None
    target_groups: list[ZaloGroup] | None = None
    publish_at: datetime.datetime | None = None


def _apply(bulletin: Bulletin, content: Content) -> None:
    bulletin.title = content.title.strip()
    bulletin.theme = content.theme
    bulletin.procedure = content.procedure or ""
    bulletin.body = body_html(content.body)  # typed text or HTML, cleaned either way
    # An empty Zalo text is derived from the (clean) body; an edited one is kept as typed.
    bulletin.zalo_text = content.zalo_text.strip() or zalo_text_from_html(bulletin.body)
    bulletin.directive = content.directive.strip()
    bulletin.target_mode = content.target_mode
    bulletin.publish_at = content.publish_at


@transaction.atomic
def bulletin_create(*, actor: User, content: Content, guide: Guide | None = None) -> Bulletin:
    """A draft in the actor's commune (permission add_bulletin), body sanitised, targets in
    the actor's scope."""
    _require_perm(actor, "bulletins.add_bulletin")
    if actor.commune_id is None:
        raise PermissionDenied
    hamlets, groups = list(content.target_hamlets or []), list(content.target_groups or [])
    _check_targets(actor, actor.commune, content.target_mode, hamlets, groups)
    bulletin = Bulletin(commune_id=actor.commune_id, author=actor, guide=guide)
    _apply(bulletin, content)
    bulletin.full_clean()
    bulletin.save()
    _save_targets(bulletin, hamlets, groups)
    bulletin.editors.add(actor)
    return bulletin


def _may_edit(actor: User, bulletin: Bulletin) -> bool:
    return bulletin.author_id == actor.pk or actor.has_perm("bulletins.change_bulletin")


@transaction.atomic
def bulletin_update(*, actor: User, bulletin: Bulletin, content: Content) -> Bulletin:
    """Change a draft (its author, or whoever holds change_bulletin in scope). Anything past
    draft is what was approved: it cannot change (reject it back to draft first)."""
    _require_visible(actor, bulletin)
    if not _may_edit(actor, bulletin) or not actor.has_perm("bulletins.add_bulletin"):
        raise PermissionDenied
    _lock(bulletin)
    if not bulletin.is_editable:
        raise ValidationError(_("Only a draft can be changed."), code="not_editable")
    hamlets, groups = list(content.target_hamlets or []), list(content.target_groups or [])
    _check_targets(actor, bulletin.commune, content.target_mode, hamlets, groups)
    _apply(bulletin, content)
    bulletin.full_clean()
    bulletin.save()
    _save_targets(bulletin, hamlets, groups)
    bulletin.editors.add(actor)  # whoever changed it may not approve it
    return bulletin


def bulletin_image_add(*, actor: User, bulletin: Bulletin, uploaded_file: UploadedFile):
    """A JPEG, PNG or WebP picture for a draft, its type read from the content."""
    with transaction.atomic():
        _require_visible(actor, bulletin)
        if not _may_edit(actor, bulletin) or not actor.has_perm("bulletins.add_bulletin"):
            raise PermissionDenied
        _lock(bulletin)
        if not bulletin.is_editable:
            raise ValidationError(_("Only a draft can be changed."), code="not_editable")
        content_type = sniff(uploaded_file)
        if content_type not in BulletinImage.TYPES:
            raise ValidationError(
                _("Only JPEG, PNG or WebP pictures can be added."), code="image_type"
            )
        if uploaded_file.size > BulletinImage.MAX_SIZE:
            raise ValidationError(_("The picture is larger than 5 MB."), code="image_size")
        if bulletin.images.count() >= Bulletin.MAX_IMAGES:
            raise ValidationError(
                _("A bulletin has at most %(max)d pictures.") % {"max": Bulletin.MAX_IMAGES},
                code="image_count",
            )
        original_name = Path(uploaded_file.name or "image").name[:255]
        # Only the pixels are kept (binhyen.images): no position, camera or comment.
        uploaded_file = photo_clean(uploaded_file, name="image")
        image = BulletinImage(
            bulletin=bulletin,
            original_name=original_name,
            content_type=content_type,
            size=uploaded_file.size,
        )
        image.file.save(f"image{EXTENSIONS[content_type]}", uploaded_file, save=False)
        try:
            image.full_clean()
            image.save()
        except Exception:
            image.file.delete(save=False)
            raise
        bulletin.editors.add(actor)  # a picture is content too
    return image


# --- the workflow ----------------------------------------------------------------------------


@transaction.atomic
def bulletin_submit(*, actor: User, bulletin: Bulletin) -> Bulletin:
    """Draft → submitted for approval, by its author or an editor; it must reach a group."""
    _require_visible(actor, bulletin)
    if not _may_edit(actor, bulletin) or not actor.has_perm("bulletins.add_bulletin"):
        raise PermissionDenied
    _lock(bulletin)
    if Status.SUBMITTED not in bulletin.allowed_transitions:
        raise _not_allowed(bulletin, Status.SUBMITTED)
    if not target_groups(bulletin).exists():
        raise ValidationError(_("The targeting reaches no active group."), code="no_target_group")
    from_status = bulletin.status
    bulletin.status = Status.SUBMITTED
    bulletin.submitted_at = timezone.now()
    bulletin.rejection_comment = ""
    bulletin.save()
    _event(bulletin, actor, from_status)
    return bulletin


@transaction.atomic
def bulletin_approve(*, actor: User, bulletin: Bulletin, security_check: bool) -> Bulletin:
    """Submitted → approved by someone other than the author and other than anyone who changed
    its content since it was last approved (bulletins.approve_bulletin), who confirms the
    security check: no State secret, no informant's identity, no personal data."""
    _require_perm(actor, "bulletins.approve_bulletin")
    _require_visible(actor, bulletin)
    _lock(bulletin)
    if bulletin.author_id == actor.pk:
        raise ValidationError(
            _("The author cannot approve their own bulletin."), code="author_approves"
        )
    if bulletin.editors.filter(pk=actor.pk).exists():
        raise ValidationError(
            _("You changed this bulletin: another officer must approve it."),
            code="editor_approves",
        )
    if Status.APPROVED not in bulletin.allowed_transitions:
        raise _not_allowed(bulletin, Status.APPROVED)
    if not security_check:
        raise ValidationError(
            {"security_check": _("Confirm the security check before approving.")},
            code="security_check",
        )
    from_status = bulletin.status
    bulletin.status = Status.APPROVED
    bulletin.security_checked = True
    bulletin.approved_by = actor
    bulletin.approved_at = timezone.now()
    bulletin.save()
    # What was approved is now vouched for by two people; later changes start a new list.
    bulletin.editors.clear()
    _event(bulletin, actor, from_status)
    return bulletin


@transaction.atomic
def bulletin_reject(*, actor: User, bulletin: Bulletin, comment: str) -> Bulletin:
    """Submitted (or approved, not yet published) → back to draft, with a comment for the
    author."""
    _require_perm(actor, "bulletins.approve_bulletin")
    _require_visible(actor, bulletin)
    _lock(bulletin)
    if bulletin.status not in (Status.SUBMITTED, Status.APPROVED):
        raise _not_allowed(bulletin, Status.DRAFT)
    comment = comment.strip()
    if not comment:
        raise ValidationError(
            {"comment": _("Say what the author should change.")}, code="comment_required"
        )
    from_status = bulletin.status
    bulletin.status = Status.DRAFT
    bulletin.security_checked = False
    bulletin.approved_by = None
    bulletin.approved_at = None
    bulletin.rejection_comment = comment
    bulletin.save()
    _event(bulletin, actor, from_status, comment)
    return bulletin


@dataclass(frozen=True)
class VolumeWarning:
    group: ZaloGroup
    count: int  # postings in the seven days up to the publish time, this one included
    limit: int


def volume_warnings(bulletin: Bulletin) -> list[VolumeWarning]:
    """Target groups that would receive more than the commune's weekly limit: postings created
    in the seven days up to the publish time, plus other bulletins scheduled in that window."""
    limit = BulletinSettings.for_commune(bulletin.commune_id).weekly_limit
    at = bulletin.publish_at or timezone.now()
    since = at - datetime.timedelta(days=7)
    groups = list(target_groups(bulletin))
    counts: dict[int, int] = defaultdict(int)
    recent = (
        Posting.objects.filter(group__in=groups, created_at__gt=since, created_at__lte=at)
        .exclude(bulletin=bulletin)
        .values("group_id")
        .annotate(n=Count("pk"))
    )
    for row in recent:
        counts[row["group_id"]] += row["n"]
    scheduled = Bulletin.objects.filter(
        commune_id=bulletin.commune_id,
        status=Status.SCHEDULED,
        publish_at__gt=since,
        publish_at__lte=at + datetime.timedelta(days=7),
    ).exclude(pk=bulletin.pk)
    ids = {group.pk for group in groups}
    for other in scheduled:
        for group_id in target_groups(other).filter(pk__in=ids).values_list("pk", flat=True):
            counts[group_id] += 1
    return [
        VolumeWarning(group, counts[group.pk] + 1, limit)
        for group in groups
        if counts[group.pk] + 1 > limit
    ]


def _create_postings(bulletin: Bulletin, now: datetime.datetime) -> int:
    """One Posting per target group; the unique constraint (bulletin, group) makes a second
    call, or a concurrent one, add nothing."""
    hours = BulletinSettings.for_commune(bulletin.commune_id).posting_due_hours
    due = now + datetime.timedelta(hours=hours)
    postings = [
        Posting(bulletin=bulletin, group_id=pk, due_at=due, created_at=now)
        for pk in target_groups(bulletin).values_list("pk", flat=True)
    ]
    Posting.objects.bulk_create(postings, ignore_conflicts=True, batch_size=500)
    page_cache.touch(POSTINGS_TOPIC)  # a bulk insert sends no model signal
    return len(postings)


@transaction.atomic
def bulletin_publish(
    *, actor: User, bulletin: Bulletin, confirm_over_limit: bool = False
) -> Bulletin:
    """Approved → published now (its postings created), or scheduled when its publish time is
    in the future (the periodic task publishes it then). A target group over the weekly limit
    is refused unless the publisher confirms (`confirm_over_limit`)."""
    _require_perm(actor, "bulletins.approve_bulletin")
    _require_visible(actor, bulletin)
    _lock(bulletin)
    now = timezone.now()
    to_status = (
        Status.SCHEDULED if bulletin.publish_at and bulletin.publish_at > now else Status.PUBLISHED
    )
    if to_status not in bulletin.allowed_transitions:
        raise _not_allowed(bulletin, to_status)
    warnings = volume_warnings(bulletin)
    if warnings and not confirm_over_limit:
        raise ValidationError(
            _(
                "%(count)d group(s) would receive more than %(limit)d bulletins in seven days: "
                "%(groups)s. Confirm to publish anyway."
            )
            % {
                "count": len(warnings),
                "limit": warnings[0].limit,
                "groups": ", ".join(str(w.group) for w in warnings[:10]),
            },
            code="over_weekly_limit",
        )
    from_status = bulletin.status
    bulletin.status = to_status
    if to_status == Status.PUBLISHED:
        bulletin.published_at = now
    bulletin.save()
    if to_status == Status.PUBLISHED:
        _create_postings(bulletin, now)
    _event(bulletin, actor, from_status)
    return bulletin


def bulletins_publish_due(*, now: datetime.datetime | None = None) -> int:
    """Publish the scheduled bulletins whose time has come (the periodic task). Each is claimed
    by a conditional update, so two workers never publish one twice; a late run (broker down)
    publishes what it finds. Returns how many it published."""
    now = now or timezone.now()
    published = 0
    due = Bulletin.objects.filter(status=Status.SCHEDULED, publish_at__lte=now)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            claimed = Bulletin.objects.filter(pk=pk, status=Status.SCHEDULED).update(
                status=Status.PUBLISHED, published_at=now, updated_at=now
            )
            if not claimed:
                continue
            bulletin = Bulletin.objects.get(pk=pk)
            _create_postings(bulletin, now)
            BulletinEvent.objects.create(
                bulletin=bulletin, from_status=Status.SCHEDULED, to_status=Status.PUBLISHED
            )
            published += 1
    return published


@transaction.atomic
def bulletin_archive(*, actor: User, bulletin: Bulletin, comment: str = "") -> Bulletin:
    """Archive a draft (its author or an editor), or a scheduled or published bulletin
    (approvers). Its pending postings leave the checklists."""
    _require_visible(actor, bulletin)
    _lock(bulletin)
    if bulletin.status == Status.DRAFT:
        if not _may_edit(actor, bulletin) or not actor.has_perm("bulletins.add_bulletin"):
            raise PermissionDenied
    else:
        _require_perm(actor, "bulletins.approve_bulletin")
    if Status.ARCHIVED not in bulletin.allowed_transitions:
        raise _not_allowed(bulletin, Status.ARCHIVED)
    from_status = bulletin.status
    bulletin.status = Status.ARCHIVED
    bulletin.archived_at = timezone.now()
    bulletin.save()
    _event(bulletin, actor, from_status, comment.strip())
    return bulletin


def bulletin_transition(
    *,
    actor: User,
    bulletin: Bulletin,
    to_status: str,
    comment: str = "",
    security_check: bool = False,
    confirm_over_limit: bool = False,
) -> Bulletin:
    """One entry point for the API and the page's buttons: the service of the step asked for."""
    if to_status == Status.SUBMITTED:
        return bulletin_submit(actor=actor, bulletin=bulletin)
    if to_status == Status.APPROVED:
        return bulletin_approve(actor=actor, bulletin=bulletin, security_check=security_check)
    if to_status == Status.DRAFT:
        return bulletin_reject(actor=actor, bulletin=bulletin, comment=comment)
    if to_status in (Status.PUBLISHED, Status.SCHEDULED):
        return bulletin_publish(
            actor=actor, bulletin=bulletin, confirm_over_limit=confirm_over_limit
        )
    if to_status == Status.ARCHIVED:
        return bulletin_archive(actor=actor, bulletin=bulletin, comment=comment)
    raise _not_allowed(bulletin, to_status)


# --- the checklist --------------------------------------------------------------------------


def _administers(actor: User, group_id: int) -> bool:
    return (
        ZaloGroup.objects.filter(pk=group_id)
        .filter(Q(admin_officer=actor) | Q(co_admins=actor))
        .exists()
    )


def _record(
    *, actor: User, posting: Posting, status: str, values: dict, proof_image=None
) -> Posting:
    _require_perm(actor, "bulletins.add_posting")
    if not Posting.objects.visible_to(actor).filter(pk=posting.pk).exists():
        raise PermissionDenied
    if not _administers(actor, posting.group_id):
        raise PermissionDenied  # only the group's administrators post in it
    proof_name = ""
    if proof_image is not None:
        content_type = sniff(proof_image)
        if content_type not in BulletinImage.TYPES:
            raise ValidationError(
                {"proof_image": _("Only JPEG, PNG or WebP pictures can be added.")},
                code="image_type",
            )
        if proof_image.size > BulletinImage.MAX_SIZE:
            raise ValidationError({"proof_image": _("The picture is larger than 5 MB.")})
        proof_image = photo_clean(proof_image, name="proof")
        proof_name = posting.proof_image.field.generate_filename(
            posting, f"proof{EXTENSIONS[content_type]}"
        )
    now = timezone.now()
    with transaction.atomic():
        # Conditional update: of two taps (or two officers) only the first records.
        done = Posting.objects.filter(pk=posting.pk, status=Posting.Status.PENDING).update(
            status=status, posted_at=values.pop("posted_at", None) or now, posted_by=actor, **values
        )
        if not done:
            raise ValidationError(_("This posting was already recorded."), code="already_recorded")
        page_cache.touch(POSTINGS_TOPIC)  # an update() sends no model signal
        if proof_image is not None:
            stored = posting.proof_image.storage.save(proof_name, proof_image)
            Posting.objects.filter(pk=posting.pk).update(proof_image=stored)
    posting.refresh_from_db()
    return posting


# A posting recorded later than this after its time needs a reason.
POSTED_AT_GRACE = datetime.timedelta(days=1)


def _check_posted_at(
    posting: Posting, posted_at: datetime.datetime | None, reason: str
) -> datetime.datetime:
    """A posting's time lies between its bulletin's publication and now; more than a day back
    it needs a reason (on-time rates are read from it)."""
    now = timezone.now()
    if posted_at is None:
        return now
    if posted_at > now + datetime.timedelta(minutes=5):
        raise ValidationError(
            {"posted_at": _("The time it was posted is in the future.")}, code="future"
        )
    published = posting.bulletin.published_at or posting.created_at
    if posted_at < published:
        raise ValidationError(
            {"posted_at": _("The time it was posted is before the bulletin was published.")},
            code="before_publication",
        )
    if posted_at < now - POSTED_AT_GRACE and not reason:
        raise ValidationError(
            {"backdate_reason": _("Say why it is recorded more than a day after it was posted.")},
            code="backdate_reason",
        )
    return posted_at


def posting_mark_posted(
    *,
    actor: User,
    posting: Posting,
    proof_url: str = "",
    proof_image: UploadedFile | None = None,
    posted_at: datetime.datetime | None = None,
    backdate_reason: str = "",
) -> Posting:
    """The officer posted it in the group (one tap). Only the group's administrating officer or
    a co-administrator may (permission add_posting: record a posting); an optional link or
    screenshot is the proof, the screenshot's type read from its content. A time more than a
    day back needs a reason, kept on the posting and in the audit log."""
    backdate_reason = backdate_reason.strip()[:1000]
    posted_at = _check_posted_at(posting, posted_at, backdate_reason)
    if posted_at >= timezone.now() - POSTED_AT_GRACE:
        backdate_reason = ""  # only an earlier time is explained
    if proof_url:
        from django.core.validators import URLValidator

        URLValidator(schemes=["https", "http"])(proof_url)
    with transaction.atomic():
        posting = _record(
            actor=actor,
            posting=posting,
            status=Posting.Status.POSTED,
            values={
                "proof_url": proof_url,
                "posted_at": posted_at,
                "backdate_reason": backdate_reason,
            },
            proof_image=proof_image,
        )
        if backdate_reason:
            LogEntry.objects.log_create(
                posting,
                action=LogEntry.Action.UPDATE,
                actor=actor,
                changes={
                    "posted_at": ["", posted_at.isoformat()],
                    "backdate_reason": ["", backdate_reason],
                },
            )
    return posting


def posting_skip(*, actor: User, posting: Posting, reason: str) -> Posting:
    """Not posted in this group, with a reason (e.g. the group is being reorganised)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for skipping.")}, code="reason")
    return _record(
        actor=actor,
        posting=posting,
        status=Posting.Status.SKIPPED,
        values={"skip_reason": reason[:1000]},
    )


# --- questions answered -----------------------------------------------------------------------


def question_check(question: ProcedureQuestion) -> None:
    """The rules of a question log row, whatever the door: not dated in the future."""
    if question.date and question.date > timezone.localdate():
        raise ValidationError({"date": _("The date is in the future.")}, code="future")


@transaction.atomic
def question_save(*, actor: User, question: ProcedureQuestion) -> ProcedureQuestion:
    """Record or change one row of the question log (the admin's form), for a group of the
    actor's scope. A new row is recorded by the actor."""
    _require_perm(actor, f"bulletins.{'change' if question.pk else 'add'}_procedurequestion")
    if not ZaloGroup.objects.visible_to(actor).filter(pk=question.group_id).exists():
        raise PermissionDenied
    if question.pk is None:
        question.recorded_by = actor
    question.note = question.note.strip()
    question.full_clean()
    question_check(question)
    question.save()
    return question


@transaction.atomic
def question_delete(*, actor: User, question: ProcedureQuestion) -> None:
    _require_perm(actor, "bulletins.delete_procedurequestion")
    if not ProcedureQuestion.objects.visible_to(actor).filter(pk=question.pk).exists():
        raise PermissionDenied
    question.delete()


@transaction.atomic
def question_record(
    *,
    actor: User,
    group: ZaloGroup,
    procedure: str,
    count: int = 1,
    date: datetime.date | None = None,
    note: str = "",
) -> ProcedureQuestion:
    """Log procedure questions an officer answered in a group of their scope."""
    question = ProcedureQuestion(
        group=group,
        procedure=procedure,
        count=count,
        date=date or timezone.localdate(),
        note=note,
    )
    return question_save(actor=actor, question=question)


# --- the guide library ------------------------------------------------------------------------


def guide_clean(guide: Guide) -> None:
    """A guide's body is shown marked safe, like a bulletin's: stored sanitised, whatever the
    door (admin, data migration, seed), typed text made into paragraphs and lists as for a
    bulletin. An empty Zalo text is derived from the body."""
    guide.body = body_html(guide.body)
    guide.zalo_text = guide.zalo_text.strip() or zalo_text_from_html(guide.body)


@transaction.atomic
def guide_save(*, actor: User, guide: Guide) -> Guide:
    """Create or change a guide of the library (permission add_guide or change_guide)."""
    _require_perm(actor, f"bulletins.{'change' if guide.pk else 'add'}_guide")
    guide_clean(guide)
    guide.full_clean()
    guide.save()
    return guide


@transaction.atomic
def guide_delete(*, actor: User, guide: Guide) -> None:
    _require_perm(actor, "bulletins.delete_guide")
    guide.delete()


# --- reminders --------------------------------------------------------------------------------


def due_slot(
    now: datetime.datetime, times: list[datetime.time]
) -> tuple[datetime.date, datetime.time] | None:
    """The latest reminder slot at or before `now` (local time) within the last 24 hours.
    A slot missed while the broker was down is still due until the next one comes, which then
    carries everything (a digest lists all pending postings), so nothing is dropped."""
    local = timezone.localtime(now)
    today, yesterday = local.date(), local.date() - datetime.timedelta(days=1)
    candidates = [
        (day, time)
        for day in (yesterday, today)
        for time in times
        if timezone.make_aware(datetime.datetime.combine(day, time)) <= local
    ]
    return max(candidates) if candidates else None


@dataclass
class ReminderRun:
    digests: int = 0
    escalations: int = 0
    already_sent: int = 0


def _pending_rows(commune_ids: list[int]) -> list[dict]:
    return list(
        Posting.objects.filter(
            status=Posting.Status.PENDING,
            bulletin__status=Status.PUBLISHED,
            group__hamlet__commune_id__in=commune_ids,
        )
        .order_by("due_at", "pk")
        .values("pk", "due_at", "group_id", "group__name", "group__hamlet__commune_id")
        .annotate(title=F("bulletin__title"))
    )


def _group_admins(commune_ids: list[int]) -> dict[int, set[int]]:
    """Active groups → their active administrators (officer and co-administrators) whose scope
    covers the group's hamlet: the digest lists exactly what their checklist shows."""
    admins: dict[int, set[int]] = defaultdict(set)
    groups = ZaloGroup.objects.active().filter(hamlet__commune_id__in=commune_ids)
    hamlet_of = dict(groups.values_list("pk", "hamlet_id"))
    active = User.objects.filter(is_active=True).values("pk")
    for pk, officer in groups.filter(admin_officer__in=active).values_list("pk", "admin_officer"):
        admins[pk].add(officer)
    through = ZaloGroup.co_admins.through.objects.filter(
        zalogroup__in=groups.values("pk"), user__in=active
    )
    for pk, user in through.values_list("zalogroup_id", "user_id"):
        admins[pk].add(user)
    candidates = set().union(*admins.values()) if admins else set()
    scope = _scopes(candidates)
    return {
        pk: {user for user in users if hamlet_of[pk] in scope.get(user, ())}
        for pk, users in admins.items()
    }


def _scopes(user_ids: set[int]) -> dict[int, set[int]]:
    """The hamlets each user may see (groups/access.py's rule, for many users at once)."""
    from django.contrib.auth.models import Permission

    wide = Permission.objects.filter(content_type__app_label="groups", codename="view_all_hamlets")
    users = User.objects.filter(pk__in=user_ids)
    commune_wide = set(
        users.filter(
            Q(is_superuser=True) | Q(groups__permissions__in=wide) | Q(user_permissions__in=wide)
        ).values_list("pk", flat=True)
    )
    scope: dict[int, set[int]] = defaultdict(set)
    communes = dict(users.filter(pk__in=commune_wide).values_list("pk", "commune_id"))
    by_commune: dict[int, set[int]] = defaultdict(set)
    for hamlet, commune in Hamlet.objects.filter(commune_id__in=set(communes.values())).values_list(
        "pk", "commune_id"
    ):
        by_commune[commune].add(hamlet)
    for user, commune in communes.items():
        scope[user] = by_commune[commune]
    rows = User.hamlets.through.objects.filter(user_id__in=user_ids - commune_wide)
    for user, hamlet in rows.values_list("user_id", "hamlet_id"):
        scope[user].add(hamlet)
    return scope


def _lines(rows: list[dict], now: datetime.datetime, limit: int = 15) -> str:
    lines = []
    for row in rows[:limit]:
        late = _(" — overdue") if row["due_at"] < now else ""
        due = timezone.localtime(row["due_at"]).strftime("%H:%M %d/%m")
        lines.append(
            _("• %(group)s: %(title)s (due %(due)s)%(late)s")
            % {"group": row["group__name"], "title": row["title"], "due": due, "late": late}
        )
    if len(rows) > limit:
        lines.append(_("… and %(n)d more.") % {"n": len(rows) - limit})
    return "\n".join(lines)


# Claims per INSERT: 7 parameters a row, far below PostgreSQL's 65,535 and SQLite's 32,766.
CLAIM_BATCH = 1000

Slot = tuple[datetime.date, datetime.time]
Claim = tuple[int, str, datetime.date, datetime.time]


def _claim(jobs: list[tuple[int, str, Slot, list[dict]]], now: datetime.datetime) -> set[Claim]:
    """Insert the claims of `jobs` (user, kind, slot) and return the ones this run inserted,
    with one INSERT … ON CONFLICT DO NOTHING RETURNING per CLAIM_BATCH jobs (PostgreSQL,
    SQLite ≥ 3.35): a claim another run holds, committed or not, is not returned (PostgreSQL
    makes us wait for its transaction first), so each digest has exactly one sender."""
    claimed: set[Claim] = set()
    for start in range(0, len(jobs), CLAIM_BATCH):
        claimed |= _claim_batch(jobs[start : start + CLAIM_BATCH], now)
    return claimed


def _claim_batch(
    jobs: list[tuple[int, str, Slot, list[dict]]], now: datetime.datetime
) -> set[Claim]:
    if not jobs:
        return set()
    ops = connection.ops
    table = ReminderDigest._meta.db_table
    values, params = [], []
    for user_id, kind, slot, rows in jobs:
        overdue = sum(1 for row in rows if row["due_at"] < now)
        values.append("(%s, %s, %s, %s, %s, %s, %s)")
        params += [
            user_id,
            kind,
            ops.adapt_datefield_value(slot[0]),
            ops.adapt_timefield_value(slot[1]),
            len(rows),
            overdue,
            ops.adapt_datetimefield_value(now),
        ]
    # Only the model's table name and placeholders are formatted in; every value is a parameter.
    columns = "user_id, kind, slot_date, slot_time, postings, overdue, created_at"
    sql = (
        f"INSERT INTO {table} ({columns})"  # noqa: S608
        f" VALUES {', '.join(values)}"
        " ON CONFLICT (user_id, kind, slot_date, slot_time) DO NOTHING"
        " RETURNING user_id, kind, slot_date, slot_time"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    day_field = ReminderDigest._meta.get_field("slot_date")
    time_field = ReminderDigest._meta.get_field("slot_time")
    # SQLite returns the date and the time as text.
    return {
        (user_id, kind, day_field.to_python(day), time_field.to_python(at))
        for user_id, kind, day, at in returned
    }


def _digest_message(
    *,
    user: User,
    kind: str,
    slot: tuple[datetime.date, datetime.time],
    rows: list[dict],
    now: datetime.datetime,
) -> NotificationMessage:
    slot_date, slot_time = slot
    if kind == ReminderDigest.Kind.OFFICER:
        overdue = sum(1 for row in rows if row["due_at"] < now)
        title = _("%(n)d postings to do, %(overdue)d overdue") % {
            "n": len(rows),
            "overdue": overdue,
        }
        url, prefix = reverse("bulletins:checklist"), "posting-digest"
    else:
        title = _("%(n)d postings overdue for days") % {"n": len(rows)}
        url, prefix = reverse("bulletins:progress"), "posting-escalation"
    return NotificationMessage(
        user=user,
        key=f"{prefix}:{slot_date.isoformat()}:{slot_time:%H:%M}",
        kind=prefix,
        title=title,
        body=_lines(rows, now),
        url=url,
        email=True,
    )


def _leads(commune_ids: list[int]) -> dict[int, list[int]]:
    """Per commune, the active users who receive escalations (bulletins.receive_escalations)."""
    perm = Q(codename="receive_escalations", content_type__app_label="bulletins")
    from django.contrib.auth.models import Permission

    perms = Permission.objects.filter(perm)
    users = (
        User.objects.filter(is_active=True, commune_id__in=commune_ids)
        .filter(Q(groups__permissions__in=perms) | Q(user_permissions__in=perms))
        .values_list("commune_id", "pk")
        .distinct()
    )
    leads: dict[int, list[int]] = defaultdict(list)
    for commune_id, pk in users:
        leads[commune_id].append(pk)
    return leads


def reminders_send(*, now: datetime.datetime | None = None) -> ReminderRun:
    """Each officer's digest of pending and overdue postings of the groups they administer, and
    the escalation digest of postings overdue more than the commune's N days to its leads: one
    per user and reminder slot (the commune's times), exactly once (ReminderDigest). Safe to
    run any number of times (beat, the catch-up scan, `manage.py send_reminders`)."""
    now = now or timezone.now()
    run = ReminderRun()
    settings_by_commune = {s.commune_id: s for s in BulletinSettings.objects.all()}
    slots = {}
    for commune_id in Commune.objects.values_list("pk", flat=True):
        options = settings_by_commune.get(commune_id) or BulletinSettings(commune_id=commune_id)
        slot = due_slot(now, options.times)
        if slot:
            slots[commune_id] = (slot, options.escalate_after_days)
    if not slots:
        return run
    with translation.override("vi"):
        rows = _pending_rows(list(slots))
        admins = _group_admins(list(slots))
        done = set(
            ReminderDigest.objects.filter(
                slot_date__in={slot[0] for slot, _days in slots.values()}
            ).values_list("user_id", "kind", "slot_date", "slot_time")
        )
        per_officer: dict[tuple[int, int], list[dict]] = defaultdict(list)
        overdue: dict[int, list[dict]] = defaultdict(list)
        for row in rows:
            commune_id = row["group__hamlet__commune_id"]
            for user_id in admins.get(row["group_id"], ()):
                per_officer[(commune_id, user_id)].append(row)
            days = slots[commune_id][1]
            if row["due_at"] < now - datetime.timedelta(days=days):
                overdue[commune_id].append(row)
        leads = _leads(list(overdue))
        work: dict[int, list[tuple[int, str, list[dict]]]] = defaultdict(list)
        for (commune_id, user_id), items in per_officer.items():
            work[commune_id].append((user_id, ReminderDigest.Kind.OFFICER, items))
        for commune_id, items in overdue.items():
            for user_id in leads.get(commune_id, ()):
                work[commune_id].append((user_id, ReminderDigest.Kind.ESCALATION, items))
        users = User.objects.in_bulk({user_id for jobs in work.values() for user_id, *_ in jobs})
        todo = []
        for commune_id, jobs in work.items():
            slot = slots[commune_id][0]
            for user_id, kind, items in jobs:
                if (user_id, kind, *slot) in done:
                    run.already_sent += 1
                else:
                    todo.append((user_id, kind, slot, items))
        # One transaction for the run: the claims and their notifications commit together (a
        # failure leaves both to the next run), in a few statements whatever the number of
        # communes (notification_send cost ~4 queries a digest, a commit per commune as many).
        with transaction.atomic():
            claimed = _claim(todo, now)
            messages = []
            for user_id, kind, slot, items in todo:
                key = (user_id, kind, *slot)
                if key not in claimed:
                    run.already_sent += 1
                    continue
                claimed.discard(key)  # a user listed by two communes for one slot: once
                messages.append(
                    _digest_message(user=users[user_id], kind=kind, slot=slot, rows=items, now=now)
                )
                if kind == ReminderDigest.Kind.OFFICER:
                    run.digests += 1
                else:
                    run.escalations += 1
            notifications_send_many(messages)  # e-mailed after the commit
    return run
