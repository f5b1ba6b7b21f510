"""HTML pages of bulletins: the list and editor with its workflow, each bulletin's progress,
the officer's checklist "Việc cần đăng", progress per group, the guide library and the question
log. Out of scope is a 404 (fetched through `visible_to`), in scope without permission a 403."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Min, Prefetch, Q, Sum, Window
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.selectors import who_can
from binhyen.dates import parse_day
from binhyen.files import private_file_response
from binhyen.page_cache import Drawn, cached_part
from binhyen.pagination import CappedCountPaginator
from binhyen.permissions import require_perm
from groups.models import ZaloGroup
from groups.services import REGISTER_TOPIC

from .forms import BulletinForm, ImageForm, PostedForm, QuestionForm, SkipForm, TransitionForm
from .models import (
    Bulletin,
    BulletinImage,
    Guide,
    Posting,
    PostingQuerySet,
    Procedure,
    ProcedureQuestion,
    Status,
    TargetMode,
    Theme,
    published_in,
)
from .services import (
    POSTINGS_TOPIC,
    bulletin_create,
    bulletin_image_add,
    bulletin_transition,
    bulletin_update,
    posting_mark_posted,
    posting_skip,
    question_record,
    volume_warnings,
)

PAGE_SIZE = 25


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _bulletin(request: HttpRequest, bulletin_id: int) -> Bulletin:
    queryset = Bulletin.objects.visible_to(request.user).select_related(
        "author", "approved_by", "commune", "guide"
    )
    return get_object_or_404(queryset, pk=bulletin_id)


def posting_counts(prefix: str = "", where: Q | None = None) -> dict:
    """Aggregates of postings (on time, late, pending, skipped), for annotate or aggregate;
    `prefix` is the path to the postings ("postings__" from a bulletin or group)."""
    p, base = prefix, where or Q()
    posted = base & Q(**{f"{p}status": Posting.Status.POSTED})
    return {
        "total": Count(f"{p}pk", filter=base),
        "on_time": Count(f"{p}pk", filter=posted & Q(**{f"{p}posted_at__lte": F(f"{p}due_at")})),
        "late": Count(f"{p}pk", filter=posted & Q(**{f"{p}posted_at__gt": F(f"{p}due_at")})),
        "pending": Count(f"{p}pk", filter=base & Q(**{f"{p}status": Posting.Status.PENDING})),
        "skipped": Count(f"{p}pk", filter=base & Q(**{f"{p}status": Posting.Status.SKIPPED})),
    }


# --- bulletins ----------------------------------------------------------------------------


@login_required
def bulletin_list(request: HttpRequest) -> HttpResponse:
    """Bulletins in scope, newest first, filtered by theme, status and date, with progress."""
    require_perm(request, "bulletins.view_bulletin")
    bulletins = Bulletin.objects.visible_to(request.user)
    theme, status = request.GET.get("theme", ""), request.GET.get("status", "")
    if theme in Theme.values:
        bulletins = bulletins.filter(theme=theme)
    if status in Status.values:
        bulletins = bulletins.filter(status=status)
    since = request.GET.get("since", "")
    since_day = parse_day(since)
    if since_day:
        bulletins = bulletins.filter(created_at__date__gte=since_day)
    else:
        since = ""
    counts = posting_counts("postings__")
    bulletins = (
        bulletins.select_related("author")
        .annotate(**{f"n_{key}": value for key, value in counts.items()})
        .order_by("-created_at", "-pk")
    )
    page = Paginator(bulletins, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "themes": Theme.choices,
        "statuses": Status.choices,
        "theme": theme,
        "status": status,
        "since": since,
        "can_add": request.user.has_perm("bulletins.add_bulletin"),
    }
    return render(request, "bulletins/bulletin_list.html", context)


def _form_page(request: HttpRequest, form: BulletinForm, bulletin: Bulletin | None) -> HttpResponse:
    return render(
        request,
        "bulletins/bulletin_form.html",
        {"form": form, "bulletin": bulletin, "max_length": Bulletin.ZALO_TEXT_MAX},
    )


@login_required
def bulletin_create_view(request: HttpRequest) -> HttpResponse:
    """A new draft; `?guide=<id>` starts from a guide of the library."""
    require_perm(request, "bulletins.add_bulletin")
    guide = None
    guide_id = request.GET.get("guide", "")
    if guide_id.isdigit():
        guide = get_object_or_404(Guide.objects.visible_to(request.user), pk=guide_id)
    if request.method == "POST":
        form = BulletinForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                bulletin = bulletin_create(actor=request.user, content=form.content(), guide=guide)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("bulletins:bulletin-detail", bulletin.pk)
    else:
        initial = {"target_mode": TargetMode.ALL}
        if not request.user.has_perm("groups.view_all_hamlets"):
            initial["target_mode"] = TargetMode.HAMLETS
        if guide is not None:
            initial.update(
                title=guide.title,
                theme=Theme.PROCEDURES,
                procedure=guide.procedure,
                body=guide.body,
                zalo_text=guide.zalo_text,
            )
        form = BulletinForm(initial=initial, user=request.user)
    return _form_page(request, form, None)


@login_required
def bulletin_edit(request: HttpRequest, bulletin_id: int) -> HttpResponse:
    bulletin = _bulletin(request, bulletin_id)
    require_perm(request, "bulletins.add_bulletin")
    if bulletin.author_id != request.user.pk and not request.user.has_perm(
        "bulletins.change_bulletin"
    ):
        raise PermissionDenied
    if not bulletin.is_editable:
        messages.error(request, _("Only a draft can be changed."))
        return redirect("bulletins:bulletin-detail", bulletin.pk)
    if request.method == "POST":
        form = BulletinForm(request.POST, instance=bulletin, user=request.user)
        if form.is_valid():
            try:
                bulletin_update(actor=request.user, bulletin=bulletin, content=form.content())
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("bulletins:bulletin-detail", bulletin.pk)
        bulletin.refresh_from_db()
    else:
        form = BulletinForm(instance=bulletin, user=request.user)
    return _form_page(request, form, bulletin)


@login_required
def bulletin_detail(request: HttpRequest, bulletin_id: int) -> HttpResponse:
    """The bulletin, its Zalo text with a copy button, its workflow and its progress per group
    (who can see postings)."""
    bulletin = _bulletin(request, bulletin_id)
    require_perm(request, "bulletins.view_bulletin")
    user = request.user
    context: dict = {
        "bulletin": bulletin,
        "images": list(bulletin.images.all()),
        "events": bulletin.events.select_related("actor"),
        "can_edit": bulletin.is_editable
        and user.has_perm("bulletins.add_bulletin")
        and (bulletin.author_id == user.pk or user.has_perm("bulletins.change_bulletin")),
        "can_approve": user.has_perm("bulletins.approve_bulletin"),
        "image_form": ImageForm(),
        "max_images": Bulletin.MAX_IMAGES,
    }
    if bulletin.status == Status.APPROVED and context["can_approve"]:
        context["warnings"] = volume_warnings(bulletin)
    context.update(_next_step(user, bulletin, context["can_approve"]))
    if user.has_perm("bulletins.view_posting"):
        postings = (
            Posting.objects.visible_to(user)
            .filter(bulletin=bulletin)
            .select_related("group__hamlet", "posted_by")
            .order_by("group__hamlet__name", "group__name")
        )
        context["postings"] = postings
        context["progress"] = postings.aggregate(**posting_counts())
    return render(request, "bulletins/bulletin_detail.html", context)


APPROVE = "bulletins.approve_bulletin"


def _next_step(user: User, bulletin: Bulletin, can_approve: bool) -> dict:
    """Who the bulletin waits on when it is not this user: approval by someone who neither
    wrote nor changed it, then publishing by whoever approves."""
    if bulletin.status == Status.SUBMITTED:
        cannot = [bulletin.author_id, *bulletin.editors.values_list("pk", flat=True)]
        if can_approve and user.pk not in cannot:
            return {}
        step = _("approval (by someone who did not write or change it)")
        return {"who_can": who_can(APPROVE, bulletin.commune_id, besides=cannot), "step": step}
    if bulletin.status == Status.APPROVED and not can_approve:
        return {"who_can": who_can(APPROVE, bulletin.commune_id), "step": _("publishing")}
    return {}


@login_required
@require_POST
def bulletin_transition_view(request: HttpRequest, bulletin_id: int) -> HttpResponse:
    bulletin = _bulletin(request, bulletin_id)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown step."))
        return redirect("bulletins:bulletin-detail", bulletin.pk)
    try:
        bulletin = bulletin_transition(actor=request.user, bulletin=bulletin, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request,
            _("The bulletin is now “%(status)s”.") % {"status": bulletin.get_status_display()},
        )
    return redirect("bulletins:bulletin-detail", bulletin.pk)


@login_required
@require_POST
def bulletin_image_upload(request: HttpRequest, bulletin_id: int) -> HttpResponse:
    bulletin = _bulletin(request, bulletin_id)
    form = ImageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            bulletin_image_add(
                actor=request.user, bulletin=bulletin, uploaded_file=form.cleaned_data["image"]
            )
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("Picture added."))
    else:
        messages.error(request, _("Choose a picture."))
    return redirect("bulletins:bulletin-detail", bulletin.pk)


@login_required
def bulletin_image(request: HttpRequest, image_id: int) -> FileResponse:
    """A bulletin's picture, for whoever may read the bulletin (to save and post it)."""
    image = get_object_or_404(BulletinImage.objects.visible_to(request.user), pk=image_id)
    require_perm(request, "bulletins.view_bulletin")
    return private_file_response(
        image.file, content_type=image.content_type, filename=image.original_name
    )


