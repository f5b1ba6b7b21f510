"""Writes to yearly reviews: creating a draft, editing its narrative, building its documents,
finalising, nominating and deciding commendations, the hamlets' safety assessment.

Every service checks the acting user's permission (PermissionDenied) and that the review is the
actor's commune's. A finalised review is never written again: its snapshot is what was signed.

The doors that write reviews, and the service each calls:

| model            | doors                                           | service                 |
|------------------|-------------------------------------------------|-------------------------|
| AnnualReview     | pages (create, edit, finalise), command         | review_create,          |
|                  | `build_review`, task `prepare_yearly_reviews`   | review_update,          |
|                  |                                                 | review_finalise,        |
|                  |                                                 | reviews_prepare_yearly  |
| ReviewBuild      | page "build", command `build_review`, tasks     | build_request,          |
|                  | `build_review_documents`, `requeue_stale_builds`| build_create, build_run,|
|                  |                                                 | builds_requeue_stale    |
| Commendation     | pages (nominate, decide)                        | commendation_nominate,  |
|                  |                                                 | commendation_decide     |
| SafetyAssessment | page (assess)                                   | safety_assess           |
| ReviewSettings,  | admin forms (settings and reference data, no    | none                    |
| SafetyCriterion  | rule beyond the models')                        |                         |
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import notification_send
from binhyen.celery import enqueue, enqueue_on_commit
from groups.access import hamlets_for
from groups.models import Commune, Hamlet, Member, PeopleGroup, ZaloGroup
from groups.normalize import search_key

from . import narrative
from .content import build_document, review_state, vn_number
from .documents import RENDERERS
from .figures import Scope, compute_figures, on_time_rate, posting_outcomes, postings_due
from .models import (
    NARRATIVE_FIELDS,
    AnnualReview,
    Commendation,
    ReviewBuild,
    ReviewSettings,
    SafetyAssessment,
    SafetyCheck,
    SafetyCriterion,
    ending_period_year,
    period_bounds,
)

logger = logging.getLogger(__name__)


def _require_perm(actor: User | None, perm: str) -> None:
    if actor is not None and not actor.has_perm(perm):
        raise PermissionDenied


def _require_commune(actor: User | None, commune_id: int) -> None:
    """`actor` None is the system (the yearly job, the command line)."""
    if actor is not None and not Commune.objects.visible_to(actor).filter(pk=commune_id).exists():
        raise PermissionDenied


def _require_draft(review: AnnualReview) -> None:
    if review.is_final:
        raise ValidationError(
            _("This review is finalised: it can no longer be changed."), code="review_final"
        )


def _lock(review: AnnualReview) -> None:
    list(AnnualReview.objects.select_for_update().filter(pk=review.pk).values_list("pk"))
    review.refresh_from_db()


# --- the review --------------------------------------------------------------------------


@transaction.atomic
def review_create(
    *, actor: User | None, commune: Commune, year: int, period_kind: str | None = None
) -> AnnualReview:
    """A draft review of `commune` for the period named after `year` (the commune's default
    kind unless given), its narrative pre-filled from the figures, and the year's safety
    assessment of every hamlet. A second call for the same year fails (one per year)."""
    _require_perm(actor, "reviews.add_annualreview")
    _require_commune(actor, commune.pk)
    kind = period_kind or ReviewSettings.for_commune(commune).period_kind
    start, end = period_bounds(kind, year)
    if AnnualReview.objects.filter(commune=commune, year=year).exists():
        raise ValidationError(
            _("The commune already has a review for %(year)d.") % {"year": year},
            code="review_exists",
        )
    figures = compute_figures(commune, kind=kind, year=year)
    generated = narrative.sentences(figures, commune)
    review = AnnualReview(
        commune=commune,
        year=year,
        period_kind=kind,
        period_start=start,
        period_end=end,
        subject=narrative.subject(figures),
        created_by=actor,
        narrative_basis=narrative.basis(generated),
        **{name: narrative.join(sentences) for name, sentences in generated.items()},
    )
    review.full_clean()
    review.save()
    safety_assessments_ensure(commune=commune, year=year)
    return review


@transaction.atomic
def review_update(*, actor: User, review: AnnualReview, **fields: str) -> AnnualReview:
    """Edit the subject and narrative of a draft. A section saved as the generated sentences of
    now stays generated (written again from the figures at each build); a section the editor
    changed is taken to state the figures of now (the form showed what changed); an edited
    section saved unchanged keeps its figures, and so its flag when they have changed."""
    _require_perm(actor, "reviews.change_annualreview")
    _require_commune(actor, review.commune_id)
    _lock(review)
    _require_draft(review)
    allowed = {"subject", *NARRATIVE_FIELDS}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    state = review_state(review)
    basis = dict(review.narrative_basis or {})
    for name, value in fields.items():
        value = value.strip()
        if name in NARRATIVE_FIELDS:
            basis[name] = _saved_basis(review, state, name, value)
        setattr(review, name, value)
    review.narrative_basis = basis
    review.full_clean()
    review.save()
    review.editors.add(actor)  # whoever wrote it may not finalise it
    return review


def _saved_basis(review: AnnualReview, state: Any, name: str, text: str) -> list[dict] | None:
    generated = state.generated[name]
    if narrative.is_generated(text, narrative.basis({name: generated})[name]):
        return narrative.basis({name: generated})[name]
    old = (review.narrative_basis or {}).get(name)
    stored = getattr(review, name)
    if text == stored:
        return old
    if narrative.is_generated(stored, old):
        # The editor changed the sentences the form showed: those generated now.
        old = narrative.basis({name: generated})[name]
    return narrative.confirmed(old, state.writer) if old is not None else None


def _require_current_text(state: Any) -> None:
    """A draft whose edited text states figures that have changed is neither built nor
    finalised: it would contradict its own tables."""
    if state.stale:
        raise ValidationError(
            _(
                "The text states figures that have changed since it was written: refresh the "
                "generated sentences or correct the text first."
            ),
            code="narrative_stale",
        )


@transaction.atomic
def review_narrative_refresh(*, actor: User, review: AnnualReview) -> list[str]:
    """Bring the generated sentences of every stale section up to the figures of now (narrative.
    refreshed): the editor's own sentences stay. Returns the labels of the sections that still
    state changed figures in sentences the editor reworded (to correct by hand)."""
    _require_perm(actor, "reviews.change_annualreview")
    _require_commune(actor, review.commune_id)
    _lock(review)
    _require_draft(review)
    state = review_state(review)
    basis = dict(review.narrative_basis or {})
    for stale in state.stale:
        text, basis[stale.field] = narrative.refreshed(
            getattr(review, stale.field), basis[stale.field], state.generated[stale.field]
        )
        setattr(review, stale.field, text)
    review.narrative_basis = basis
    review.full_clean()
    review.save()
    review.editors.add(actor)  # the text changed under this officer's hand
    return [stale.label for stale in review_state(review).stale]


def next_number(commune: Commune, year: int) -> int:
    """The number the commune's next finalised review of reports issued in `year` takes."""
    last = AnnualReview.objects.filter(
        commune=commune, status=AnnualReview.Status.FINAL, issued_on__year=year
    ).aggregate(last=Max("number"))["last"]
    return (last or 0) + 1


