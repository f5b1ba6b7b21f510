"""Incident reports: the report and its timeline, attachments, the sealed informant identity.

The informant's identity lives in its own table, encrypted (reports/crypto.py); nothing on the
report itself names the informant. Writes go through reports/services.py.
"""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from binhyen import storage as private_storage
from binhyen.dates import local_midnight
from binhyen.storage import PrivateStorage
from groups.geo import LATITUDE_LIMIT, LONGITUDE_LIMIT, coordinate_field
from groups.models import Commune, Hamlet, PeopleGroup, ZaloGroup
from groups.normalize import search_key

if TYPE_CHECKING:
    from accounts.models import User


class Category(models.TextChoices):
    """What people report (dispatch 629-CV/ĐU, section 2.4)."""

    NATIONAL_SECURITY = "national_security", _("National security")
    SOCIAL_ORDER = "social_order", _("Social order and safety")
    CRIME = "crime", _("Crime")
    SOCIAL_EVILS = "social_evils", _("Social evils")
    LAW_VIOLATION = "law_violation", _("Other law violation")
    ACCIDENT = "accident", _("Accident")
    FIRE = "fire", _("Fire, explosion")
    DISPUTE = "dispute", _("Dispute among residents")


class Channel(models.TextChoices):
    # A label standing alone ("Nhóm Zalo"); the field name "Zalo group" is lower case ("nhóm Zalo").
    ZALO_GROUP = "zalo_group", pgettext_lazy("choice", "Zalo group")
    ZALO_PRIVATE = "zalo_private", _("Private Zalo message")
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("By phone")
    WEB_FORM = "web_form", _("Hamlet head's web form")
    ANONYMOUS_TIP = "anonymous_tip", _("Anonymous web tip")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    VERIFYING = "verifying", _("Verifying")
    HANDLING = "handling", _("Handling")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    TRANSFERRED = "transferred", _("Transferred to another agency")
    UNFOUNDED = "unfounded", _("Unfounded")


# The workflow: a status may only move to the statuses listed for it. "Closed" is final.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset({Status.VERIFYING, Status.UNFOUNDED, Status.TRANSFERRED}),
    Status.VERIFYING: frozenset({Status.HANDLING, Status.UNFOUNDED, Status.TRANSFERRED}),
    Status.HANDLING: frozenset({Status.RESOLVED, Status.TRANSFERRED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.HANDLING}),
    Status.TRANSFERRED: frozenset({Status.CLOSED}),
    Status.UNFOUNDED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
# Statuses in which the police still owe work: these have a deadline and can be overdue.
OPEN_STATUSES = (Status.RECEIVED, Status.VERIFYING, Status.HANDLING)
# The Bootstrap badge of each status (templates/reports/_status_badge.html, the queue's rows).
STATUS_BADGES = {
    Status.RECEIVED: "text-bg-primary",
    Status.VERIFYING: "text-bg-warning",
    Status.HANDLING: "text-bg-warning",
    Status.RESOLVED: "text-bg-success",
    Status.CLOSED: "text-bg-success",
}
# Deadlines when the commune has configured none for an urgency.
DEFAULT_DEADLINE_HOURS = {Urgency.URGENT: 24, Urgency.NORMAL: 7 * 24}


