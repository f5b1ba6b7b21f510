"""Query-string filters of the reports API: the police's triage queue (django-filter).

The queryset they narrow is already the caller's scope (`visible_to`), so an id of another
hamlet matches nothing: the filters never check scope themselves. A filter on a field the
caller may not read of a report (reports/visibility.py: the assignee, the deadline, the text)
only looks at the reports of which they may read it, and an order on it is not applied: a
filter must not answer what a hidden field holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import django_filters
from django.contrib.auth.models import AnonymousUser
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from binhyen.dates import DayFilter
from binhyen.filters import IdFilter

from . import visibility
from .feedback import residents_say
from .models import (
    OPEN_STATUSES,
    Category,
    Channel,
    IncidentReport,
    IncidentReportQuerySet,
    Status,
    Urgency,
)

if TYPE_CHECKING:
    from accounts.models import User

# Public ordering values and the columns behind them; `id` last, so pages never overlap.
REPORT_ORDERINGS = {
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "due_at": (F("due_at").asc(nulls_last=True), "id"),
    "-due_at": (F("due_at").desc(nulls_last=True), "-id"),
}
REPORT_DEFAULT_ORDERING = REPORT_ORDERINGS["-created_at"]
# The report field (reports/visibility.py) each filter and ordering reads.
FILTERED_FIELDS = {
    "overdue": "is_overdue",
    "assigned_to": "assigned_to",
    "valuable_tip": "valuable_tip",
    "solved_by_tip": "solved_by_tip",
    "search": "description",
    # The reporter's answers are read with the timeline (ReportFeedback.objects.visible_to).
    "residents": "timeline",
}
ORDERED_FIELDS = {"created_at": "created_at", "due_at": "due_at"}


class IncidentReportFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices, label=_("Status"))
    category = django_filters.ChoiceFilter(choices=Category.choices, label=_("Category"))
    hamlet = IdFilter(field_name="hamlet", label=_("Hamlet (id)"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("Channel"))
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices, label=_("Urgency"))
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        label=_("true: open reports past their due date; false: every other report"),
    )
    assigned_to = IdFilter(field_name="assigned_to", label=_("Assigned to (user id)"))
    received_from = DayFilter(
        method="filter_received_from",
        label=_("Received on or after this day (Asia/Ho_Chi_Minh)"),
    )
    received_to = DayFilter(
        method="filter_received_to",
        label=_("Received on or before this day (Asia/Ho_Chi_Minh)"),
    )
    valuable_tip = django_filters.BooleanFilter(field_name="valuable_tip", label=_("Valuable tip"))
    solved_by_tip = django_filters.BooleanFilter(
        field_name="solved_by_tip", label=_("Case solved thanks to the tip")
    )
    search = django_filters.CharFilter(
        method="filter_search",
        label=_("Words of the code, title or description, with or without diacritics"),
    )
    residents = django_filters.ChoiceFilter(
        choices=[
            ("unresolved", "unresolved"),
            ("partly", "partly"),
            ("answered", "answered"),
        ],
        method="filter_residents",
        label=_(
            "The reporter's last answer on the outcome: unresolved (no), partly, or answered (any)"
        ),
    )
    ordering = django_filters.ChoiceFilter(
        choices=[(value, value) for value in REPORT_ORDERINGS],
        method="filter_ordering",
        empty_label=None,
        label=_("Order by received or due date; a leading “-” reverses the order"),
    )

    class Meta:
        model = IncidentReport
        fields = [
            "status",
            "category",
            "hamlet",
            "channel",
            "urgency",
            "overdue",
            "assigned_to",
            "received_from",
            "received_to",
            "valuable_tip",
            "solved_by_tip",
            "search",
            "residents",
            "ordering",
        ]

    @property
    def user(self) -> User | AnonymousUser:
        return getattr(self.request, "user", None) or AnonymousUser()

    def filter_queryset(self, queryset: IncidentReportQuerySet) -> IncidentReportQuerySet:
        for name, field in FILTERED_FIELDS.items():
            if self.form.cleaned_data.get(name) not in (None, ""):
                queryset = visibility.readable_rows(self.user, queryset, field)
        return super().filter_queryset(queryset)

    def filter_overdue(
        self, queryset: IncidentReportQuerySet, name: str, value: bool
    ) -> IncidentReportQuerySet:
        now = timezone.now()
        if value:
            return queryset.overdue(now)
        return queryset.exclude(status__in=OPEN_STATUSES, due_at__lt=now)

    def filter_received_from(
        self, queryset: IncidentReportQuerySet, name: str, value
    ) -> IncidentReportQuerySet:
        return queryset.received_between(value, None)

    def filter_received_to(
        self, queryset: IncidentReportQuerySet, name: str, value
    ) -> IncidentReportQuerySet:
        return queryset.received_between(None, value)

    def filter_search(
        self, queryset: IncidentReportQuerySet, name: str, value: str
    ) -> IncidentReportQuerySet:
        # The triage queue's search (IncidentReportQuerySet.search): a trigram index answers it.
        return queryset.search(value) if value.strip() else queryset

    def filter_residents(
        self, queryset: IncidentReportQuerySet, name: str, value: str
    ) -> IncidentReportQuerySet:
        return residents_say(queryset, value)

    def filter_ordering(
        self, queryset: IncidentReportQuerySet, name: str, value: str
    ) -> IncidentReportQuerySet:
        if ORDERED_FIELDS[value.lstrip("-")] not in visibility.fields_for(self.user):
            return queryset.order_by(*REPORT_DEFAULT_ORDERING)
        return queryset.order_by(*REPORT_ORDERINGS[value])