@transaction.atomic
def review_finalise(
    *, actor: User, review: AnnualReview, number: int | None = None
) -> AnnualReview:
    """Freeze the review, by an officer who did not edit it: its figures, narrative, approved
    commendations and the document settings are stored as the snapshot, it is numbered (Số
    N-BC/ĐU; the next free number unless given) and dated today, and the final documents are
    built."""
    _require_perm(actor, "reviews.finalise_review")
    _require_commune(actor, review.commune_id)
    _lock(review)
    _require_draft(review)
    if review.editors.filter(pk=actor.pk).exists():
        raise ValidationError(
            _("You edited this review: another officer must finalise it."),
            code="editor_finalises",
        )
    today = timezone.localdate()
    number = number or next_number(review.commune, today.year)
    taken = AnnualReview.objects.filter(
        commune=review.commune, status=AnnualReview.Status.FINAL, issued_on__year=today.year,
        number=number,
    )  # fmt: skip
    if number < 1 or taken.exists():
        raise ValidationError(
            _("Number %(number)d is already used this year.") % {"number": number},
            code="number_taken",
        )
    state = review_state(review)
    _require_current_text(state)
    with translation.override("vi"):
        snapshot = {
            **state.data,
            "final": True,
            "number": number,
            "issued_on": today.isoformat(),
        }
    review.snapshot = snapshot
    review.number = number
    review.issued_on = today
    review.status = AnnualReview.Status.FINAL
    review.finalised_by = actor
    review.finalised_at = timezone.now()
    review.full_clean()
    review.save()
    build_request(actor=actor, review=review)
    return review


