"""Bulletins (what the police send into the Zalo groups), the posting checklist and reminders.

- `Bulletin`: one message (theme, procedure, sanitised body, Zalo-ready text, images), its
  approval workflow and its targeting (all groups of the commune, some hamlets, or chosen groups).
- `Posting`: one row per (bulletin, Zalo group), created when the bulletin is published: the
  officer's checklist item (pending → posted or skipped), with due time and who posted when.
- `ProcedureQuestion`: the quick log of procedure questions answered by officers in a group.
- `Guide`: the library of evergreen procedure guides, reused as bulletins.
- `BulletinSettings`: a commune's weekly limit, reminder times and escalation delay.
- `ReminderDigest`: the claim of one reminder digest per (user, kind, slot): exactly once.

Writes go through bulletins/services.py; reads through `visible_to(user)` (groups/access.py).
"""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

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
from groups.models import Commune, Hamlet, ZaloGroup

if TYPE_CHECKING:
    from accounts.models import User


class Theme(models.TextChoices):
    """What is posted in a group (dispatch 629-CV/ĐU, section 2.4)."""

    SECURITY_SITUATION = "security_situation", _("Local security and order situation")
    REFUTING_WRONG_VIEWS = "refuting_wrong_views", _("Refuting wrong and hostile views")
    CRIME_TRICKS = "crime_tricks", _("Criminals' methods and tricks")
    FIRE_SAFETY = "fire_safety", _("Fire and explosion prevention")
    TRAFFIC_SAFETY = "traffic_safety", _("Traffic safety")
    GOOD_DEEDS = "good_deeds", _("Good people, good deeds")
    PROCEDURES = "procedures", _("Guides to administrative procedures")
    OTHER = "other", _("Other directed content")


class Procedure(models.TextChoices):
    """The police administrative procedures a guide bulletin explains."""

    ID_CARD = "id_card", _("Identity card (căn cước)")
    PASSPORT = "passport", _("Ordinary passport")
    SECURITY_CERTIFICATE = "security_certificate", _("Security and order certificate")
    RESIDENCE = "residence", _("Residence registration")
    VEHICLE = "vehicle", _("Vehicle registration")
    OTHER = "other", _("Other procedure")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class TargetMode(models.TextChoices):
    ALL = "all", _("All groups of the commune")
    HAMLETS = "hamlets", _("The groups of some hamlets")
    GROUPS = "groups", _("Chosen groups")


# The workflow. Rejection is submitted → draft (with a comment); publishing goes to scheduled
# (a publish time in the future) or published; the periodic task moves scheduled → published.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.SUBMITTED, Status.ARCHIVED}),
    Status.SUBMITTED: frozenset({Status.APPROVED, Status.DRAFT}),
    Status.APPROVED: frozenset({Status.SCHEDULED, Status.PUBLISHED, Status.DRAFT}),
    Status.SCHEDULED: frozenset({Status.PUBLISHED, Status.ARCHIVED}),
    Status.PUBLISHED: frozenset({Status.ARCHIVED}),
    Status.ARCHIVED: frozenset(),
}
# Statuses people outside the police (hamlet heads, leaders) may read: what was sent or will be.
RELEASED_STATUSES = (Status.SCHEDULED, Status.PUBLISHED, Status.ARCHIVED)


def get_private_storage() -> PrivateStorage:
    """The images' and proofs' storage (the callable the migrations name)."""
    return private_storage.bulletins


def _random_name(folder: str, filename: str) -> str:
    return f"{folder}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


def image_path(instance: BulletinImage, filename: str) -> str:
    return _random_name(f"images/{instance.bulletin_id}", filename)


def proof_path(instance: Posting, filename: str) -> str:
    return _random_name(f"proofs/{instance.bulletin_id}", filename)


# --- Settings and the guide library ----------------------------------------------------------


def validate_reminder_times(value: str) -> None:
    try:
        times = parse_reminder_times(value)
    except ValueError:
        times = []
    if not times:
        raise ValidationError(
            _("Give one or more times such as 07:30,16:00."), code="invalid_reminder_times"
        )


def parse_reminder_times(value: str) -> list[datetime.time]:
    """'07:30, 16:00' → [07:30, 16:00], sorted; ValueError on anything else."""
    times = {datetime.time.fromisoformat(part.strip()) for part in value.split(",") if part.strip()}
    return sorted(time.replace(second=0, microsecond=0) for time in times)


class BulletinSettingsQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> BulletinSettingsQuerySet:
        return self.filter(commune__in=Commune.objects.visible_to(user))


class BulletinSettings(models.Model):
    """A commune's settings for bulletins; a commune without a row has the defaults."""

    DEFAULT_WEEKLY_LIMIT = 7
    DEFAULT_REMINDER_TIMES = "07:30,16:00"
    DEFAULT_ESCALATE_AFTER_DAYS = 2
    DEFAULT_POSTING_DUE_HOURS = 24

    commune = models.OneToOneField(
        Commune,
        on_delete=models.CASCADE,
        related_name="bulletin_settings",
        verbose_name=_("commune"),
    )
    weekly_limit = models.PositiveSmallIntegerField(
        _("postings per group per week"),
        default=DEFAULT_WEEKLY_LIMIT,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Publishing warns when a group would receive more in seven days."),
    )
    reminder_times = models.CharField(
        _("reminder times"),
        max_length=100,
        default=DEFAULT_REMINDER_TIMES,
        validators=[validate_reminder_times],
        help_text=_("Local times of the daily reminder digests, comma-separated (HH:MM)."),
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        _("escalate after (days overdue)"),
        default=DEFAULT_ESCALATE_AFTER_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    posting_due_hours = models.PositiveSmallIntegerField(
        _("time to post (hours)"),
        default=DEFAULT_POSTING_DUE_HOURS,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
        help_text=_("A posting is due this long after its bulletin is published."),
    )

    objects = BulletinSettingsQuerySet.as_manager()

    class Meta:
        verbose_name = _("bulletin settings")
        verbose_name_plural = _("bulletin settings")

    def __str__(self) -> str:
        return str(self.commune)

    @property
    def times(self) -> list[datetime.time]:
        return parse_reminder_times(self.reminder_times)

    @classmethod
    def for_commune(cls, commune_id: int) -> BulletinSettings:
        """The commune's row, or an unsaved one with the defaults."""
        found = cls.objects.filter(commune_id=commune_id).first()
        return found or cls(commune_id=commune_id)


class GuideQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> GuideQuerySet:
        # The library is the same text for every commune; reading needs view_guide (checked by
        # the views), so no scope applies.
        return self.all() if user.is_authenticated and user.is_active else self.none()


class Guide(models.Model):
    """An evergreen guide to a police procedure, reused as a bulletin (copied into a draft).

    Seeded by a data migration with reference text that the commune must check before use
    (`needs_verification`): procedures change, and the official channels are the authority."""

    procedure = models.CharField(
        _("procedure"), max_length=30, choices=Procedure.choices, unique=True
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), help_text=_("Sanitised HTML, as in a bulletin."))
    zalo_text = models.TextField(_("Zalo text"))
    official_channels = models.TextField(
        _("official channels"), blank=True, help_text=_("Where people do it online, one a line.")
    )
    needs_verification = models.BooleanField(
        _("to be checked by the commune"),
        default=True,
        help_text=_("Reference text: the commune police check it against the current rules."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = GuideQuerySet.as_manager()

    class Meta:
        verbose_name = _("procedure guide")
        verbose_name_plural = _("procedure guides")
        ordering = ["procedure"]

    def __str__(self) -> str:
        return self.title


# --- Bulletins --------------------------------------------------------------------------------


class BulletinQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> BulletinQuerySet:
        """Bulletins of the user's commune reaching a hamlet in scope (commune-wide roles: all
        of the commune, also those reaching no hamlet yet). Who cannot change bulletins (hamlet
        heads, the leadership) reads only released ones; an author always sees their own."""
        from groups.access import communes_for, hamlets_for

        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        mine = self.filter(commune__in=communes_for(user))
        if user.has_perm("groups.view_all_hamlets"):
            scoped = mine
        else:
            reached = BulletinHamlet.objects.filter(hamlet__in=hamlets_for(user))
            scoped = mine.filter(Q(pk__in=reached.values("bulletin_id")) | Q(author=user))
        if not user.has_perm("bulletins.change_bulletin"):
            scoped = scoped.filter(Q(status__in=RELEASED_STATUSES) | Q(author=user))
        return scoped


class Bulletin(models.Model):
    """A message for the Zalo groups: written, approved by another person, published to its
    target groups, where officers post it by hand (see Posting)."""

    ZALO_TEXT_MAX = 4000  # stored limit; the editor recommends ZALO_TEXT_RECOMMENDED
    ZALO_TEXT_RECOMMENDED = 1500  # reads on a phone screen or two
    MAX_IMAGES = 4

    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="bulletins", verbose_name=_("commune")
    )
    title = models.CharField(_("title"), max_length=200)
    theme = models.CharField(_("theme"), max_length=30, choices=Theme.choices)
    procedure = models.CharField(
        _("procedure"),
        max_length=30,
        choices=Procedure.choices,
        blank=True,
        help_text=_("For guides to administrative procedures only."),
    )
    # Sanitised HTML (bulletins/sanitize.py), stored clean: the template may mark it safe.
    body = models.TextField(_("body"), max_length=20_000)
    # Plain text with line breaks and emoji, as pasted into Zalo; derived from the body, editable.
    zalo_text = models.TextField(_("Zalo text"), max_length=ZALO_TEXT_MAX)
    directive = models.CharField(
        _("directive"),
        max_length=200,
        blank=True,
        help_text=_("The document it follows, e.g. a provincial police document number."),
    )
    guide = models.ForeignKey(
        Guide,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bulletins",
        verbose_name=_("from guide"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="authored_bulletins",
        verbose_name=_("author"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    # Targeting: the mode, and the hamlets or groups chosen for it.
    target_mode = models.CharField(
        _("send to"), max_length=10, choices=TargetMode.choices, default=TargetMode.ALL
    )
    target_hamlets = models.ManyToManyField(
        Hamlet, blank=True, related_name="+", verbose_name=_("target hamlets")
    )
    target_groups = models.ManyToManyField(
        ZaloGroup, blank=True, related_name="+", verbose_name=_("target groups")
    )
    # The hamlets the targeting reaches (derived, kept by the services): what scope reads.
    hamlets = models.ManyToManyField(
        Hamlet,
        through="BulletinHamlet",
        blank=True,
        related_name="bulletins",
        verbose_name=_("hamlets reached"),
    )
    publish_at = models.DateTimeField(
        _("publish at"), null=True, blank=True, help_text=_("Empty: when it is published.")
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approved_bulletins",
        verbose_name=_("approved by"),
    )
    # Who changed the content since it was last approved (the author included): none of them
    # may approve it, so two people always stand behind what is published. Emptied on approval.
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("changed since last approval by"),
    )
    # The approver confirmed: no State secret, no informant's identity, no personal data.
    security_checked = models.BooleanField(_("security check confirmed"), default=False)
    rejection_comment = models.TextField(_("rejection comment"), blank=True, max_length=5000)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = BulletinQuerySet.as_manager()

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("approve_bulletin", _("Can approve and publish bulletins")),
            ("receive_escalations", _("Receives escalations of overdue postings")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(procedure="") | Q(theme="procedures"),
                name="bulletin_procedure_only_for_guides",
                violation_error_message=_("A procedure is given only for procedure guides."),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "scheduled", "published"])
                | Q(security_checked=True),
                name="bulletin_approved_after_security_check",
            ),
        ]
        indexes = [
            models.Index(fields=["commune", "status", "-created_at"], name="bulletin_list_idx"),
            models.Index(fields=["status", "publish_at"], name="bulletin_schedule_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def allowed_transitions(self) -> frozenset[str]:
        return ALLOWED_TRANSITIONS[Status(self.status)]

    @property
    def is_editable(self) -> bool:
        return self.status == Status.DRAFT

    def clean(self) -> None:
        if self.procedure and self.theme != Theme.PROCEDURES:
            raise ValidationError(
                {"procedure": _("A procedure is given only for procedure guides.")}
            )


class BulletinHamlet(models.Model):
    """A hamlet a bulletin reaches (derived from its targeting)."""

    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="+")
    hamlet = models.ForeignKey(Hamlet, on_delete=models.CASCADE, related_name="+")

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "hamlet"], name="bulletin_hamlet_unique")
        ]

    def __str__(self) -> str:
        return f"{self.bulletin_id} → {self.hamlet_id}"


class BulletinImageQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> BulletinImageQuerySet:
        return self.filter(bulletin__in=Bulletin.objects.visible_to(user))


class BulletinImage(models.Model):
    """A picture posted with a bulletin; its type is read from the content (binhyen/sniff.py)."""

    MAX_SIZE = 5 * 1024 * 1024
    TYPES = ("image/jpeg", "image/png", "image/webp")

    bulletin = models.ForeignKey(
        Bulletin, on_delete=models.CASCADE, related_name="images", verbose_name=_("bulletin")
    )
    file = models.FileField(
        _("file"), upload_to=image_path, storage=get_private_storage, max_length=200
    )
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(pgettext_lazy("file", "content type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)

    objects = BulletinImageQuerySet.as_manager()

    class Meta:
        verbose_name = _("bulletin image")
        verbose_name_plural = _("bulletin images")
        ordering = ["bulletin", "pk"]

    def __str__(self) -> str:
        return self.original_name


class BulletinEvent(models.Model):
    """One step of a bulletin's workflow: who moved it from which status to which, and why."""

    bulletin = models.ForeignKey(
        Bulletin, on_delete=models.CASCADE, related_name="events", verbose_name=_("bulletin")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    from_status = models.CharField(_("from status"), max_length=20, choices=Status.choices)
    to_status = models.CharField(_("to status"), max_length=20, choices=Status.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=5000)
    created_at = models.DateTimeField(_("at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("bulletin event")
        verbose_name_plural = _("bulletin events")
        ordering = ["bulletin", "created_at", "pk"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"#{self.bulletin_id}: {self.from_status} → {self.to_status}"


# --- Postings: the checklist ------------------------------------------------------------------


class PostingQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> PostingQuerySet:
        from groups.access import hamlets_for

        return self.filter(group__hamlet__in=hamlets_for(user))

    def administered_by(self, user: User) -> PostingQuerySet:
        """Postings of the groups in the user's scope (visible_to's) that the user administers
        (admin officer or co-administrator). One subquery of groups, the co-administrators'
        rows read by user: the planner took longer over the joins it replaces (a LEFT JOIN
        with an OR on its columns, and the groups joined again for the scope) than the
        checklist's queries take to run."""
        co_admin = ZaloGroup.co_admins.through.objects.filter(user=user).values("zalogroup_id")
        groups = ZaloGroup.objects.visible_to(user).filter(
            Q(admin_officer=user) | Q(pk__in=co_admin)
        )
        return self.filter(group__in=groups.values("pk"))

    def checklist_of(self, user: User) -> PostingQuerySet:
        """The officer's checklist: postings of published bulletins in the groups they run."""
        return self.administered_by(user).filter(bulletin__status=Status.PUBLISHED)

    def pending(self) -> PostingQuerySet:
        return self.filter(status=Posting.Status.PENDING)

    def overdue(self, now: datetime.datetime | None = None) -> PostingQuerySet:
        return self.pending().filter(due_at__lt=now or timezone.now())

    def due_today(self) -> PostingQuerySet:
        """Due during today in the portal's time zone (Asia/Ho_Chi_Minh)."""
        start, end = published_window(timezone.localdate(), timezone.localdate())
        return self.filter(due_at__gte=start, due_at__lt=end)

    def published_between(
        self, first: datetime.date | None, last: datetime.date | None
    ) -> PostingQuerySet:
        """Published (created) from day `first` to day `last`, both included, local days."""
        return self.filter(published_in(first, last))


def published_window(
    first: datetime.date | None, last: datetime.date | None
) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """The moments [start, end) of the days `first`…`last` in the portal's time zone."""

    start = local_midnight(first) if first else None
    end = local_midnight(last + datetime.timedelta(days=1)) if last else None
    return start, end


def published_in(first: datetime.date | None, last: datetime.date | None, prefix: str = "") -> Q:
    """Postings created during the days `first`…`last` (local, both included); `prefix` is the
    path to the postings ("postings__" from a group)."""
    start, end = published_window(first, last)
    where = Q()
    if start:
        where &= Q(**{f"{prefix}created_at__gte": start})
    if end:
        where &= Q(**{f"{prefix}created_at__lt": end})
    return where


class Posting(models.Model):
    """That a bulletin is to be posted (and was, or was skipped) in one Zalo group: the line of
    the officer's checklist. Created only by publishing, one per (bulletin, group)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To post")
        POSTED = "posted", _("Posted")
        SKIPPED = "skipped", _("Skipped")

    bulletin = models.ForeignKey(
        Bulletin, on_delete=models.PROTECT, related_name="postings", verbose_name=_("bulletin")
    )
    group = models.ForeignKey(
        ZaloGroup, on_delete=models.PROTECT, related_name="postings", verbose_name=_("group")
    )
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    # Why a posting was recorded more than a day after its time (also in the audit log).
    backdate_reason = models.CharField(
        _("reason for the earlier time"), max_length=1000, blank=True
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="postings",
        verbose_name=_("posted by"),
    )
    skip_reason = models.TextField(_("reason for skipping"), blank=True, max_length=1000)
    proof_url = models.URLField(_("proof link"), blank=True, max_length=500)
    proof_image = models.FileField(
        _("proof screenshot"),
        upload_to=proof_path,
        storage=get_private_storage,
        blank=True,
        max_length=200,
    )
    created_at = models.DateTimeField(_("published at"), default=timezone.now, editable=False)

    objects = PostingQuerySet.as_manager()

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "group"], name="one_posting_per_group"),
            models.CheckConstraint(
                condition=Q(status="pending", posted_at__isnull=True)
                | Q(status__in=["posted", "skipped"], posted_at__isnull=False),
                name="posting_done_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="skipped") | ~Q(skip_reason=""),
                name="posting_skip_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["group", "status", "due_at"], name="posting_checklist_idx"),
            models.Index(fields=["status", "due_at"], name="posting_pending_idx"),
            models.Index(fields=["group", "created_at"], name="posting_week_idx"),
            # The checklist's "recorded today" (an officer's latest records): a range scan, not
            # a filter over every posting of their groups.
            models.Index(fields=["posted_by", "posted_at"], name="posting_recorded_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.bulletin_id} → {self.group_id}"

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.PENDING and self.due_at < timezone.now()

    @property
    def is_late(self) -> bool:
        return self.status == self.Status.POSTED and self.posted_at > self.due_at


# --- Questions answered, reminders ------------------------------------------------------------


class ProcedureQuestionQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ProcedureQuestionQuerySet:
        from groups.access import hamlets_for

        return self.filter(group__hamlet__in=hamlets_for(user))


class ProcedureQuestion(models.Model):
    """How many questions on a procedure an officer answered in a group on a day (the yearly
    review totals `count` by procedure)."""

    procedure = models.CharField(_("procedure"), max_length=30, choices=Procedure.choices)
    group = models.ForeignKey(
        ZaloGroup,
        on_delete=models.PROTECT,
        related_name="procedure_questions",
        verbose_name=_("group"),
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    count = models.PositiveSmallIntegerField(
        _("questions"), default=1, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    objects = ProcedureQuestionQuerySet.as_manager()

    class Meta:
        verbose_name = _("procedure question")
        verbose_name_plural = _("procedure questions")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["date", "procedure"], name="question_review_idx")]

    def __str__(self) -> str:
        return f"{self.get_procedure_display()} · {self.date:%d/%m/%Y} · {self.count}"


class ReminderDigest(models.Model):
    """The claim that one reminder digest went to a user for a slot (date and local time).
    Its unique constraint makes the digest exactly-once, whatever runs the reminder service
    (two workers, beat firing twice, the management command, the catch-up scan)."""

    class Kind(models.TextChoices):
        OFFICER = "officer", _("Postings to do")
        ESCALATION = "escalation", _("Overdue postings (escalation)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reminder_digests",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    slot_date = models.DateField(_("date"))
    slot_time = models.TimeField(_("time"))
    postings = models.PositiveIntegerField(_("postings"))
    overdue = models.PositiveIntegerField(_("overdue"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("reminder digest")
        verbose_name_plural = _("reminder digests")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "slot_date", "slot_time"], name="one_digest_per_slot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.slot_date} {self.slot_time:%H:%M}"


# Audited like the register (who changed a bulletin's text or status, a commune's settings, the
# question log). Postings are not: they are recorded by conditional updates, and the posting
# row itself says who recorded it and when; a time more than a day back is logged by the service
# (posting_mark_posted), with its reason.
auditlog.register(
    Bulletin,
    exclude_fields=["updated_at"],
    m2m_fields={"target_hamlets", "target_groups", "editors"},
)
auditlog.register(BulletinSettings)
auditlog.register(ProcedureQuestion)
