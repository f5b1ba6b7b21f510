"""The register of the model: communes, hamlets, people's groups, Zalo groups and their members."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Concat
from django.utils.translation import gettext_lazy as _

from .geo import LATITUDE_LIMIT, LONGITUDE_LIMIT, coordinate_field, validate_boundary
from .normalize import (
    InvalidPhone,
    format_phone_local,
    household_key,
    normalize_phone,
    search_key,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


class CommuneQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> CommuneQuerySet:
        """The communes of `groups.access.communes_for(user)`."""
        from .access import communes_for

        return self & communes_for(user)


class Commune(models.Model):
    """A commune or ward (xã, phường), identified by its official administrative code."""

    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("administrative code"), max_length=20, unique=True)
    province = models.CharField(_("province"), max_length=200, blank=True)
    coverage_target = models.PositiveSmallIntegerField(
        _("coverage target (%)"),
        default=100,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Share of households with a member in a group that people's groups aim for."),
    )

    objects = CommuneQuerySet.as_manager()

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HamletQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> HamletQuerySet:
        from .access import hamlets_for

        return self.filter(pk__in=hamlets_for(user).values("pk"))


class Hamlet(models.Model):
    """A hamlet (ấp) or residential area of a commune: the unit of scope for most users.

    Its area officers and hamlet head as portal users are the users whose `hamlets` include it.
    """

    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="hamlets", verbose_name=_("commune")
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=30, unique=True)
    households = models.PositiveIntegerField(
        _("households"), default=0, help_text=_("Number of households: the base of coverage.")
    )
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    former_names = models.TextField(
        _("also known as / formerly"),
        blank=True,
        help_text=_(
            "Other and former names of the hamlet, one per line (e.g. its name before a "
            "merger): old lists that use them are matched to this hamlet."
        ),
    )
    # Its place on the map (groups/geo.py): the centre, where a report or tip filed without a
    # point is drawn, and optionally its outline as GeoJSON (uploaded in the admin).
    latitude = coordinate_field(_("latitude"), LATITUDE_LIMIT)
    longitude = coordinate_field(_("longitude"), LONGITUDE_LIMIT)
    boundary = models.JSONField(
        _("boundary"),
        null=True,
        blank=True,
        validators=[validate_boundary],
        help_text=_("The hamlet's outline: a GeoJSON Polygon or MultiPolygon."),
    )
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_hamlets",
        verbose_name=_("hamlet head"),
    )

    objects = HamletQuerySet.as_manager()

    class Meta:
        verbose_name = _("hamlet")
        verbose_name_plural = _("hamlets")
        ordering = ["commune", "code"]
        permissions = [("view_all_hamlets", _("Can see every hamlet of the own commune"))]
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "name"], name="hamlet_name_unique_in_commune"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="hamlet_point_complete",
                violation_error_message=_("Give both latitude and longitude, or neither."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def former_name_list(self) -> list[str]:
        """The lines of `former_names`, trimmed, without blank ones."""
        return [line.strip() for line in self.former_names.splitlines() if line.strip()]


class PeopleGroupQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> PeopleGroupQuerySet:
        from .access import hamlets_for

        return self.filter(hamlet__in=hamlets_for(user))


class PeopleGroup(models.Model):
    """A people's group (tổ nhân dân) within a hamlet."""

    hamlet = models.ForeignKey(
        Hamlet, on_delete=models.PROTECT, related_name="people_groups", verbose_name=_("hamlet")
    )
    name = models.CharField(_("name"), max_length=200)
    households = models.PositiveIntegerField(_("households"), default=0)

    objects = PeopleGroupQuerySet.as_manager()

    class Meta:
        verbose_name = _("people's group")
        verbose_name_plural = _("people's groups")
        ordering = ["hamlet", "name"]
        constraints = [
            models.UniqueConstraint(fields=["hamlet", "name"], name="people_group_unique_in_hamlet")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.hamlet})"


zalo_invite_link = RegexValidator(
    r"^https://zalo\.me/g/[A-Za-z0-9_-]{4,64}$",
    _("Enter a Zalo group invite link such as https://zalo.me/g/abcd1234."),
)


class ZaloGroupQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> ZaloGroupQuerySet:
        from .access import hamlets_for

        return self.filter(hamlet__in=hamlets_for(user))

    def active(self) -> ZaloGroupQuerySet:
        return self.filter(status=ZaloGroup.Status.ACTIVE)