# --- documents -----------------------------------------------------------------------------


def _build_task() -> Any:
    from .tasks import build_review_documents  # tasks.py imports this module

    return build_review_documents


# Longer than a build may run (CELERY_TASK_TIME_LIMIT): a build still "running" after this
# lost its worker, and is neither waited for nor left hanging.
BUILD_ABANDONED_AFTER = datetime.timedelta(minutes=30)


def build_create(*, actor: User | None, review: AnnualReview) -> ReviewBuild:
    """A build of the review's documents, to run now (the command line) or in the worker
    (build_request): of the final documents when the review is finalised."""
    _require_perm(actor, "reviews.change_annualreview")
    _require_commune(actor, review.commune_id)
    return ReviewBuild.objects.create(review=review, final=review.is_final, requested_by=actor)


def build_request(*, actor: User | None, review: AnnualReview) -> ReviewBuild:
    """Queue a build of the three documents in the worker. A build already waiting for this
    review is returned instead of a second one."""
    _require_perm(actor, "reviews.change_annualreview")
    _require_commune(actor, review.commune_id)
    with transaction.atomic():
        _lock(review)
        if not review.is_final:
            _require_current_text(review_state(review))
        pending = review.builds.filter(
            status__in=[ReviewBuild.Status.QUEUED, ReviewBuild.Status.RUNNING],
            final=review.is_final,
            created_at__gte=timezone.now() - BUILD_ABANDONED_AFTER,
        ).first()
        if pending:
            return pending
        build = build_create(actor=actor, review=review)
        # After commit, and a broker that is down only delays it: builds_requeue_stale finds it.
        enqueue_on_commit(_build_task(), build.pk)
    return build


def _progress(build: ReviewBuild, percent: int, step: str) -> None:
    ReviewBuild.objects.filter(pk=build.pk).update(progress=percent, step=step)


def file_stem(review: AnnualReview) -> str:
    """ "bao-cao-so-ket-xa-thuan-loi-2026": ASCII file names (search_key maps Đ to d)."""
    return slugify(search_key(f"bao cao so ket {review.commune.name} {review.year}"))


def build_run(build_id: int, *, resume: bool = False) -> ReviewBuild | None:
    """Build the documents of a queued build (the worker's task). Claimed by a conditional
    update, so a second message does nothing; progress is saved as it goes. With `resume` (the
    message came back from a worker that died while running it) a build left "running" is
    taken over too."""
    claimable = [ReviewBuild.Status.QUEUED]
    if resume:
        claimable.append(ReviewBuild.Status.RUNNING)
    claimed = ReviewBuild.objects.filter(pk=build_id, status__in=claimable).update(
        status=ReviewBuild.Status.RUNNING, progress=5, step="figures"
    )
    if not claimed:
        return None
    build = ReviewBuild.objects.select_related("review__commune").get(pk=build_id)
    try:
        with translation.override("vi"):
            state = review_state(build.review)
            # The data may have changed since the build was asked for.
            _require_current_text(state)
            document = build_document(state.data)
            stem = file_stem(build.review)
            for index, (kind, render) in enumerate(RENDERERS.items()):
                _progress(build, 20 + index * 25, kind)
                content = ContentFile(render(document))
                getattr(build, kind).save(
                    f"{build.review_id}/{build.pk}/{stem}.{kind}", content, save=False
                )
    except Exception as error:
        logger.exception("Review build %s failed", build_id)
        build.status, build.error = ReviewBuild.Status.FAILED, repr(error)[:2000]
        build.finished_at = timezone.now()
        build.save(update_fields=["status", "error", "finished_at"])
        return build
    build.status, build.progress, build.step = ReviewBuild.Status.DONE, 100, ""
    build.finished_at = timezone.now()
    build.save(update_fields=["status", "progress", "step", "finished_at", *RENDERERS])
    return build


