from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from groups.access import hamlets_for

from .services import notifications_mark_read

NOTIFICATIONS_PER_PAGE = 25


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's home page; the dashboards issue fills them with the day's work."""
    user = request.user
    context = {
        "role": user.primary_role,
        "hamlets": hamlets_for(user).select_related("commune"),
    }
    return render(request, "accounts/home.html", context)


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
        notifications_mark_read(actor=request.user)
        return redirect("notifications")
    try:
        pk = int(request.POST.get("open", ""))
    except ValueError:
        return redirect("notifications")
    notification = request.user.notifications.filter(pk=pk).first()  # only one's own
    if notification is None:
        return redirect("notifications")
    notifications_mark_read(actor=request.user, ids=[pk])
    safe = url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(notification.url if notification.url and safe else "notifications")