# --- the checklist --------------------------------------------------------------------------


@login_required
def checklist(request: HttpRequest) -> HttpResponse:
    """ "Việc cần đăng": the pending postings of the groups the officer administers (overdue
    first), CHECKLIST_PAGE a page, and what they recorded today."""
    require_perm(request, "bulletins.add_posting")
    content = cached_part(
        request, "bulletins:checklist", CHECKLIST_TOPICS, lambda: _draw_checklist(request)
    )
    return render(request, "bulletins/posting_checklist.html", {"content": content})


# What the checklist shows: the postings and their bulletins, the groups' names and links.
CHECKLIST_TOPICS = (POSTINGS_TOPIC, REGISTER_TOPIC)


def _draw_checklist(request: HttpRequest) -> Drawn:
    """The checklist's content, and when it must be drawn again though nothing was written: the
    next deadline of a pending posting (its card, the overdue count) or midnight ("today").
    A fixed number of queries whatever the size: one page of rows and the totals (see
    _checklist_cards)."""
    mine = Posting.objects.checklist_of(request.user)
    now = timezone.now()
    todo = mine.pending()
    # ?due=today / ?due=overdue: the dashboard's figures open the postings they count.
    due = request.GET.get("due", "")
    if due == "today":
        todo = todo.due_today()
    elif due == "overdue":
        todo = todo.overdue(now)
    else:
        due = ""
    hamlet = request.GET.get("hamlet", "")
    if hamlet.isdecimal():  # the groups of one hamlet (scope is already the officer's)
        todo = todo.filter(group__hamlet_id=int(hamlet))
    page, totals = _checklist_cards(todo, now, request.GET.get("page") or "1")
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    done_today = list(
        mine.exclude(status=Posting.Status.PENDING)
        .filter(posted_at__gte=start, posted_by=request.user)
        .select_related("bulletin", "group")
        .only("pk", "status", "posted_at", "bulletin", "bulletin__title", "group", "group__name")
        .order_by("-posted_at")[:50]
    )
    context = {
        "page": page,
        "pending": page.object_list,
        "total": totals["total"],
        "overdue": totals["overdue"],
        "due": due,
        "done_today": done_today,
    }
    html = render_to_string("bulletins/_posting_checklist.html", context, request=request)
    next_deadline = mine.pending().filter(due_at__gt=now).aggregate(first=Min("due_at"))["first"]
    midnight = start + datetime.timedelta(days=1)
    return html, min(next_deadline, midnight) if next_deadline else midnight


