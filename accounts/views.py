from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from groups.access import hamlets_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's home page; the dashboards issue fills them with the day's work."""
    user = request.user
    context = {
        "role": user.primary_role,
        "hamlets": hamlets_for(user).select_related("commune"),
    }
    return render(request, "accounts/home.html", context)
