"""Forms of the report pages. They validate and narrow choices to the user's scope; the views
call the services (reports/services.py), which check permission and scope again."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Fieldset, Layout, Row, Submit
from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from binhyen.dates import DayField
from binhyen.forms import EmptyChoiceMixin
from groups.access import hamlets_for
from groups.models import Hamlet, PeopleGroup, ZaloGroup

from .feedback import RESIDENTS_ANSWERED, RESIDENTS_PARTLY, RESIDENTS_UNRESOLVED, residents_say
from .models import (
    OPEN_STATUSES,
    Attachment,
    Category,
    Channel,
    FeedbackAnswer,
    IncidentReport,
    ReportFeedback,
    Status,
    Urgency,
)
from .officers import queue_choices, triagers_for
from .pending import PendingUpload
from .services import filing_channels

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by attachment_add (type from the content)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class ReportForm(EmptyChoiceMixin, forms.ModelForm):
    """Filing a report. A hamlet head gives what they saw: the channel is their web form and
    nothing internal can be set (the fields are not here, whatever is posted). Whoever can
    triage (the police, filing what came by phone, Zalo or in person) also chooses the channel
    and the Zalo group, and may record the informant's identity, which is sealed."""

    photos = MultipleFileField(
        label=_("Photos or PDF files"),
        required=False,
    )
    # The draft's idempotency key (static/js/drafts.js), see report_create.
    submission_key = forms.UUIDField(required=False, widget=forms.HiddenInput)
    informant_name = forms.CharField(label=_("Informant's name"), required=False, max_length=500)
    informant_phone = forms.CharField(label=_("Informant's phone"), required=False, max_length=500)
    informant_address = forms.CharField(
        label=_("Informant's address"), required=False, max_length=500
    )
    informant_relation = forms.CharField(
        label=_("Relation to the case"), required=False, max_length=500
    )

    INFORMANT_FIELDS = {
        "informant_name": "name",
        "informant_phone": "phone",
        "informant_address": "address",
        "informant_relation": "relation_to_case",
    }

    class Meta:
        model = IncidentReport
        fields = [
            "hamlet",
            "people_group",
            "category",
            "urgency",
            "title",
            "description",
            "occurred_at",
            "location",
            "latitude",
            "longitude",
            "channel",
            "zalo_group",
        ]
        widgets = {
            "occurred_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format=DATETIME_LOCAL
            ),
            "description": forms.Textarea(attrs={"rows": 5}),
            "urgency": forms.RadioSelect,
        }

    def __init__(
        self, *args: Any, user: User, pending: list[PendingUpload] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.triager = user.has_perm("reports.triage_report")
        # Files chosen on a submission that was refused, sent with this one (reports/pending.py)
        self.pending_uploads = list(pending)
        hamlets = hamlets_for(user).order_by("name")
        self.fields["hamlet"].queryset = hamlets
        self.fields["hamlet"].empty_label = None if hamlets.count() == 1 else "—"
        self.fields["people_group"].queryset = PeopleGroup.objects.visible_to(user).select_related(
            "hamlet"
        )
        self.fields["occurred_at"].input_formats = [DATETIME_LOCAL]
        self.fields["urgency"].choices = Urgency.choices
        self.fields["urgency"].initial = Urgency.NORMAL
        self.fields["category"].choices = [("", "—"), *Category.choices]
        self.fields["description"].help_text = _("Written as text: what you type is shown as is.")
        self.fields["photos"].help_text = gettext(
            "Up to %(max)d files of at most %(size)d MB each: JPEG, PNG, WebP, HEIC or PDF."
        ) % {"max": Attachment.MAX_PER_REPORT, "size": Attachment.MAX_SIZE // (1024 * 1024)}
        if self.triager:
            channels = filing_channels(user)
            self.fields["channel"].choices = [
                (value, label) for value, label in Channel.choices if value in channels
            ]
            self.fields["zalo_group"].queryset = ZaloGroup.objects.visible_to(user).select_related(
                "hamlet"
            )
        else:
            for name in ("channel", "zalo_group", *self.INFORMANT_FIELDS):
                del self.fields[name]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = self._layout()

    def _layout(self) -> Layout:
        main = ["hamlet", "people_group", "category", "urgency", "title", "description"]
        parts: list[Any] = [
            Fieldset("", *main),
            Fieldset(
                _("Circumstances"),
                "occurred_at",
                "location",
                Row(Column("latitude"), Column("longitude")),
                HTML('{% include "reports/_locate_button.html" %}'),
            ),
        ]
        if self.triager:
            parts.append(Fieldset(_("Receipt"), "channel", "zalo_group"))
            parts.append(
                Fieldset(
                    _("Informant (sealed: revealed only by a permitted officer, and logged)"),
                    *self.INFORMANT_FIELDS,
                )
            )
        parts += [
            HTML('{% include "reports/_pending_uploads.html" %}'),
            "photos",
            HTML('{% include "reports/_camera_button.html" with field="photos" %}'),
            "submission_key",
            Submit("submit", _("Send the report"), css_class="w-100"),
        ]
        return Layout(*parts)

    def clean_photos(self) -> list[UploadedFile]:
        photos = self.cleaned_data.get("photos") or []
        if len(photos) + len(self.pending_uploads) > Attachment.MAX_PER_REPORT:
            raise forms.ValidationError(
                _("A report has at most %(max)d attachments."),
                params={"max": Attachment.MAX_PER_REPORT},
                code="attachment_too_many",
            )
        return photos

    def informant(self) -> dict[str, str] | None:
        """The identity to seal, or None when no field was filled in (or the form has none)."""
        if not self.triager:
            return None
        values = {
            key: self.cleaned_data.get(field, "").strip()
            for field, key in self.INFORMANT_FIELDS.items()
        }
        return values if any(values.values()) else None

    def service_values(self) -> dict[str, Any]:
        """The keyword arguments of report_create (the actor aside)."""
        data = self.cleaned_data
        values = {
            name: data.get(name)
            for name in ("hamlet", "people_group", "category", "title", "description")
        }
        values |= {
            "urgency": data["urgency"],
            "occurred_at": data.get("occurred_at"),
            "location": data.get("location") or "",
            "latitude": data.get("latitude"),
            "longitude": data.get("longitude"),
            "submission_key": data.get("submission_key"),
            "channel": data["channel"] if self.triager else Channel.WEB_FORM,
            "zalo_group": data.get("zalo_group") if self.triager else None,
            "informant": self.informant(),
        }
        return values


# --- the police's forms on a report --------------------------------------------------------


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"))
    note = forms.CharField(
        label=_("Note (internal)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, report: IncidentReport, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        order = list(Status.values)
        allowed = sorted(report.allowed_transitions, key=order.index)
        self.fields["to_status"].choices = [(value, Status(value).label) for value in allowed]


class AssignForm(EmptyChoiceMixin, forms.Form):
    assignee = forms.ModelChoiceField(label=_("Officer"), queryset=User.objects.none())

    def __init__(
        self, *args: Any, hamlets: QuerySet[Hamlet], commune_id: int | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = triagers_for(hamlets, commune_id)


class BulkAssignForm(AssignForm):
    reports = forms.ModelMultipleChoiceField(
        queryset=IncidentReport.objects.none(), widget=forms.MultipleHiddenInput
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, hamlets=hamlets_for(user), commune_id=user.commune_id, **kwargs)
        self.fields["reports"].queryset = IncidentReport.objects.visible_to(user)
        self.fields["reports"].error_messages["required"] = _("Select at least one report.")


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    shared = forms.BooleanField(
        label=_("Shared with the hamlet head (otherwise internal: police only)"), required=False
    )

    def __init__(self, *args: Any, triager: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not triager:
            del self.fields["shared"]  # always shared: the service decides


SATISFACTION_CHOICES = [
    (1, _("1 – very dissatisfied")),
    (2, _("2 – dissatisfied")),
    (3, _("3 – neither")),
    (4, _("4 – satisfied")),
    (5, _("5 – very satisfied")),
]


class FeedbackForm(forms.Form):
    """The reporter's word on the outcome (templates/reports/_feedback_fields.html draws the
    radios as large buttons, usable on a phone): the filer's page and the tip page alike."""

    resolved = forms.ChoiceField(
        label=_("Was it resolved?"), choices=FeedbackAnswer.choices, widget=forms.RadioSelect
    )
    satisfaction = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        choices=SATISFACTION_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=ReportFeedback._meta.get_field("comment").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OutcomeForm(forms.ModelForm):
    class Meta:
        model = IncidentReport
        fields = ["valuable_tip", "solved_by_tip", "outcome"]
        widgets = {"outcome": forms.Textarea(attrs={"rows": 3})}


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("Add a photo or PDF"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revealing the identity"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded in the reveal log with your name and the time."),
    )


# --- the queue's filters ---------------------------------------------------------------------

OPEN, ALL = "open", "all"
UNASSIGNED = "none"
SORTS = {
    "-created": (_("Newest first"), ("-created_at", "-id")),
    "created": (_("Oldest first"), ("created_at", "id")),
    "due": (_("Due soonest"), (F("due_at").asc(nulls_last=True), "id")),
    # "urgent" > "normal": descending puts the urgent ones first.
    "urgency": (_("Urgent first"), ("-urgency", "-created_at", "-id")),
    "status": (pgettext_lazy("sort", "By status"), ("status_rank", "-created_at", "-id")),
}
# The workflow's order, for sorting by status (the codes' alphabetical order means nothing).
STATUS_RANK = Case(
    *(When(status=value, then=Value(rank)) for rank, value in enumerate(Status.values)),
    output_field=IntegerField(),
)


class QueueFilterForm(forms.Form):
    """The triage queue's filters, read from the query string (so that a filtered queue is a
    link, and the export gets exactly the same selection)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All")), *Category.choices]
    )
    hamlet = forms.ModelChoiceField(
        label=_("Hamlet"), required=False, queryset=Hamlet.objects.none(), empty_label=_("All")
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All")), *Channel.choices]
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), required=False, choices=[("", _("All")), *Urgency.choices]
    )
    overdue = forms.ChoiceField(
        label=_("Deadline"),
        required=False,
        choices=[("", _("All")), ("yes", _("Overdue")), ("no", _("Not overdue"))],
    )
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    residents = forms.ChoiceField(
        label=_("Residents' word"),
        required=False,
        choices=[
            ("", _("All")),
            (RESIDENTS_UNRESOLVED, _("Residents say unresolved")),
            (RESIDENTS_PARTLY, _("Residents say partly resolved")),
            (RESIDENTS_ANSWERED, _("Residents answered")),
        ],
    )
    # The period a dashboard figure counts (days of Asia/Ho_Chi_Minh, both included).
    received_from = DayField(label=_("Received from"), required=False)
    received_to = DayField(label=_("Received until"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[(key, label) for key, (label, _o) in SORTS.items()],
    )

    NOT_SELECTS = ("q", "received_from", "received_to")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A valid choice is checked against the scope itself (a query only when one is given);
        # the lists drawn come from the cache (reports/officers.py), and the queue's rows take
        # their hamlet's and officer's names from them too.
        self.fields["hamlet"].queryset = hamlets_for(user).order_by("name")
        choices = queue_choices(user)
        self.hamlet_names = choices.hamlets
        self.fields["hamlet"].choices = [("", gettext("All")), *self.hamlet_names.items()]
        self.fields["status"].choices = [
            (OPEN, _("Open (to handle)")),
            (ALL, _("All")),
            *Status.choices,
        ]
        officers = choices.officers
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            (UNASSIGNED, _("Unassigned")),
            *officers,
        ]
        for name, field in self.fields.items():
            if name not in self.NOT_SELECTS:
                field.widget.attrs["class"] = "form-select"

    def selects(self) -> list[forms.BoundField]:
        """The filters drawn as select boxes, in order (the search and the dates apart)."""
        return [self[name] for name in self.fields if name not in self.NOT_SELECTS]

    def selection(self, queryset: QuerySet[IncidentReport]) -> QuerySet[IncidentReport]:
        """`queryset` (already the user's scope) narrowed and ordered as the form says: what
        the queue shows and what its export writes. An invalid value (a hamlet out of scope)
        counts as not given: cleaned_data keeps only the valid fields."""
        self.is_valid()
        data = self.cleaned_data
        status = data.get("status") or OPEN
        if status == OPEN:
            queryset = queryset.filter(status__in=OPEN_STATUSES)
        elif status != ALL:
            queryset = queryset.filter(status=status)
        for name in ("category", "channel", "urgency"):
            if data.get(name):
                queryset = queryset.filter(**{name: data[name]})
        if data.get("hamlet"):
            queryset = queryset.filter(hamlet=data["hamlet"])
        if data.get("received_from") or data.get("received_to"):
            queryset = queryset.received_between(data.get("received_from"), data.get("received_to"))
        now = timezone.now()
        if data.get("overdue") == "yes":
            queryset = queryset.overdue(now)
        elif data.get("overdue") == "no":
            queryset = queryset.exclude(status__in=OPEN_STATUSES, due_at__lt=now)
        assignee = data.get("assignee")
        if assignee == UNASSIGNED:
            queryset = queryset.filter(assigned_to__isnull=True)
        elif assignee:
            queryset = queryset.filter(assigned_to_id=int(assignee))
        if data.get("residents"):
            queryset = residents_say(queryset, data["residents"])
        if data.get("q", "").strip():
            queryset = queryset.search(data["q"])
        sort = data.get("sort") or "-created"
        if sort == "status":
            queryset = queryset.annotate(status_rank=STATUS_RANK)
        return queryset.order_by(*SORTS[sort][1])