class ReportCounter(models.Model):
    """The last report number given in a commune and year. Locked (select_for_update) by the
    transaction that files a report, so numbers are unique and have no gaps."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["commune", "year"], name="one_counter_per_commune_year")
        ]

    def __str__(self) -> str:
        return f"{self.commune_id}/{self.year}: {self.last}"


class DeadlineRuleQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> DeadlineRuleQuerySet:
        return self.filter(commune__in=Commune.objects.visible_to(user))


class DeadlineRule(models.Model):
    """How long the police have to handle a report of an urgency (and optionally a category).
    A rule for the category wins over the rule without one; with no rule the defaults apply."""

    commune = models.ForeignKey(
        Commune, on_delete=models.CASCADE, related_name="deadline_rules", verbose_name=_("commune")
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    category = models.CharField(
        _("category"),
        max_length=30,
        choices=Category.choices,
        blank=True,
        help_text=_("Empty: every category without a rule of its own."),
    )
    hours = models.PositiveIntegerField(
        _("hours"), validators=[MinValueValidator(1), MaxValueValidator(24 * 365)]
    )

    objects = DeadlineRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("deadline rule")
        verbose_name_plural = _("deadline rules")
        ordering = ["commune", "urgency", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "urgency", "category"],
                name="one_deadline_rule_per_case",
                violation_error_message=_("This commune already has a rule for this case."),
            )
        ]

    def __str__(self) -> str:
        category = self.get_category_display() if self.category else "*"
        return f"{self.get_urgency_display()} / {category}: {self.hours} h"


class ReportSettingsQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ReportSettingsQuerySet:
        return self.filter(commune__in=Commune.objects.visible_to(user))


class ReportSettings(models.Model):
    """A commune's settings for reports; a commune without a row has the defaults."""

    DEFAULT_RETENTION_MONTHS = 12

    commune = models.OneToOneField(
        Commune, on_delete=models.CASCADE, related_name="report_settings", verbose_name=_("commune")
    )
    retention_months = models.PositiveSmallIntegerField(
        _("informant identity retention (months)"),
        default=DEFAULT_RETENTION_MONTHS,
        validators=[MaxValueValidator(120)],
        help_text=_("How long after a report is closed the informant's identity is kept."),
    )

    objects = ReportSettingsQuerySet.as_manager()

    class Meta:
        verbose_name = _("report settings")
        verbose_name_plural = _("report settings")

    def __str__(self) -> str:
        return str(self.commune)


class IncidentReportQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> IncidentReportQuerySet:
        from groups.access import hamlets_for

        return self.filter(hamlet__in=hamlets_for(user))

    def open(self) -> IncidentReportQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now: datetime.datetime | None = None) -> IncidentReportQuerySet:
        return self.open().filter(due_at__lt=now or timezone.now())

    def received_between(
        self, first: datetime.date | None, last: datetime.date | None
    ) -> IncidentReportQuerySet:
        """Reports received from the day `first` to the day `last`, both included, as days of
        the portal's time zone (Asia/Ho_Chi_Minh): a report at 23:30 local time on the 31st
        belongs to the 31st. Either bound may be None (open-ended). The dashboards, the triage
        queue and the API all read a period through here."""
        queryset = self
        if first is not None:
            queryset = queryset.filter(created_at__gte=local_midnight(first))
        if last is not None:
            queryset = queryset.filter(
                created_at__lt=local_midnight(last + datetime.timedelta(days=1))
            )
        return queryset

    def search(self, text: str) -> IncidentReportQuerySet:
        """Reports whose code, title or description hold every word of `text`, without
        diacritics in any Unicode form ("trom xe" finds "Trộm xe"). On PostgreSQL each word's
        LIKE '%…%' is answered by the trigram index report_search_trgm."""
        queryset = self
        for word in search_key(text).split()[:8]:
            queryset = queryset.filter(search_text__contains=word)
        return queryset