def builds_requeue_stale(*, older_than: datetime.timedelta = datetime.timedelta(minutes=10)) -> int:
    """Queued builds whose task never ran (the broker was down): send them again. A build
    left "running" by a worker that died is failed, so that a new one can be asked for."""
    ReviewBuild.objects.filter(
        status=ReviewBuild.Status.RUNNING, created_at__lt=timezone.now() - BUILD_ABANDONED_AFTER
    ).update(status=ReviewBuild.Status.FAILED, error="abandoned", finished_at=timezone.now())
    cutoff = timezone.now() - older_than
    stale = list(
        ReviewBuild.objects.filter(
            status=ReviewBuild.Status.QUEUED, created_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    for pk in stale:
        enqueue(_build_task(), pk)
    return len(stale)


# --- the yearly job ------------------------------------------------------------------------


def _recipients(commune: Commune) -> list[User]:
    """The party office and the police who finalise: whoever holds either permission."""
    from django.contrib.auth.models import Permission

    perms = Permission.objects.filter(
        content_type__app_label="reviews", codename__in=["approve_commendation", "finalise_review"]
    )
    return list(
        User.objects.filter(commune=commune, is_active=True)
        .filter(Q(groups__permissions__in=perms) | Q(user_permissions__in=perms))
        .distinct()
        .order_by("pk")
    )


def _notify(review: AnnualReview) -> None:
    """Once per review and user (the key), whatever runs twice."""
    with translation.override("vi"):
        title = _("The draft of the %(year)d review is ready") % {"year": review.year}
        body = _("Check the figures and the narrative, then finalise it.")
    for user in _recipients(review.commune):
        notification_send(
            user=user,
            key=f"review-draft-{review.pk}",
            kind="review_draft",
            title=title,
            body=body,
            url=reverse("reviews:detail", args=[review.pk]),
            email=True,
        )


def reviews_prepare_yearly(*, today: datetime.date | None = None) -> list[AnnualReview]:
    """For every commune, the draft of the period ending now, once per period: created with its
    documents queued, and the party office and police told. Returns the drafts created."""
    today = today or timezone.localdate()
    created = []
    for commune in Commune.objects.order_by("pk"):
        kind = ReviewSettings.for_commune(commune).period_kind
        year = ending_period_year(kind, today)
        if AnnualReview.objects.filter(commune=commune, year=year).exists():
            continue
        try:
            with transaction.atomic():
                review = review_create(actor=None, commune=commune, year=year, period_kind=kind)
                build_request(actor=None, review=review)
                transaction.on_commit(lambda review=review: _notify(review))
        except (IntegrityError, ValidationError):
            continue  # another run made it first: once per period
        created.append(review)
    return created


# --- commendations -------------------------------------------------------------------------


def _nominee_name(kind: str, target: Any) -> str:
    if kind in (Commendation.Nominee.OFFICER, Commendation.Nominee.HAMLET_HEAD):
        return target.get_full_name()
    if kind == Commendation.Nominee.PEOPLE_GROUP:
        return f"{target.name} ({target.hamlet.name})"
    if kind == Commendation.Nominee.MEMBER:
        return target.full_name
    return target.name


def _target_hamlet_id(kind: str, target: Any) -> int | None:
    if isinstance(target, Hamlet):
        return target.pk
    if isinstance(target, PeopleGroup | ZaloGroup):
        return target.hamlet_id
    if isinstance(target, Member):
        return target.group.hamlet_id
    return None


@transaction.atomic
def commendation_nominate(
    *,
    actor: User,
    review: AnnualReview,
    nominee_kind: str,
    target: Hamlet | PeopleGroup | ZaloGroup | Member | User,
    reason: str,
    suggested: bool = False,
) -> Commendation:
    """Propose an individual or a collective of the review's commune for commendation."""
    _require_perm(actor, "reviews.add_commendation")
    _require_commune(actor, review.commune_id)
    _require_draft(review)
    kind = Commendation.Nominee(nominee_kind)
    hamlet_id = _target_hamlet_id(kind, target)
    in_commune = (
        hamlets_for(actor).filter(pk=hamlet_id).exists()
        if hamlet_id is not None
        else getattr(target, "commune_id", None) == review.commune_id
    )
    if not in_commune:
        raise ValidationError(_("The nominee is not of this commune."), code="nominee_elsewhere")
    commendation = Commendation(
        review=review,
        nominee_kind=kind,
        name=_nominee_name(kind, target),
        reason=reason.strip(),
        suggested=suggested,
        proposed_by=actor,
        **{Commendation.TARGET_FIELD[kind]: target},
    )
    commendation.full_clean()
    commendation.save()
    return commendation


@transaction.atomic
def commendation_decide(
    *, actor: User, commendation: Commendation, approve: bool, note: str = ""
) -> Commendation:
    """The party office approves or declines a nomination (reviews.approve_commendation), never
    the person who proposed it: a nomination is weighed by someone else."""
    _require_perm(actor, "reviews.approve_commendation")
    _require_commune(actor, commendation.review.commune_id)
    _require_draft(commendation.review)
    if commendation.proposed_by_id == actor.pk:
        raise ValidationError(
            _("You proposed this commendation: someone else must decide it."),
            code="proposer_decides",
        )
    status = Commendation.Status.APPROVED if approve else Commendation.Status.DECLINED
    commendation.status = status
    commendation.decided_by = actor
    commendation.decided_at = timezone.now()
    commendation.decision_note = note.strip()
    commendation.full_clean()
    commendation.save()
    return commendation


def commendation_suggestions(review: AnnualReview, figures: dict[str, Any]) -> list[dict[str, Any]]:
    """Candidates from the figures, not yet nominated: the hamlet with the most valuable tips
    (a count: informants are never named), the hamlet with the highest coverage and its head,
    the people's group with the highest coverage, and the best posting record (the Zalo group
    and the administering officer with the highest on-time rate, among those with at least
    BEST_POSTING_MINIMUM postings due in the period)."""
    from groups.coverage import people_groups_coverage

    now = figures["sections"]
    hamlets = {h.pk: h for h in review.commune.hamlets.select_related("head")}
    nominated = set(
        review.commendations.values_list(
            "nominee_kind", "hamlet", "user", "people_group", "zalo_group"
        )
    )
    found: list[dict[str, Any]] = []

    def best(section: str, key: str) -> tuple[Hamlet | None, Any]:
        rows = now[section]["current"]["by_hamlet"]
        ranked = sorted(
            ((rows[str(pk)][key] or 0, -pk) for pk in hamlets if str(pk) in rows), reverse=True
        )
        if not ranked or not ranked[0][0]:
            return None, None
        return hamlets[-ranked[0][1]], ranked[0][0]

    with translation.override("vi"):
        hamlet, tips = best("reports", "valuable_tips")
        if hamlet:
            found.append(
                {
                    "kind": Commendation.Nominee.HAMLET,
                    "target": hamlet,
                    "reason": _("%(count)d valuable tips from the hamlet in the period.")
                    % {"count": tips},
                }
            )
        hamlet, coverage = best("members", "coverage")
        if hamlet:
            reason = _("The highest household coverage of the commune: %(percent)s%%.") % {
                "percent": vn_number(coverage)
            }
            found.append({"kind": Commendation.Nominee.HAMLET, "target": hamlet, "reason": reason})
            if hamlet.head:
                found.append(
                    {
                        "kind": Commendation.Nominee.HAMLET_HEAD,
                        "target": hamlet.head,
                        "reason": reason,
                    }
                )
        rows = [
            row
            for row in people_groups_coverage(
                PeopleGroup.objects.filter(hamlet__commune=review.commune)
            )
            if row.percent is not None and row.covered_households
        ]
        if rows:
            top = max(rows, key=lambda row: (row.percent_shown, -row.people_group.pk))
            found.append(
                {
                    "kind": Commendation.Nominee.PEOPLE_GROUP,
                    "target": top.people_group,
                    "reason": _(
                        "The highest household coverage of a people's group: %(percent)s%%."
                    )
                    % {"percent": vn_number(top.percent_shown)},
                }
            )
        found += _posting_record_suggestions(review, figures)
    unique = []
    for item in found:
        target = item["target"]
        key = (
            str(item["kind"]),
            target.pk if isinstance(target, Hamlet) else None,
            target.pk if isinstance(target, User) else None,
            target.pk if isinstance(target, PeopleGroup) else None,
            target.pk if isinstance(target, ZaloGroup) else None,
        )
        if key not in nominated and key not in {u["key"] for u in unique}:
            unique.append({**item, "key": key, "name": _nominee_name(item["kind"], target)})
    return unique


# A posting record is suggested for commendation only over this many postings due (on time,
# late or missed): a group with two postings, both on time, has no record yet.
BEST_POSTING_MINIMUM = 10


def _posting_record_suggestions(review: AnnualReview, figures: dict[str, Any]) -> list[dict]:
    """The Zalo group and the officer (administering the groups) with the best on-time rate of
    the period: two grouped queries. Ties go to more postings on time, then the older row."""
    period = figures["period"]
    scope = Scope(
        review.commune,
        list(review.commune.hamlets.values_list("pk", flat=True)),
        period["year"],
        datetime.date.fromisoformat(period["start"]),
        datetime.date.fromisoformat(period["end"]),
    )
    outcomes = posting_outcomes(scope)
    counts = {key: Count("pk", filter=outcomes[key]) for key in ("on_time", "late", "missed")}
    found = []
    # An officer is suggested only while an active user of this commune (who can be nominated).
    officer_ok = {
        "group__admin_officer__is_active": True,
        "group__admin_officer__commune": review.commune,
    }
    for field, kind, active in (
        ("group", Commendation.Nominee.ZALO_GROUP, {}),
        ("group__admin_officer", Commendation.Nominee.OFFICER, officer_ok),
    ):
        rows = [
            {
                **row,
                "rate": on_time_rate(row),
                "known": row["on_time"] + row["late"] + row["missed"],
            }
            for row in postings_due(scope)
            .filter(**{f"{field}__isnull": False}, **active)
            .values(field)
            .annotate(**counts)
        ]
        rows = [row for row in rows if row["known"] >= BEST_POSTING_MINIMUM]
        if not rows:
            continue
        best = max(rows, key=lambda row: (row["rate"], row["on_time"], -row[field]))
        if not best["on_time"]:
            continue
        model = ZaloGroup if kind == Commendation.Nominee.ZALO_GROUP else User
        target = model.objects.select_related(*(["hamlet"] if model is ZaloGroup else [])).get(
            pk=best[field]
        )
        found.append(
            {
                "kind": kind,
                "target": target,
                "reason": _(
                    "The best posting record of the period: %(on_time)d of %(known)d postings "
                    "on time (%(percent)s%%)."
                )
                % {
                    "on_time": best["on_time"],
                    "known": best["known"],
                    "percent": vn_number(best["rate"]),
                },
            }
        )
    return found


# --- safety assessment ---------------------------------------------------------------------


def safety_assessments_ensure(*, commune: Commune, year: int) -> None:
    """A pending assessment of the year for every hamlet of the commune that has none."""
    SafetyAssessment.objects.bulk_create(
        [SafetyAssessment(hamlet=hamlet, year=year) for hamlet in commune.hamlets.all()],
        ignore_conflicts=True,
    )


@transaction.atomic
def safety_assess(
    *,
    actor: User,
    assessment: SafetyAssessment,
    met: dict[int, bool],
    notes: dict[int, str],
    evidence: str,
    result: str,
) -> SafetyAssessment:
    """Record the checklist, the evidence and the result. "Đạt" needs every criterion in use
    met (Circular 124: a residential area must meet all of them)."""
    _require_perm(actor, "reviews.change_safetyassessment")
    if not hamlets_for(actor).filter(pk=assessment.hamlet_id).exists():
        raise PermissionDenied
    final = AnnualReview.objects.filter(
        commune_id=assessment.hamlet.commune_id, year=assessment.year, status="final"
    )
    if final.exists():
        raise ValidationError(
            _("The review of this year is finalised: its assessment can no longer be changed."),
            code="review_final",
        )
    criteria = list(SafetyCriterion.objects.filter(active=True))
    if result == SafetyAssessment.Result.PASSED and not all(met.get(c.pk) for c in criteria):
        raise ValidationError(_("“Met” needs every criterion met."), code="criteria_not_met")
    for criterion in criteria:
        SafetyCheck.objects.update_or_create(
            assessment=assessment,
            criterion=criterion,
            defaults={
                "met": bool(met.get(criterion.pk)),
                "note": (notes.get(criterion.pk) or "").strip()[:500],
            },
        )
    assessment.evidence = evidence.strip()
    assessment.result = result
    assessment.assessed_by = actor
    assessment.full_clean()
    assessment.save()
    return assessment
