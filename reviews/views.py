"""Pages of the yearly review: the party office's list with the downloads, a review's figures,
narrative, commendations and safety assessment, building and finalising.

Scope first (a review of another commune is missing: 404), then the permission (403).
"""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.selectors import WhoCan, roles_with, who_can
from binhyen.files import private_file_response
from binhyen.permissions import require_perm
from groups.access import communes_for

from . import charts, maps, services
from .content import build_document, review_state
from .forms import (
    DecisionForm,
    FinaliseForm,
    NarrativeForm,
    NominationForm,
    ReviewCreateForm,
    SafetyForm,
)
from .models import (
    AnnualReview,
    Commendation,
    ReviewBuild,
    SafetyAssessment,
    SafetyCriterion,
)

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _review(request: HttpRequest, review_id: int, permission: str) -> AnnualReview:
    queryset = AnnualReview.objects.visible_to(request.user).select_related("commune")
    review = get_object_or_404(queryset, pk=review_id)
    require_perm(request, permission)
    return review


def _errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    """Every year's review of the commune with its status and latest documents."""
    require_perm(request, "reviews.view_annualreview")
    reviews = list(
        AnnualReview.objects.visible_to(request.user)
        .select_related("commune")
        .order_by("-year", "commune__name")
    )
    latest: dict[int, ReviewBuild] = {}
    for build in ReviewBuild.objects.filter(review__in=reviews, status=ReviewBuild.Status.DONE):
        if build.review_id not in latest or build.created_at > latest[build.review_id].created_at:
            latest[build.review_id] = build
    rows = [(review, latest.get(review.pk)) for review in reviews]
    can_create = request.user.has_perm("reviews.add_annualreview")
    form = ReviewCreateForm() if can_create else None
    context = {"rows": rows, "form": form}
    if not request.user.has_perm(BUILD):  # who builds the documents they wait for
        context["builders"] = roles_with(BUILD)
    return render(request, "reviews/annualreview_list.html", context)


@login_required
@require_POST
def review_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, "reviews.add_annualreview")
    form = ReviewCreateForm(request.POST)
    commune = communes_for(request.user).filter(pk=request.user.commune_id).first()
    if commune is None:
        raise Http404
    if not form.is_valid():
        messages.error(request, _("Give a year and a period."))
        return redirect("reviews:list")
    try:
        review = services.review_create(
            actor=request.user,
            commune=commune,
            year=form.cleaned_data["year"],
            period_kind=form.cleaned_data["period_kind"],
        )
    except ValidationError as error:
        _errors(request, error)
        return redirect("reviews:list")
    messages.success(request, _("The draft review was created from the figures."))
    return redirect("reviews:detail", review_id=review.pk)


BUILD = "reviews.change_annualreview"
FINALISE = "reviews.finalise_review"
DECIDE = "reviews.approve_commendation"


def _next_steps(
    user: User, review: AnnualReview, builds: list, commendations: list[Commendation]
) -> list[tuple[str, WhoCan]]:
    """What the review waits on that this user cannot do, and who can: the documents to
    build, the review to finalise, the nominations to decide (never by who proposed them)."""
    if review.is_final:
        return []
    steps = []
    if not builds and not user.has_perm(BUILD):
        steps.append((_("building the documents"), who_can(BUILD, review.commune_id)))
    if not user.has_perm(FINALISE):
        steps.append((_("finalising the review"), who_can(FINALISE, review.commune_id)))
    proposed = [c for c in commendations if c.status == Commendation.Status.PROPOSED]
    proposers = {c.proposed_by_id for c in proposed}
    if proposed and (not user.has_perm(DECIDE) or proposers == {user.pk}):
        who = who_can(DECIDE, review.commune_id, besides=proposers)
        steps.append((_("deciding the nominations"), who))
    return steps


