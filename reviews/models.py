"""The yearly review of the model (dispatch 629-CV/ĐU, section 2.5): the review of a commune and
period with its figures, narrative, commendations and the hamlets' safety assessment
(Circular 124/2021/TT-BCA), and the documents built from it for the party office.

A draft's figures are computed from the data whenever they are shown; finalising stores them,
with everything else the documents print, as `AnnualReview.snapshot`, which never changes again.
Writes go through reviews/services.py.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from binhyen import storage as private_storage
from binhyen.storage import PrivateStorage
from groups.models import Commune, Hamlet, Member, PeopleGroup, ZaloGroup

if TYPE_CHECKING:
    from accounts.models import User


class PeriodKind(models.TextChoices):
    """The windows a commune may review: the calendar year, or those of Circular 124."""

    CALENDAR = "calendar", _("Calendar year (01/01–31/12)")
    RESIDENTIAL_AREA = "residential_area", _("Circular 124, residential areas (01/11–31/10)")
    COMMUNE = "commune", _("Circular 124, communes (16/11–15/11)")


def period_bounds(kind: str, year: int) -> tuple[datetime.date, datetime.date]:
    """First and last day (inclusive) of the period of `kind` that is named after `year`."""
    if kind == PeriodKind.RESIDENTIAL_AREA:
        return datetime.date(year - 1, 11, 1), datetime.date(year, 10, 31)
    if kind == PeriodKind.COMMUNE:
        return datetime.date(year - 1, 11, 16), datetime.date(year, 11, 15)
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def ending_period_year(kind: str, today: datetime.date) -> int:
    """The year of the period that ends nearest to `today`: on 1 December that is the calendar
    year about to end, or the Circular 124 window that has just ended."""
    return min(
        (today.year - 1, today.year, today.year + 1),
        key=lambda year: abs((period_bounds(kind, year)[1] - today).days),
    )


class ReviewSettingsQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ReviewSettingsQuerySet:
        return self.filter(commune__in=Commune.objects.visible_to(user))


class ReviewSettings(models.Model):
    """How the commune's party documents are headed and signed. A commune without a row gets
    defaults derived from its name and province (`for_commune`)."""

    commune = models.OneToOneField(
        Commune, on_delete=models.CASCADE, related_name="review_settings", verbose_name=_("commune")
    )
    higher_body = models.CharField(
        _("higher party body"),
        max_length=200,
        help_text=_("Top left, first line, in capitals, e.g. ĐẢNG BỘ TỈNH ĐỒNG NAI."),
    )
    issuing_body = models.CharField(
        _("issuing body"),
        max_length=200,
        help_text=_("Top left, second line (bold), e.g. ĐẢNG ỦY XÃ THUẬN LỢI."),
    )
    number_suffix = models.CharField(
        _("document number suffix"),
        max_length=30,
        default="BC/ĐU",
        help_text=_("Printed after the number: Số 12-BC/ĐU."),
    )
    place_name = models.CharField(
        _("place name"), max_length=100, help_text=_("Start of the date line, e.g. Thuận Lợi.")
    )
    signer_on_behalf = models.CharField(
        _("signing on behalf of"), max_length=100, default="T/M ĐẢNG ỦY"
    )
    signer_title = models.CharField(_("signer's title"), max_length=100, default="BÍ THƯ")
    signer_name = models.CharField(_("signer's name"), max_length=200, blank=True)
    recipients = models.TextField(
        _("recipients"),
        help_text=_("The “Nơi nhận” block: one recipient per line."),
        default="- Ban Thường vụ Tỉnh ủy (b/c);\n- Công an tỉnh (b/c);\n"
        "- Các đồng chí Đảng ủy viên;\n- Các chi bộ trực thuộc;\n- Lưu Văn phòng Đảng ủy.",
    )
    period_kind = models.CharField(
        _("review period"),
        max_length=20,
        choices=PeriodKind.choices,
        default=PeriodKind.CALENDAR,
        help_text=_("The period the yearly job reviews."),
    )

    objects = ReviewSettingsQuerySet.as_manager()

    class Meta:
        verbose_name = _("review settings")
        verbose_name_plural = _("review settings")

    def __str__(self) -> str:
        return str(self.commune)

    @classmethod
    def for_commune(cls, commune: Commune) -> ReviewSettings:
        """The commune's settings, or unsaved defaults derived from its name and province."""
        found = cls.objects.filter(commune=commune).first()
        if found:
            return found
        place = commune.name
        for prefix in ("Xã ", "Phường ", "Thị trấn ", "Đặc khu "):
            place = place.removeprefix(prefix)
        return cls(
            commune=commune,
            higher_body=f"ĐẢNG BỘ {commune.province}".upper().strip(),
            issuing_body=f"ĐẢNG ỦY {commune.name}".upper(),
            place_name=place,
        )

    @property
    def recipient_lines(self) -> list[str]:
        return [line.strip() for line in self.recipients.splitlines() if line.strip()]


class AnnualReviewQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> AnnualReviewQuerySet:
        """Reviews of the user's commune (scope only: reading one needs
        reviews.view_annualreview, which hamlet heads and area officers do not hold)."""
        return self.filter(commune__in=Commune.objects.visible_to(user))


NARRATIVE_FIELDS = (
    "situation",
    "leadership",
    "results",
    "strengths",
    "weaknesses",
    "causes",
    "lessons",
    "directions",
    "proposals",
)


class AnnualReview(models.Model):
    """The review of one commune for one period ("sơ kết, đánh giá kết quả hoạt động")."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FINAL = "final", _("Finalised")

    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("commune")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    period_kind = models.CharField(
        _("period"), max_length=20, choices=PeriodKind.choices, default=PeriodKind.CALENDAR
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    subject = models.CharField(_("subject"), max_length=300)
    situation = models.TextField(_("Local situation"), blank=True)
    leadership = models.TextField(_("Leadership and direction"), blank=True)
    results = models.TextField(_("Results"), blank=True)
    strengths = models.TextField(_("Strengths"), blank=True)
    weaknesses = models.TextField(_("Shortcomings"), blank=True)
    causes = models.TextField(_("Causes"), blank=True)
    lessons = models.TextField(_("Lessons learnt"), blank=True)
    directions = models.TextField(_("Directions and tasks"), blank=True)
    proposals = models.TextField(_("Proposals and recommendations"), blank=True)
    # The generated sentences each narrative section was written from, with the figures they
    # state (reviews/narrative.py): a section still as generated is written again from the
    # figures when the documents are built; an edited one is flagged when its figures change.
    narrative_basis = models.JSONField(
        _("figures the text was written from"), default=dict, blank=True, editable=False
    )
    number = models.PositiveIntegerField(_("document number"), null=True, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    # Everything the documents print, frozen when the review is finalised (None while a draft).
    snapshot = models.JSONField(_("snapshot"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("finalised by"),
    )
    finalised_at = models.DateTimeField(_("finalised at"), null=True, blank=True)
    # Who edited the subject or the narrative (review_update): none of them may finalise it,
    # so that two officers stand behind what goes to the Party committee.
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("edited by")
    )

    objects = AnnualReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("yearly review")
        verbose_name_plural = _("yearly reviews")
        ordering = ["commune", "-year"]
        permissions = [("finalise_review", _("Can finalise a yearly review (freeze and number)"))]
        constraints = [
            # One review per commune and year: the yearly job and a click cannot make two.
            models.UniqueConstraint(fields=["commune", "year"], name="one_review_per_year"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(snapshot__isnull=False, number__isnull=False),
                name="final_review_has_snapshot_and_number",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="review_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commune} {self.year}"

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.FINAL

    @property
    def latest_build(self) -> ReviewBuild | None:
        return self.builds.order_by("-created_at", "-pk").first()


def get_review_storage() -> PrivateStorage:
    """The built documents' storage (the callable the migrations name). Names hold the build's
    id, so overwriting only ever replaces a build's own file."""
    return private_storage.reviews


class ReviewBuildQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ReviewBuildQuerySet:
        return self.filter(review__in=AnnualReview.objects.visible_to(user))


class ReviewBuild(models.Model):
    """One build of a review's three documents, run by the worker. Every build is kept, so the
    files of earlier drafts and of the finalised review stay downloadable."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Building")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    FORMATS = ("pdf", "docx", "xlsx")

    review = models.ForeignKey(
        AnnualReview, on_delete=models.CASCADE, related_name="builds", verbose_name=_("review")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    step = models.CharField(_("step"), max_length=200, blank=True)
    final = models.BooleanField(
        _("finalised version"), default=False, help_text=_("Built from the frozen snapshot.")
    )
    pdf = models.FileField(storage=get_review_storage, max_length=200, blank=True)
    docx = models.FileField(storage=get_review_storage, max_length=200, blank=True)
    xlsx = models.FileField(storage=get_review_storage, max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ReviewBuildQuerySet.as_manager()

    class Meta:
        verbose_name = _("document build")
        verbose_name_plural = _("document builds")
        ordering = ["review", "-created_at", "-pk"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.review} #{self.pk} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class CommendationQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> CommendationQuerySet:
        return self.filter(review__in=AnnualReview.objects.visible_to(user))


class Commendation(models.Model):
    """A nomination of an individual or a collective for commendation ("khen thưởng")."""

    class Nominee(models.TextChoices):
        MEMBER = "member", _("Member of a group")
        OFFICER = "officer", _("Police officer")
        HAMLET_HEAD = "hamlet_head", _("Hamlet head")
        ZALO_GROUP = "zalo_group", pgettext_lazy("choice", "Zalo group")
        HAMLET = "hamlet", _("Hamlet")
        PEOPLE_GROUP = "people_group", _("People's group")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    INDIVIDUALS = (Nominee.MEMBER, Nominee.OFFICER, Nominee.HAMLET_HEAD)
    # Which field names the nominee of each kind.
    TARGET_FIELD = {
        Nominee.MEMBER: "member",
        Nominee.OFFICER: "user",
        Nominee.HAMLET_HEAD: "user",
        Nominee.ZALO_GROUP: "zalo_group",
        Nominee.HAMLET: "hamlet",
        Nominee.PEOPLE_GROUP: "people_group",
    }

    review = models.ForeignKey(
        AnnualReview,
        on_delete=models.CASCADE,
        related_name="commendations",
        verbose_name=_("review"),
    )
    nominee_kind = models.CharField(_("nominee"), max_length=20, choices=Nominee.choices)
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commendations",
    )
    hamlet = models.ForeignKey(
        Hamlet, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    people_group = models.ForeignKey(
        PeopleGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    zalo_group = models.ForeignKey(
        ZaloGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The name as printed in the report, taken from the nominee when nominated.
    name = models.CharField(_("name"), max_length=300)
    reason = models.TextField(_("reason"), max_length=2000)
    suggested = models.BooleanField(
        _("suggested by the portal"), default=False, help_text=_("Taken from the figures.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    created_at = models.DateTimeField(_("proposed at"), default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("note on the decision"), blank=True, max_length=2000)

    objects = CommendationQuerySet.as_manager()

    class Meta:
        verbose_name = _("commendation")
        verbose_name_plural = _("commendations")
        ordering = ["review", "status", "nominee_kind", "name", "pk"]
        permissions = [("approve_commendation", _("Can approve or decline commendations"))]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="commendation_has_reason"),
            # Exactly one nominee field is set.
            models.CheckConstraint(
                condition=(
                    Q(member__isnull=False)
                    & Q(user__isnull=True, hamlet__isnull=True)
                    & Q(people_group__isnull=True, zalo_group__isnull=True)
                )
                | (
                    Q(user__isnull=False)
                    & Q(member__isnull=True, hamlet__isnull=True)
                    & Q(people_group__isnull=True, zalo_group__isnull=True)
                )
                | (
                    Q(hamlet__isnull=False)
                    & Q(member__isnull=True, user__isnull=True)
                    & Q(people_group__isnull=True, zalo_group__isnull=True)
                )
                | (
                    Q(people_group__isnull=False)
                    & Q(member__isnull=True, user__isnull=True)
                    & Q(hamlet__isnull=True, zalo_group__isnull=True)
                )
                | (
                    Q(zalo_group__isnull=False)
                    & Q(member__isnull=True, user__isnull=True)
                    & Q(hamlet__isnull=True, people_group__isnull=True)
                ),
                name="commendation_one_nominee",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_individual(self) -> bool:
        return self.nominee_kind in self.INDIVIDUALS

    @property
    def target(self) -> models.Model | None:
        return getattr(self, self.TARGET_FIELD[self.Nominee(self.nominee_kind)])


class SafetyCriterion(models.Model):
    """A criterion of "An toàn về an ninh, trật tự" for a residential area (Circular
    124/2021/TT-BCA, article 4; amended by 48/2025/TT-BCA). Kept as data, editable in the admin;
    `to_verify` marks a wording not yet compared with the Circular's text (migration 0005)."""

    order = models.PositiveSmallIntegerField(_("order"), default=0)
    text = models.TextField(_("criterion"))
    source = models.CharField(
        _("source"), max_length=200, blank=True, default="Thông tư 124/2021/TT-BCA"
    )
    to_verify = models.BooleanField(
        _("wording to verify"),
        default=True,
        help_text=_("Checked until someone compared the wording with the official text."),
    )
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("safety criterion")
        verbose_name_plural = _("safety criteria")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.text[:80]


class SafetyAssessmentQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> SafetyAssessmentQuerySet:
        from groups.access import hamlets_for

        return self.filter(hamlet__in=hamlets_for(user))


class SafetyAssessment(models.Model):
    """A hamlet's yearly assessment: the checklist, evidence and result (đạt / chưa đạt)."""

    class Result(models.TextChoices):
        PENDING = "pending", _("Not assessed")
        PASSED = "passed", _("Met (đạt)")
        FAILED = "failed", _("Not met (chưa đạt)")

    hamlet = models.ForeignKey(
        Hamlet,
        on_delete=models.PROTECT,
        related_name="safety_assessments",
        verbose_name=_("hamlet"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    result = models.CharField(
        _("result"), max_length=10, choices=Result.choices, default=Result.PENDING
    )
    evidence = models.TextField(_("evidence"), blank=True, max_length=10_000)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assessed by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = SafetyAssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("safety assessment")
        verbose_name_plural = _("safety assessments")
        ordering = ["-year", "hamlet"]
        constraints = [
            models.UniqueConstraint(fields=["hamlet", "year"], name="one_assessment_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.hamlet} {self.year}: {self.get_result_display()}"


class SafetyCheck(models.Model):
    """Whether one criterion is met in one assessment, with a note."""

    assessment = models.ForeignKey(
        SafetyAssessment, on_delete=models.CASCADE, related_name="checks"
    )
    criterion = models.ForeignKey(SafetyCriterion, on_delete=models.PROTECT, related_name="+")
    met = models.BooleanField(_("met"), default=False)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("criterion check")
        verbose_name_plural = _("criterion checks")
        ordering = ["assessment", "criterion__order", "criterion__pk"]
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "criterion"], name="one_check_per_criterion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}/{self.criterion_id}: {self.met}"


# Audited like the register: who changed a review, a nomination or an assessment, and when.
auditlog.register(ReviewSettings)
auditlog.register(
    AnnualReview,
    exclude_fields=["snapshot", "narrative_basis", "updated_at"],
    m2m_fields={"editors"},
)
auditlog.register(Commendation)
auditlog.register(SafetyAssessment, exclude_fields=["updated_at"])