def _checklist_cards(
    todo: PostingQuerySet, now: datetime.datetime, number: str
) -> tuple[Page, dict[str, int]]:
    """The page `number` of the cards of `todo` (the rows loaded, with their pictures) and the
    totals of `todo` (all pending, and overdue). On the first page, the one nearly always
    opened, the totals come with its rows as window aggregates over every row of `todo`: one
    query for both. Another page needs the count first, to know whether it exists."""
    images = Prefetch(
        "bulletin__images",
        queryset=BulletinImage.objects.order_by("pk").only("pk", "bulletin_id", "original_name"),
    )
    rows = (
        todo.select_related("bulletin", "group")
        .only(*CHECKLIST_COLUMNS)
        .prefetch_related(images)
        .order_by("due_at", "pk")
    )
    overdue = Count("pk", filter=Q(due_at__lt=now))
    if number == "1":
        counted = rows.annotate(
            checklist_total=Window(Count("pk")), checklist_overdue=Window(overdue)
        )
        cards = list(counted[:CHECKLIST_PAGE])
        first = cards[0] if cards else None
        totals = {
            "total": first.checklist_total if first else 0,
            "overdue": first.checklist_overdue if first else 0,
        }
        page = CappedCountPaginator(rows, CHECKLIST_PAGE, count=totals["total"]).page(1)
        page.object_list = cards
        return page, totals
    totals = todo.aggregate(total=Count("pk"), overdue=overdue)
    page = CappedCountPaginator(rows, CHECKLIST_PAGE, count=totals["total"]).get_page(number)
    page.object_list = list(page.object_list)
    return page, totals


# What a checklist card shows of a posting, its bulletin and its group.
CHECKLIST_COLUMNS = ("pk", "due_at", "status", "bulletin", "bulletin__title", "bulletin__zalo_text",
                     "group", "group__name", "group__invite_link")  # fmt: skip

# Cards per page of the checklist: a phone shows a few at a time, and each card carries the
# whole Zalo text and two forms (a hundred cards took longer to render than every query).
CHECKLIST_PAGE = 30