@login_required
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id, "reviews.view_annualreview")
    state = review_state(review)
    data = state.data
    document = build_document(data)
    assessments = (
        SafetyAssessment.objects.filter(hamlet__commune=review.commune, year=review.year)
        .select_related("hamlet")
        .order_by("hamlet__code")
    )
    commendations = list(review.commendations.select_related("proposed_by", "decided_by"))
    builds = list(review.builds.select_related("requested_by")[:20])
    suggestions = []
    if not review.is_final and request.user.has_perm("reviews.add_commendation"):
        suggestions = services.commendation_suggestions(review, data["figures"])
    context = {
        "review": review,
        "document": document,
        "tables": [document.summary, document.groups, *document.reports, *document.bulletins],
        # Drawn on the server as SVG (escaped text, no script): the same charts as the PDF.
        "charts": [(chart.title, charts.svg(chart)) for chart in document.charts],
        "map": document.map and maps.svg(maps.layout(document.map), document.map.title),
        "builds": builds,
        "commendations": commendations,
        "suggestions": suggestions,
        "assessments": assessments,
        "decision_form": DecisionForm(),
        "narrative": data["narrative"],
        "stale": state.stale,
        "next_steps": _next_steps(request.user, review, builds, commendations),
    }
    return render(request, "reviews/annualreview_detail.html", context)


@login_required
def review_edit(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id, "reviews.change_annualreview")
    if review.is_final:
        messages.error(request, _("This review is finalised: it can no longer be changed."))
        return redirect("reviews:detail", review_id=review.pk)
    state = review_state(review)
    # The sections still as generated show the sentences of the figures of now.
    form = NarrativeForm(request.POST or None, instance=review, initial=state.data["narrative"])
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.fields}
        review.refresh_from_db()  # the service saves; the form only validated
        try:
            services.review_update(actor=request.user, review=review, **fields)
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("The text of the review was saved."))
            return redirect("reviews:detail", review_id=review.pk)
    context = {"review": review, "form": form, "stale": state.stale}
    return render(request, "reviews/annualreview_form.html", context)


@login_required
@require_POST
def review_refresh(request: HttpRequest, review_id: int) -> HttpResponse:
    """Bring the generated sentences of the edited text up to the figures of now."""
    review = _review(request, review_id, "reviews.change_annualreview")
    try:
        by_hand = services.review_narrative_refresh(actor=request.user, review=review)
    except ValidationError as error:
        _errors(request, error)
    else:
        if by_hand:
            messages.warning(
                request,
                _(
                    "Sentences you reworded still state changed figures; correct them in: "
                    "%(sections)s."
                )
                % {"sections": ", ".join(by_hand)},
            )
        else:
            messages.success(request, _("The generated sentences now state the figures of now."))
    return redirect("reviews:detail", review_id=review.pk)


@login_required
@require_POST
def review_build(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id, "reviews.change_annualreview")
    try:
        services.build_request(actor=request.user, review=review)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.info(
            request, _("The documents are being built; this page shows when they are ready.")
        )
    return redirect("reviews:detail", review_id=review.pk)


@login_required
def review_finalise(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id, "reviews.finalise_review")
    if review.is_final:
        return redirect("reviews:detail", review_id=review.pk)
    form = FinaliseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_finalise(
                actor=request.user, review=review, number=form.cleaned_data["number"]
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("The review is finalised; its documents are being built."))
            return redirect("reviews:detail", review_id=review.pk)
    context = {
        "review": review,
        "form": form,
        "next_number": services.next_number(review.commune, review.year),
    }
    return render(request, "reviews/annualreview_finalise.html", context)


@login_required
def build_status(request: HttpRequest, build_id: int) -> HttpResponse:
    """The progress of a build: the fragment the review page polls (htmx) until it is done."""
    build = get_object_or_404(
        ReviewBuild.objects.visible_to(request.user).select_related("review"), pk=build_id
    )
    require_perm(request, "reviews.view_annualreview")
    return render(request, "reviews/reviewbuild_status.html", {"build": build})