class ZaloGroup(models.Model):
    """The record of a Zalo chat group of a hamlet or people's group (Zalo carries the chat)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")

    code = models.SlugField(
        _("code"), max_length=40, unique=True, help_text=_("Short code used in imports.")
    )
    name = models.CharField(_("name"), max_length=200)
    hamlet = models.ForeignKey(
        Hamlet, on_delete=models.PROTECT, related_name="zalo_groups", verbose_name=_("hamlet")
    )
    people_group = models.ForeignKey(
        PeopleGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="zalo_groups",
        verbose_name=_("people's group"),
    )
    invite_link = models.URLField(
        _("invite link"), blank=True, validators=[zalo_invite_link], max_length=120
    )
    admin_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="administered_groups",
        verbose_name=_("administrating officer"),
    )
    co_admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="co_administered_groups",
        verbose_name=_("co-administrators"),
    )
    created_on = models.DateField(_("created on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    rules = models.TextField(_("group rules"), blank=True)
    rules_agreed_on = models.DateField(_("rules agreed on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = ZaloGroupQuerySet.as_manager()

    class Meta:
        verbose_name = _("Zalo group")
        verbose_name_plural = _("Zalo groups")
        ordering = ["hamlet", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.people_group_id and self.people_group.hamlet_id != self.hamlet_id:
            raise ValidationError(
                {"people_group": _("The people's group belongs to another hamlet.")}
            )


class MemberCount(models.Model):
    """Members of a group at the end of a month, kept so that growth can be shown."""

    group = models.ForeignKey(
        ZaloGroup, on_delete=models.CASCADE, related_name="member_counts", verbose_name=_("group")
    )
    month = models.DateField(_("month"), help_text=_("First day of the month."))
    members = models.PositiveIntegerField(_("members"))
    households = models.PositiveIntegerField(_("households reached"))

    class Meta:
        verbose_name = _("monthly member count")
        verbose_name_plural = _("monthly member counts")
        ordering = ["group", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["group", "month"], name="one_count_per_group_month")
        ]

    def __str__(self) -> str:
        return f"{self.group} {self.month:%m/%Y}: {self.members}"


def validate_mobile(value: str) -> None:
    try:
        normalize_phone(value)
    except InvalidPhone as exc:
        raise ValidationError(str(exc), code="invalid_phone") from exc


class MemberQuerySet(models.QuerySet):
    def visible_to(self, user: User) -> MemberQuerySet:
        from .access import hamlets_for

        return self.filter(group__hamlet__in=hamlets_for(user))

    def active(self) -> MemberQuerySet:
        return self.filter(left_on__isnull=True)

    def search(self, text: str, *, scope_first: bool = False) -> MemberQuerySet:
        """Names without diacritics in any Unicode form, or phones in any usual format.
        `scope_first` for a queryset already narrowed to one commune (see `read_in_scope`)."""
        from .normalize import phone_search_digits

        digits = phone_search_digits(text)
        if digits:
            return self._containing("phone", digits, scope_first)
        key = search_key(text)
        return self._containing("name_key", key, scope_first) if key else self

    def in_name_order(
        self, *, descending: bool = False, scope_first: bool = False
    ) -> MemberQuerySet:
        """By name, then id (pages never overlap); `scope_first` as in `search`."""
        return self.order_by(*name_order(descending=descending, scope_first=scope_first))

    def _containing(self, field: str, value: str, scope_first: bool) -> MemberQuerySet:
        if not scope_first:
            return self.filter(**{f"{field}__contains": value})
        alias = f"{field}_in_scope"
        return self.alias(**{alias: read_in_scope(field)}).filter(**{f"{alias}__contains": value})


def name_order(*, descending: bool = False, scope_first: bool = False) -> tuple:
    """The members' order by name (member_name_order_idx unless `scope_first`), then id."""
    name = read_in_scope("name_key") if scope_first else models.F("name_key")
    return (name.desc(), "-pk") if descending else (name.asc(), "pk")


def within_one_commune(user: User | AnonymousUser) -> bool:
    """Whether all that `user` may see lies in one commune (everyone but a superuser): small
    enough to read whole, so lists and searches go through the scope first (`read_in_scope`).
    A query-plan choice, not scope: what the user sees is decided by `groups.access`."""
    return not user.is_superuser


