"""The public tip pages: no login, rate-limited, nothing about the visitor kept, no cookie left.

CSRF: the tip pages leave no cookie on the tipster's phone, so not Django's csrftoken cookie
either (it lives a year). A POST is accepted only from our own pages instead: the browser's
Sec-Fetch-Site is same-origin, or, from a browser that does not send it, the Origin is this
site's (`_same_origin`). Before the body is read, a POST larger than MAX_BODY is refused from its
Content-Length (413) and the rate limit is counted, so a flood costs us no parsing.

The tracking code is shown in the answer to the POST that filed the tip (no redirect): putting it
in the session or a message cookie to show after a redirect would store it in clear. Codes are
always POSTed, never in a URL, so they reach no access log or browser history.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any

from auditlog.cid import correlation_id
from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from groups.models import Commune, Hamlet

from .. import services as report_services
from ..models import Attachment
from . import ratelimit
from .forms import AddInformationForm, TipFeedbackForm, TipForm, TrackForm
from .services import tip_add_information, tip_feedback_give, tip_find, tip_submit

# The largest tip POST: one photo (Attachment.MAX_SIZE) and the form's text, with room for the
# multipart framing. Anything announcing more is refused before a byte of it is read.
MAX_BODY = Attachment.MAX_SIZE + 256 * 1024
PHOTO_ERRORS = {"attachment_too_large", "attachment_type", "tip_photo_type", "photo_unreadable"}


def anonymous(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Runs the view with the audit log knowing nothing of the request: AuditlogMiddleware would
    otherwise store the client's address (and a proxy's correlation id, which leads back to it
    in the proxy's logs) on the audit entries of the tip's report."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        correlation_id.set(None)
        with set_actor(None, remote_addr=None, remote_port=None):
            return view(request, *args, **kwargs)

    return wrapped


def _same_origin(request: HttpRequest) -> bool:
    """The POST comes from a page of this site (see the module docstring)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("Origin")
    return origin is not None and origin == f"{request.scheme}://{request.get_host()}"


def guarded(limit: ratelimit.Limit) -> Callable[[Callable[..., HttpResponse]], Callable]:
    """For a tip view: a POST is refused when cross-site (403), announced larger than MAX_BODY
    (413), or over the rate `limit` (429), all before its body is read."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST":
                if not _same_origin(request):
                    return HttpResponseForbidden(_("This form must be sent from its own page."))
                try:
                    length = int(request.META.get("CONTENT_LENGTH") or 0)
                except ValueError:
                    length = MAX_BODY + 1
                if length > MAX_BODY:
                    return HttpResponse(
                        _("The tip is too large: send one photo of at most %(max)d MB.")
                        % {"max": Attachment.MAX_SIZE // (1024 * 1024)},
                        status=413,
                        content_type="text/plain; charset=utf-8",
                    )
                if not ratelimit.hit(request, limit):
                    return _limited(request)
            return view(request, *args, **kwargs)

        return csrf_exempt(wrapped)

    return decorate


def _private(response: HttpResponse) -> HttpResponse:
    """Pages with a code or a tip's state: kept by no cache, shared or not."""
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True)
    return response