def _posting(request: HttpRequest, posting_id: int) -> Posting:
    return get_object_or_404(Posting.objects.visible_to(request.user), pk=posting_id)


def _back(request: HttpRequest) -> HttpResponse:
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return redirect("bulletins:checklist")


@login_required
@require_POST
def posting_posted(request: HttpRequest, posting_id: int) -> HttpResponse:
    """One tap "Đã đăng", with an optional proof link or screenshot."""
    posting = _posting(request, posting_id)
    form = PostedForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return _back(request)
    try:
        posting_mark_posted(actor=request.user, posting=posting, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Recorded as posted in %(group)s.") % {"group": posting.group})
    return _back(request)


@login_required
@require_POST
def posting_skipped(request: HttpRequest, posting_id: int) -> HttpResponse:
    posting = _posting(request, posting_id)
    form = SkipForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for skipping."))
        return _back(request)
    try:
        posting_skip(actor=request.user, posting=posting, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Recorded as skipped."))
    return _back(request)


@login_required
def posting_proof(request: HttpRequest, posting_id: int) -> FileResponse:
    posting = _posting(request, posting_id)
    require_perm(request, "bulletins.view_posting")
    if not posting.proof_image:
        raise Http404
    return private_file_response(
        posting.proof_image, content_type="application/octet-stream", filename="proof"
    )


@login_required
def progress(request: HttpRequest) -> HttpResponse:
    """Progress per group over a period (default the last 30 days): on time, late, pending."""
    require_perm(request, "bulletins.view_posting")
    try:
        days = max(1, min(int(request.GET.get("days", 30)), 366))
    except ValueError:
        days = 30
    # Or a period of days (?from=…&to=…, Asia/Ho_Chi_Minh, both included), as the dashboards link.
    first, last = parse_day(request.GET.get("from")), parse_day(request.GET.get("to"))
    if first or last:
        where = published_in(first, last, prefix="postings__")
    else:
        where = Q(postings__created_at__gte=timezone.now() - datetime.timedelta(days=days))
    counts = posting_counts("postings__", where)
    groups = (
        ZaloGroup.objects.visible_to(request.user)
        .active()
        .select_related("hamlet", "admin_officer")
        .annotate(**{f"n_{key}": value for key, value in counts.items()})
        .order_by("-n_pending", "hamlet__name", "name")
    )
    hamlet = request.GET.get("hamlet", "")
    if hamlet.isdecimal():
        groups = groups.filter(hamlet_id=int(hamlet))
    totals = groups.order_by().aggregate(**{key: Sum(f"n_{key}") for key in counts})
    page = Paginator(groups, 50).get_page(request.GET.get("page"))
    context = {"page": page, "days": days, "first": first, "last": last, "totals": totals}
    return render(request, "bulletins/posting_progress.html", context)


# --- guides and questions -------------------------------------------------------------------


@login_required
def guide_list(request: HttpRequest) -> HttpResponse:
    require_perm(request, "bulletins.view_guide")
    context = {
        "guides": Guide.objects.visible_to(request.user),
        "can_add": request.user.has_perm("bulletins.add_bulletin"),
    }
    return render(request, "bulletins/guide_list.html", context)


@login_required
def guide_detail(request: HttpRequest, guide_id: int) -> HttpResponse:
    guide = get_object_or_404(Guide.objects.visible_to(request.user), pk=guide_id)
    require_perm(request, "bulletins.view_guide")
    context = {"guide": guide, "can_add": request.user.has_perm("bulletins.add_bulletin")}
    return render(request, "bulletins/guide_detail.html", context)


@login_required
def question_log(request: HttpRequest) -> HttpResponse:
    """The log of procedure questions answered, this year's totals, and a quick entry form."""
    require_perm(request, "bulletins.view_procedurequestion")
    can_add = request.user.has_perm("bulletins.add_procedurequestion")
    form = None
    if can_add:
        form = QuestionForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            try:
                question_record(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Questions recorded."))
                return redirect("bulletins:questions")
    elif request.method == "POST":
        raise PermissionDenied
    questions = ProcedureQuestion.objects.visible_to(request.user)
    year = timezone.localdate().year
    totals = dict(
        questions.filter(date__year=year)
        .values_list("procedure")
        .annotate(n=Sum("count"))
        .values_list("procedure", "n")
    )
    rows = questions.select_related("group", "recorded_by").order_by("-date", "-pk")
    context = {
        "form": form,
        "page": Paginator(rows, 50).get_page(request.GET.get("page")),
        "totals": [(label, totals.get(value, 0)) for value, label in Procedure.choices],
        "year": year,
    }
    return render(request, "bulletins/procedurequestion_list.html", context)