class IncidentReport(models.Model):
    """Something a resident reported, from receipt to closing. Never names the informant."""

    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="reports", verbose_name=_("commune")
    )
    code = models.CharField(_("code"), max_length=20, editable=False)
    hamlet = models.ForeignKey(
        Hamlet, on_delete=models.PROTECT, related_name="reports", verbose_name=_("hamlet")
    )
    people_group = models.ForeignKey(
        PeopleGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("people's group"),
    )
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    title = models.CharField(_("title"), max_length=200)
    # Plain text: templates escape it, nothing marks it safe.
    description = models.TextField(_("description"), max_length=10_000)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=300, blank=True)
    latitude = coordinate_field(_("latitude"), LATITUDE_LIMIT)
    longitude = coordinate_field(_("longitude"), LONGITUDE_LIMIT)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    zalo_group = models.ForeignKey(
        ZaloGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("Zalo group"),
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="filed_reports",
        verbose_name=_("filed by"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_reports",
        verbose_name=_("assigned to"),
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    valuable_tip = models.BooleanField(_("valuable tip"), default=False)
    solved_by_tip = models.BooleanField(_("case solved thanks to the tip"), default=False)
    outcome = models.TextField(_("outcome"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The idempotency key of the draft it was sent from (static/js/drafts.js): a draft sent
    # twice (the connection lost before the answer, sent again by the phone) files one report.
    submission_key = models.UUIDField(
        _("submission key"), null=True, blank=True, unique=True, editable=False
    )
    created_at = models.DateTimeField(_("received at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # When the responsible officers were notified of the new report (reports/notifications.py):
    # claimed with a conditional update, so a notification goes out once; null = still to do.
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    # search_key() of code, title and description: what the triage queue's search compares with
    # (no diacritics, Đ→d, lower case), behind a trigram index on PostgreSQL.
    search_text = models.TextField(editable=False, blank=True, default="")

    objects = IncidentReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("incident report")
        verbose_name_plural = _("incident reports")
        ordering = ["-created_at", "-pk"]
        permissions = [("triage_report", _("Can triage reports (assign, change status, outcome)"))]
        constraints = [
            models.UniqueConstraint(fields=["commune", "code"], name="report_code_unique"),
            models.CheckConstraint(
                condition=Q(solved_by_tip=False) | Q(valuable_tip=True),
                name="report_solved_by_tip_is_valuable",
                violation_error_message=_("A tip that solved the case is a valuable tip."),
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="report_coordinates_both_or_none",
                violation_error_message=_("Give both latitude and longitude, or neither."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="report_queue_idx"),
            models.Index(fields=["hamlet", "status", "due_at"], name="report_hamlet_queue_idx"),
            models.Index(fields=["hamlet", "-created_at"], name="report_hamlet_recent_idx"),
            models.Index(fields=["-created_at", "-id"], name="report_recent_idx"),
            models.Index(fields=["assigned_to", "status"], name="report_assignee_idx"),
            # The triage queue's sorts: urgent first, and due soonest.
            models.Index(fields=["-urgency", "-created_at", "-id"], name="report_urgency_idx"),
            models.Index(fields=["due_at", "id"], name="report_due_idx"),
            # The open reports of the scope's hamlets (the queue's default selection, counted on
            # every request): only those rows, not the closed ones filtered out one by one.
            models.Index(
                fields=["hamlet"], condition=Q(status__in=OPEN_STATUSES), name="report_open_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}" if self.code else self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Derived from the row itself (like Member.name_key), so no write path can forget it.
        self.search_text = self.searchable_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"code", "title", "description"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def searchable_text(self) -> str:
        return search_key(f"{self.code} {self.title} {self.description}")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def status_badge(self) -> str:
        return STATUS_BADGES.get(self.status, "text-bg-secondary")

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()

    @property
    def allowed_transitions(self) -> frozenset[str]:
        return ALLOWED_TRANSITIONS[Status(self.status)]

    @property
    def has_informant(self) -> bool:
        """That an identity was recorded (not who): what a hamlet head may know."""
        return Informant.objects.filter(report_id=self.pk).exists()

    def clean(self) -> None:
        errors = {}
        if self.hamlet_id and self.commune_id and self.hamlet.commune_id != self.commune_id:
            errors["hamlet"] = _("The hamlet belongs to another commune.")
        if self.people_group_id and self.people_group.hamlet_id != self.hamlet_id:
            errors["people_group"] = _("The people's group belongs to another hamlet.")
        if self.zalo_group_id:
            if self.channel != Channel.ZALO_GROUP:
                errors["zalo_group"] = _("A Zalo group is given only for the Zalo group channel.")
            elif self.zalo_group.hamlet_id != self.hamlet_id:
                errors["zalo_group"] = _("The Zalo group belongs to another hamlet.")
        if self.occurred_at and self.occurred_at > timezone.now() + datetime.timedelta(minutes=5):
            errors["occurred_at"] = _("The time it happened is in the future.")
        if errors:
            raise ValidationError(errors)


class ReportEventQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ReportEventQuerySet:
        """Events of reports in scope whose timeline the user may read (reports/visibility.py:
        whoever triages, or filed the report); who cannot triage sees only shared ones (the
        creation and comments shared with the hamlet head), never internal notes."""
        from .visibility import with_text

        reports = with_text(user, IncidentReport.objects.visible_to(user))
        events = self.filter(report__in=reports)
        if user.has_perm("reports.triage_report"):
            return events
        return events.filter(shared=True)


class ReportEvent(models.Model):
    """One line of a report's timeline. Reveals of the informant are not here: see
    InformantReveal."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        ASSIGNED = "assigned", _("Assigned")
        STATUS_CHANGED = "status_changed", _("Status changed")
        COMMENT = "comment", _("Comment")
        ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
        OUTCOME_RECORDED = "outcome_recorded", _("Outcome recorded")
        FEEDBACK = "feedback", _("Reporter's feedback")

    report = models.ForeignKey(
        IncidentReport, on_delete=models.CASCADE, related_name="events", verbose_name=_("report")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now, editable=False)
    from_status = models.CharField(
        _("from status"), max_length=20, choices=Status.choices, blank=True
    )
    to_status = models.CharField(_("to status"), max_length=20, choices=Status.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )
    text = models.TextField(_("text"), blank=True, max_length=5000)
    shared = models.BooleanField(
        _("shared with the hamlet head"),
        default=False,
        help_text=_("Otherwise internal: police only."),
    )
    # When the filer was told of this event (a reply or a change of status: reports.tasks.
    # notify_report_event); stamped once, by whichever of the task and the scan runs first.
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ReportEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("report event")
        verbose_name_plural = _("report events")
        ordering = ["report", "created_at", "pk"]
        indexes = [models.Index(fields=["report", "created_at"], name="report_event_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.report_id}"


class FeedbackAnswer(models.TextChoices):
    """The reporter's answer to "was it resolved?"."""

    YES = "yes", pgettext_lazy("feedback", "Yes")
    PARTLY = "partly", pgettext_lazy("feedback", "Partly")
    NO = "no", pgettext_lazy("feedback", "No")


# Statuses in which the reporter is asked whether the report was resolved.
FEEDBACK_STATUSES = (Status.RESOLVED, Status.CLOSED)


class ReportFeedbackQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ReportFeedbackQuerySet:
        """Feedback on reports in scope whose timeline the user reads (reports/visibility.py:
        whoever triages, or filed the report): the comment is the reporter's own words, read
        like the description. The others get the answers only as counts (dashboards, review)."""
        from .visibility import with_text

        return self.filter(report__in=with_text(user, IncidentReport.objects.visible_to(user)))

    def latest_per_report(self) -> ReportFeedbackQuerySet:
        """Only each report's last answer (the answer to its last resolution)."""
        later = ReportFeedback.objects.filter(
            report=models.OuterRef("report"), round__gt=models.OuterRef("round")
        )
        return self.filter(~models.Exists(later))


class ReportFeedback(models.Model):
    """The reporter's word on the outcome of a report: whether it was resolved, how satisfied
    they are (1–5) and a comment. Given by whoever filed the report (a hamlet head) or, for an
    anonymous tip, by the holder of its tracking code (then `author` is empty: nothing here says
    who the tipster is). One answer per resolution (`round`: 1, then 2 after a reopening…);
    written only by services.report_feedback_give and tips.services.tip_feedback_give. Its own
    table, not fields on the report: a report may be answered again after it is reopened and
    resolved again, and the figures count each report's last answer."""

    report = models.ForeignKey(
        IncidentReport, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("report")
    )
    round = models.PositiveSmallIntegerField(
        _("resolution"), default=1, help_text=_("Which resolution of the report it answers.")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    resolved = models.CharField(
        _("was it resolved?"), max_length=10, choices=FeedbackAnswer.choices
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    # The reporter's own words: shown to whoever reads the report's description, like it.
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    reopened = models.BooleanField(_("reopened the report"), default=False, editable=False)
    event = models.OneToOneField(
        "ReportEvent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="feedback",
    )
    created_at = models.DateTimeField(_("answered at"), default=timezone.now, editable=False)

    objects = ReportFeedbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("reporter's feedback")
        verbose_name_plural = _("reporters' feedback")
        ordering = ["report", "round"]
        # Written only by the services, read with the report: no permissions of its own.
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["report", "round"], name="one_feedback_per_resolution"),
            models.CheckConstraint(
                condition=Q(satisfaction__gte=1, satisfaction__lte=5),
                name="feedback_satisfaction_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.report_id}/{self.round}: {self.resolved} {self.satisfaction}/5"


def get_private_storage() -> PrivateStorage:
    """The attachments' storage (the callable the migrations name)."""
    return private_storage.attachments


def attachment_path(instance: Attachment, filename: str) -> str:
    """A random name under the report's folder: the name the user gave is never a path."""
    return f"{instance.report_id}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class AttachmentQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> AttachmentQuerySet:
        return self.filter(report__in=IncidentReport.objects.visible_to(user))


class Attachment(models.Model):
    """A photo or PDF of a report; its type is detected from the content (binhyen/sniff.py)."""

    MAX_SIZE = 10 * 1024 * 1024
    MAX_PER_REPORT = 5

    report = models.ForeignKey(
        IncidentReport,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("report"),
    )
    file = models.FileField(
        _("file"), upload_to=attachment_path, storage=get_private_storage, max_length=200
    )
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(pgettext_lazy("file", "content type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["report", "created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Informant(models.Model):
    """The sealed identity of who gave the information. Every field is Fernet ciphertext
    (reports/crypto.py); reading it goes through services.informant_reveal, which logs it.
    After the retention period the ciphertext is wiped and `erased_at` / `erasure_note` say so.
    """

    report = models.OneToOneField(
        IncidentReport, on_delete=models.CASCADE, related_name="informant", editable=False
    )
    name_encrypted = models.TextField(blank=True, editable=False)
    phone_encrypted = models.TextField(blank=True, editable=False)
    address_encrypted = models.TextField(blank=True, editable=False)
    relation_encrypted = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    erasure_note = models.TextField(blank=True, editable=False)

    class Meta:
        verbose_name = _("informant")
        verbose_name_plural = _("informants")
        # No add/change/delete/view permissions: the identity is not a model one edits.
        default_permissions = ()
        permissions = [("view_informant", _("Can reveal an informant's identity"))]

    # The fields as services see them, mapped to their encrypted columns.
    FIELDS = {
        "name": "name_encrypted",
        "phone": "phone_encrypted",
        "address": "address_encrypted",
        "relation_to_case": "relation_encrypted",
    }

    def __str__(self) -> str:
        return f"Informant #{self.pk} of report #{self.report_id}"

    def __repr__(self) -> str:
        return f"<Informant: #{self.pk} of report #{self.report_id}>"

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class InformantReveal(models.Model):
    """The log of every reveal of an informant's identity: who, when, why. Never edited."""

    report = models.ForeignKey(
        IncidentReport,
        on_delete=models.PROTECT,
        related_name="informant_reveals",
        verbose_name=_("report"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="informant_reveals",
        verbose_name=_("user"),
    )
    reason = models.TextField(_("reason"), max_length=2000)
    created_at = models.DateTimeField(_("revealed at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("informant reveal")
        verbose_name_plural = _("informant reveals")
        ordering = ["-created_at", "-pk"]
        # Only "view" (reports.view_informantreveal: the commune police lead reads the log);
        # with no add/change/delete permission, nobody can be given the power to edit it.
        default_permissions = ("view",)
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="reveal_reason_not_empty")
        ]

    def __str__(self) -> str:
        return f"{self.user} · #{self.report_id} · {self.created_at:%d/%m/%Y %H:%M}"


class TipAccessQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> TipAccessQuerySet:
        return self.filter(report__in=IncidentReport.objects.visible_to(user))


class TipAccess(models.Model):
    """What the anonymous tipster of a report holds on to: the hash of their tracking code
    (never the code itself, see reports/tips/codes.py) and the police's public reply.
    Nothing here, nor on the report, says who or where the tipster is."""

    report = models.OneToOneField(
        IncidentReport,
        on_delete=models.CASCADE,
        related_name="tip_access",
        editable=False,
        verbose_name=_("report"),
    )
    # HMAC-SHA256 of the normalised code, hex: unique, so the code finds its tip by index.
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    public_reply = models.TextField(
        _("public reply"),
        blank=True,
        max_length=2000,
        help_text=_(
            "Shown to the tipster who enters the tracking code. Never name a person or say who "
            "gave the information."
        ),
    )
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True, editable=False)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("replied by"),
    )
    created_at = models.DateTimeField(_("received at"), default=timezone.now, editable=False)

    objects = TipAccessQuerySet.as_manager()

    class Meta:
        verbose_name = _("anonymous tip")
        verbose_name_plural = _("anonymous tips")
        ordering = ["-created_at", "-pk"]
        # Created only by tip_submit, never deleted on its own: no add/delete permissions.
        default_permissions = ("view", "change")

    def __str__(self) -> str:
        return _("Anonymous tip %(code)s") % {"code": self.report.code}

    def __repr__(self) -> str:
        return f"<TipAccess: #{self.pk} of report #{self.report_id}>"


# Audited like the register. Informant and InformantReveal are not: the audit log must never
# hold an identity, and the reveal log is itself the record.
auditlog.register(IncidentReport, exclude_fields=["updated_at", "notified_at", "search_text"])
# The reply is audited; the code's hash never enters the audit log.
auditlog.register(TipAccess, include_fields=["public_reply"])
auditlog.register(DeadlineRule)
auditlog.register(ReportSettings)
