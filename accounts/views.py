import hashlib
import json
from base64 import b32encode
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from . import push, services
from .forms import EnrolmentForm, RecoveryTokenForm

NOTIFICATIONS_PER_PAGE = 25
RECOVERY_CODES_SESSION_KEY = "_recovery_codes"


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own notifications, newest first; unread ones only with ?unread=1."""
    notifications = request.user.notifications.all()
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        notifications = notifications.unread()
    page = Paginator(notifications, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/notification_list.html",
        {"page": page, "unread_only": unread_only},
    )


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification read and open its link (`open`), or mark them all read (`all`)."""
    if request.POST.get("all"):
        services.notifications_mark_read(actor=request.user)
        return redirect("notifications")
    try:
        pk = int(request.POST.get("open", ""))
    except ValueError:
        return redirect("notifications")
    notification = request.user.notifications.filter(pk=pk).first()  # only one's own
    if notification is None:
        return redirect("notifications")
    services.notifications_mark_read(actor=request.user, ids=[pk])
    safe = url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(notification.url if notification.url and safe else "notifications")


def lockout(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a login refused for too many failures (AXES_LOCKOUT_CALLABLE):
    the login page again with the reason, 429 Too Many Requests; the admin's login too."""
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    return render(request, "registration/lockout.html", context, status=429)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, target: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': target})}"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrolment: a QR code and the key to type by hand, confirmed by a first code. Once enrolled,
    the page says so and offers new recovery codes."""
    user = request.user
    if services.has_confirmed_device(user):
        if not user.is_verified():
            return redirect(_with_next("two-factor-verify", reverse("two-factor-setup")))
        context = {"required": services.requires_two_factor(user),
                   "codes_left": services.recovery_codes_left(user)}  # fmt: skip
        return render(request, "accounts/twofactor_status.html", context)
    device = services.totp_enrolment_start(actor=user)
    required = services.requires_two_factor(user)
    form = EnrolmentForm(request.POST or None, code_required=required)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.totp_enrolment_confirm(
                actor=user,
                request=request,
                token=form.cleaned_data["otp_token"],
                enrolment_code=form.cleaned_data.get("enrolment_code", ""),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session[RECOVERY_CODES_SESSION_KEY] = codes
            messages.success(request, _("Two-factor authentication is on."))
            return redirect(_with_next("two-factor-recovery", _next_url(request)))
    import segno  # only this page draws a QR code; a worker that never serves it keeps 3 MiB

    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "qr_svg": qr.svg_inline(scale=5, dark="#000", light="#fff", omitsize=True),
        "secret": _grouped(device_key_base32(device)),
        "required": required,
        "next": _next_url(request),
    }
    return render(request, "accounts/twofactor_setup.html", context)


def device_key_base32(device) -> str:
    return b32encode(device.bin_key).decode().rstrip("=")


def _grouped(key: str) -> str:
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of a login: a code from the app, or one of the recovery codes."""
    user = request.user
    if not services.has_confirmed_device(user):
        return redirect(_with_next("two-factor-setup", _next_url(request)))
    if user.is_verified():
        return redirect(_next_url(request))
    form = RecoveryTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.two_factor_verify(request=request, token=form.cleaned_data["otp_token"]):
            request.session.cycle_key()  # a new session id once fully signed in
            left = services.recovery_codes_left(user)
            if left == 0:
                messages.warning(request, _("No recovery code is left: make new ones now."))
            elif left <= 2:
                messages.warning(
                    request,
                    _("Only %(count)d recovery codes are left: make new ones.") % {"count": left},
                )
            return redirect(_next_url(request))
        form.add_error("otp_token", _("The code is not correct."))
    return render(
        request, "accounts/twofactor_verify.html", {"form": form, "next": _next_url(request)}
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_recovery(request: HttpRequest) -> HttpResponse:
    """Recovery codes: shown once right after they are made; POST makes a new set (from a
    verified session only)."""
    user = request.user
    if not services.has_confirmed_device(user):
        return redirect("two-factor-setup")
    if not user.is_verified():
        return redirect(_with_next("two-factor-verify", reverse("two-factor-recovery")))
    if request.method == "POST":
        request.session[RECOVERY_CODES_SESSION_KEY] = services.recovery_codes_regenerate(actor=user)
        messages.success(request, _("New recovery codes were made; the old ones no longer work."))
        return redirect("two-factor-recovery")
    codes = request.session.pop(RECOVERY_CODES_SESSION_KEY, None)
    context = {
        "codes": codes,
        "codes_left": services.recovery_codes_left(user),
        "next": _next_url(request),
    }
    return render(request, "accounts/twofactor_recovery.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_token(request: HttpRequest) -> HttpResponse:
    """The user's own API token: when it was made, when it expires, when it was last used
    (never its key), and a button to revoke it."""
    if request.method == "POST":
        if services.api_token_revoke(actor=request.user):
            messages.success(request, _("Your API token is revoked: it no longer works."))
        return redirect("api-token")
    token = services.api_token_of(request.user)
    return render(request, "accounts/api_token.html", {"token": token})


# --- Web Push ---------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET"])
def push_devices(request: HttpRequest) -> HttpResponse:
    """The user's push notifications: turn them on for this device (static/js/push.js), the
    devices they are on, with the kinds each receives, and their removal."""
    devices = [
        {
            "device": device,
            # For the page's script to recognise this browser's own subscription without the
            # endpoint (a capability URL) being on the page.
            "digest": hashlib.sha256(device.endpoint.encode()).hexdigest(),
            "kinds": set(device.kinds or []),
        }
        for device in request.user.push_devices.all()
    ]
    context = {
        "enabled": push.enabled(),
        "public_key": settings.VAPID_PUBLIC_KEY,
        "devices": devices,
        "kinds": [(name, label) for name, (label, _kinds) in push.PUSH_KINDS.items()],
    }
    return render(request, "accounts/push_devices.html", context)


@login_required
@require_POST
def push_subscribe(request: HttpRequest) -> HttpResponse:
    """The browser's subscription (PushSubscription.toJSON()), posted by static/js/push.js with
    the CSRF token: 201 with the device's id, 400 if it is not one."""
    try:
        data = json.loads(request.body)
        keys = data["keys"]
        device = services.push_subscribe(
            actor=request.user,
            endpoint=str(data["endpoint"]),
            p256dh=str(keys["p256dh"]),
            auth=str(keys["auth"]),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except (ValueError, KeyError, TypeError, ValidationError):
        return JsonResponse({"error": _("This push subscription is not valid.")}, status=400)
    return JsonResponse({"id": device.pk}, status=201)


@login_required
@require_POST
def push_device(request: HttpRequest, device_id: int) -> HttpResponse:
    """Save the kinds of notification pushed to one of the user's devices."""
    device = get_object_or_404(request.user.push_devices, pk=device_id)
    services.push_device_update(
        actor=request.user, device=device, kinds=request.POST.getlist("kinds")
    )
    messages.success(
        request, _("Saved: the kinds of notification for %(device)s.") % {"device": device}
    )
    return redirect("push-devices")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def push_device_remove(request: HttpRequest, device_id: int) -> HttpResponse:
    """Ask, then stop pushing to one of the user's devices."""
    device = get_object_or_404(request.user.push_devices, pk=device_id)
    if request.method == "POST":
        services.push_device_remove(actor=request.user, device=device)
        messages.success(
            request, _("Push notifications are off on %(device)s.") % {"device": device}
        )
        return redirect("push-devices")
    return render(request, "accounts/push_device_remove.html", {"device": device})


class LogoutView(auth_views.LogoutView):
    """Django's logout, which also turns push off for this browser: static/js/app.js sends the
    endpoint of the subscription the browser held (and drops it) with the logout form."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        endpoint = request.POST.get("push_endpoint", "")
        if endpoint and request.user.is_authenticated:
            services.push_device_forget(actor=request.user, endpoint=endpoint)
        return super().post(request, *args, **kwargs)