@login_required
def build_download(request: HttpRequest, build_id: int, fmt: str) -> FileResponse:
    """A built document, to whoever may read the review; the files have no public URL."""
    build = get_object_or_404(
        ReviewBuild.objects.visible_to(request.user).select_related("review__commune"),
        pk=build_id,
    )
    require_perm(request, "reviews.view_annualreview")
    field = getattr(build, fmt)
    if build.status != ReviewBuild.Status.DONE or not field or not field.storage.exists(field.name):
        raise Http404
    name = Path(field.name).name
    return private_file_response(
        field, content_type=CONTENT_TYPES[fmt], filename=name, as_attachment=True
    )


@login_required
def commendation_create(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review(request, review_id, "reviews.add_commendation")
    if review.is_final:
        raise PermissionDenied
    initial = {"nominee": request.GET.get("nominee", ""), "reason": request.GET.get("reason", "")}
    form = NominationForm(
        request.POST or None, initial=initial, user=request.user, commune_id=review.commune_id
    )
    if request.method == "POST" and form.is_valid():
        kind, target = form.cleaned_data["nominee"]
        try:
            services.commendation_nominate(
                actor=request.user,
                review=review,
                nominee_kind=kind,
                target=target,
                reason=form.cleaned_data["reason"],
                suggested=request.POST.get("suggested") == "1",
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("The nomination was recorded."))
            return redirect(reverse("reviews:detail", args=[review.pk]) + "#commendations")
    context = {"review": review, "form": form}
    return render(request, "reviews/commendation_form.html", context)


@login_required
@require_POST
def commendation_decide(request: HttpRequest, commendation_id: int) -> HttpResponse:
    commendation = get_object_or_404(
        Commendation.objects.visible_to(request.user).select_related("review"),
        pk=commendation_id,
    )
    require_perm(request, "reviews.approve_commendation")
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.commendation_decide(
                actor=request.user,
                commendation=commendation,
                approve=form.cleaned_data["approve"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("The decision was recorded."))
    return redirect(reverse("reviews:detail", args=[commendation.review_id]) + "#commendations")


@login_required
def safety_assessment(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """A hamlet's checklist for the year: read with view permission, edited with change."""
    assessment = get_object_or_404(
        SafetyAssessment.objects.visible_to(request.user).select_related("hamlet__commune"),
        pk=assessment_id,
    )
    require_perm(request, "reviews.view_safetyassessment")
    criteria = list(SafetyCriterion.objects.filter(active=True))
    checks = {check.criterion_id: check for check in assessment.checks.all()}
    can_change = request.user.has_perm("reviews.change_safetyassessment")
    initial = {"evidence": assessment.evidence, "result": assessment.result}
    data = request.POST if request.method == "POST" else None
    form = SafetyForm(data, initial=initial, criteria=criteria, checks=checks)
    if request.method == "POST":
        require_perm(request, "reviews.change_safetyassessment")
        if form.is_valid():
            try:
                services.safety_assess(
                    actor=request.user,
                    assessment=assessment,
                    met={c.pk: form.cleaned_data[f"met_{c.pk}"] for c in criteria},
                    notes={c.pk: form.cleaned_data[f"note_{c.pk}"] for c in criteria},
                    evidence=form.cleaned_data["evidence"],
                    result=form.cleaned_data["result"],
                )
            except ValidationError as error:
                _errors(request, error)
            else:
                messages.success(request, _("The assessment was saved."))
                review = AnnualReview.objects.filter(
                    commune=assessment.hamlet.commune, year=assessment.year
                ).first()
                if review:
                    return redirect(reverse("reviews:detail", args=[review.pk]) + "#safety")
                return redirect("reviews:list")
    context = {"assessment": assessment, "form": form, "can_change": can_change}
    return render(request, "reviews/safetyassessment_form.html", context)