def read_in_scope(field: str) -> models.Expression:
    """The text column `field` as an expression no index answers, for a query narrowed to one
    commune. A commune's members (~13,000 of a province's 1.2 million) are found through their
    groups, stored together, and read whole in a few milliseconds. Given the bare column,
    PostgreSQL prefers the province-wide index on it (the trigram index for a search, the name
    index for the list's order), whose common syllables ("ngu", "van") or name order cover the
    other communes' rows too: on the synthetic province of `make bench`, a commune's search
    took 20 ms that way and 3 ms this way, the list's first page 23 ms and 7 ms."""
    return Concat(field, models.Value(""), output_field=models.CharField())


class Member(models.Model):
    """A person in a Zalo group. Leaving keeps the record: history matters."""

    class Role(models.TextChoices):
        HOUSEHOLD = "household", _("Household representative")
        HAMLET_HEAD = "hamlet_head", _("Hamlet head")
        SECURITY_TEAM = "security_team", _("Security team member")
        POLICE = "police", _("Police")
        CADRE = "cadre", _("Party or union cadre")
        OTHER = "other", _("Other")

    group = models.ForeignKey(
        ZaloGroup, on_delete=models.PROTECT, related_name="members", verbose_name=_("group")
    )
    full_name = models.CharField(_("full name"), max_length=200)
    # search_key(full_name): what name search compares with (no diacritics, Đ→d, lower case).
    name_key = models.CharField(max_length=200, editable=False)
    phone = models.CharField(
        _("phone"), max_length=16, validators=[validate_mobile], help_text=_("Mobile number.")
    )
    zalo_name = models.CharField(_("Zalo display name"), max_length=200, blank=True)
    role = models.CharField(
        _("role in the group"), max_length=20, choices=Role.choices, default=Role.HOUSEHOLD
    )
    household = models.CharField(
        _("household"), max_length=200, blank=True, help_text=_("Address or household number.")
    )
    # household_key(household): two spellings of one address count as one household.
    household_key = models.CharField(max_length=200, editable=False, blank=True)
    people_group = models.ForeignKey(
        PeopleGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("people's group"),
    )
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    consent_on = models.DateField(_("consent recorded on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["name_key", "pk"]  # indexed (member_name_order_idx); no joins
        constraints = [
            models.UniqueConstraint(
                fields=["group", "phone"],
                condition=Q(left_on__isnull=True),
                name="one_active_membership_per_phone_per_group",
                violation_error_message=_(
                    "This phone number is already an active member of the group."
                ),
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True)
                | Q(joined_on__isnull=True)
                | Q(left_on__gte=models.F("joined_on")),
                name="member_leaves_after_joining",
                violation_error_message=_("The leaving date is before the joining date."),
            ),
        ]
        indexes = [
            models.Index(fields=["phone"], name="member_phone_idx"),
            models.Index(fields=["group", "left_on"], name="member_group_active_idx"),
            models.Index(fields=["name_key", "id"], name="member_name_order_idx"),
            models.Index(fields=["joined_on", "id"], name="member_joined_order_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: object, **kwargs: object) -> None:
        self.normalize()  # derived values only: a save without clean() must not store stale keys
        super().save(*args, **kwargs)

    @property
    def phone_display(self) -> str:
        return format_phone_local(self.phone)

    @property
    def is_active(self) -> bool:
        return self.left_on is None

    def normalize(self) -> None:
        """Derived columns; called by clean() and by bulk writers that skip clean()."""
        self.name_key = search_key(self.full_name)
        self.household_key = household_key(self.household)
        with contextlib.suppress(InvalidPhone):  # left as typed, so that validation reports it
            self.phone = normalize_phone(self.phone)

    def clean(self) -> None:
        self.normalize()
        if (
            self.people_group_id
            and self.group_id
            and self.people_group.hamlet_id != self.group.hamlet_id
        ):
            raise ValidationError(
                {"people_group": _("The people's group belongs to another hamlet.")}
            )


# Every change to the register is audited: who, when, what changed (visible in the admin).
auditlog.register(Commune)
auditlog.register(Hamlet)
auditlog.register(PeopleGroup)
auditlog.register(ZaloGroup, m2m_fields={"co_admins"})
auditlog.register(Member, exclude_fields=["name_key", "household_key", "created_at", "updated_at"])