def _limited(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/tip_limited.html", status=429)


def _refused(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """The honeypot was filled: nothing is filed, the answer says no more than that."""
    context["refused"] = True
    return render(request, template, context, status=400)


@anonymous
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
@guarded(ratelimit.SUBMIT)
@sensitive_variables()
def tip_new(request: HttpRequest, commune_code: str) -> HttpResponse:
    """The anonymous tip form of a commune (the QR code's target); `?hamlet=<code>` preselects
    the hamlet of the group that shared it."""
    commune = get_object_or_404(Commune, code=commune_code)
    if request.method == "GET":
        hamlet = Hamlet.objects.filter(commune=commune, code=request.GET.get("hamlet", "")).first()
        form = TipForm(commune=commune, initial={"hamlet": hamlet})
        return render(request, "reports/tip_form.html", {"commune": commune, "form": form})
    form = TipForm(request.POST, request.FILES, commune=commune)
    context = {"commune": commune, "form": form}
    if form.caught():
        return _refused(request, "reports/tip_form.html", context)
    if form.is_valid():
        try:
            filed = tip_submit(
                hamlet=form.cleaned_data["hamlet"],
                category=form.cleaned_data["category"],
                description=form.cleaned_data["description"],
                photo=form.cleaned_data["photo"],
                submission_key=form.cleaned_data["submission_key"],
                # The point chosen on the form's map, if it has one: coarsened by the service.
                latitude=form.cleaned_data.get("latitude"),
                longitude=form.cleaned_data.get("longitude"),
            )
        except ValidationError as error:
            if any(item.code == "already_filed" for item in error.error_list):
                # Sent again from the same draft: received once; its code was shown then.
                done = {"commune": commune, "repeated": True}
                return _private(render(request, "reports/tip_done.html", done))
            for item in error.error_list:
                form.add_error("photo" if item.code in PHOTO_ERRORS else None, item)
        else:
            done = {"commune": commune, "report": filed.report, "code": filed.code}
            return _private(render(request, "reports/tip_done.html", done))
    return render(request, "reports/tip_form.html", context, status=400)


@anonymous
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
@guarded(ratelimit.TRACK)
@sensitive_variables()
def tip_track(request: HttpRequest) -> HttpResponse:
    """Follow a tip with its tracking code: status, the public reply, and more information."""
    if request.method == "GET":
        return _private(render(request, "reports/tip_track.html", {"form": TrackForm()}))
    adding = "text" in request.POST
    answering = "resolved" in request.POST or "satisfaction" in request.POST
    form_class = TipFeedbackForm if answering else AddInformationForm if adding else TrackForm
    form = form_class(request.POST)
    if form.caught():
        return _refused(request, "reports/tip_track.html", {"form": TrackForm()})
    code = request.POST.get("code", "")
    access = tip_find(code)
    if access is None:
        # The same answer for a malformed code and an unknown one.
        context = {"form": TrackForm(), "not_found": True}
        return _private(render(request, "reports/tip_track.html", context, status=404))
    added = answered = False
    addition = AddInformationForm(initial={"code": code})
    feedback_form = TipFeedbackForm(initial={"code": code})
    if adding and not answering:
        addition = form
        if form.is_valid():
            try:
                tip_add_information(access=access, text=form.cleaned_data["text"])
            except ValidationError as error:
                form.add_error("text", error)
            else:
                added = True
                addition = AddInformationForm(initial={"code": code})
    elif answering:
        feedback_form, answered = _answer(form, code)
    report = access.report
    report.refresh_from_db()  # a "no" may have just reopened it
    context = {
        "access": access,
        "report": report,
        "additions": report.events.filter(kind="comment", actor=None, shared=True),
        "form": addition,
        "added": added,
        "feedback": list(report.feedback.all()),
        "answered": answered,
    }
    if report_services.feedback_awaited(report):
        context["feedback_form"] = feedback_form
    else:  # answered already (a repeated POST): say so, without the form
        context["feedback_refused"] = feedback_form.non_field_errors()
    status = 400 if feedback_form.errors else 200
    return _private(render(request, "reports/tip_status.html", context, status=status))


@sensitive_variables()
def _answer(form: TipFeedbackForm, code: str) -> tuple[TipFeedbackForm, bool]:
    """The tipster's feedback through the one service; the form back with its errors, or a
    fresh one and True once recorded."""
    if not form.is_valid():
        return form, False
    values = {name: form.cleaned_data[name] for name in ("resolved", "satisfaction", "comment")}
    try:
        tip_feedback_give(code=code, **values)
    except ValidationError as error:
        form.add_error(None, error)
        return form, False
    return TipFeedbackForm(initial={"code": code}), True


@require_GET
def tip_qr(request: HttpRequest, commune_code: str) -> HttpResponse:
    """An SVG QR code of the commune's tip page (with `?hamlet=<code>`, of that hamlet's) for
    groups to share or print."""
    commune = get_object_or_404(Commune, code=commune_code)
    url = reverse("tips:new", args=[commune.code])
    hamlet = Hamlet.objects.filter(commune=commune, code=request.GET.get("hamlet", "")).first()
    if hamlet is not None:
        url += "?" + urlencode({"hamlet": hamlet.code})
    import segno  # only this view and the posters draw QR codes (#20: a worker's memory)

    svg = io.BytesIO()
    segno.make_qr(request.build_absolute_uri(url), error="m").save(
        svg, kind="svg", scale=8, border=4, dark="#000", light="#fff"
    )
    response = HttpResponse(svg.getvalue(), content_type="image/svg+xml")
    patch_cache_control(response, public=True, max_age=3600)
    return response
