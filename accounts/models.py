from __future__ import annotations

from auditlog.registry import auditlog
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .roles import Role


class User(AbstractUser):
    """A person who logs in: police officer, hamlet head, party office staff, leader."""

    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    commune = models.ForeignKey(
        "groups.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("commune"),
    )
    hamlets = models.ManyToManyField(
        "groups.Hamlet",
        blank=True,
        related_name="users",
        verbose_name=_("hamlets in charge"),
        help_text=_("For area officers and hamlet heads: the hamlets they work on."),
    )
    # When the user's API token last authenticated a request, to within TOKEN_USE_RESOLUTION
    # (accounts.services.api_token_touch); shown on their token page, not audited.
    api_token_used_at = models.DateTimeField(
        _("API token last used"), null=True, blank=True, editable=False
    )
    # Read with the user on every request, so that what is cached of the user can be keyed by
    # them and is never stale (accounts/access.py): access_version moves when the user's
    # roles, permissions or second-factor devices change, inbox_version when their
    # notifications do.
    access_version = models.PositiveIntegerField(default=0, editable=False)
    inbox_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        # In no role: the commune police lead is granted it (accounts.services, user_create).
        permissions = [
            ("manage_commune_users", _("Can create and edit the users of the own commune")),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name() or self.username

    @cached_property
    def roles(self) -> list[Role]:
        """The user's portal roles, in the order Role declares them (from the cached access)."""
        from .access import access_of

        names = access_of(self).group_names
        return [role for role in Role if role.value in names]

    @property
    def primary_role(self) -> Role | None:
        roles = self.roles
        return roles[0] if roles else None


# Role assignments (groups) and hamlet assignments are audited with the user's other changes;
# the password hash and the login time are not worth (or safe) to keep in the log.
auditlog.register(
    User,
    m2m_fields={"groups", "hamlets"},
    exclude_fields=[
        "password",
        "last_login",
        "api_token_used_at",
        "access_version",
        "inbox_version",
    ],
)


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """Something the portal tells one user, in the app, optionally by e-mail, and by Web Push
    on the devices they chose (PushSubscription, PushDelivery).

    `key` names the event it is about ("report-new:42", "posting-digest:2026-12-01:morning");
    a user gets at most one notification per key, which is what makes a notification exactly
    once when a task runs twice. Written by accounts.services.notification_send only. Callers
    never put an informant's identity or a tip's tracking code in the title or body."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    key = models.CharField(_("key"), max_length=200)
    kind = models.CharField(_("kind"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True, max_length=10_000)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_wanted = models.BooleanField(_("send by e-mail"), default=False)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        default_permissions = ()  # each user reads their own; nobody administers them
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_notification_per_key")
        ]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["user", "-created_at"], name="notification_recent_idx"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(email_wanted=True, emailed_at__isnull=True),
                name="notification_email_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class EnrolmentCode(models.Model):
    """The one-time code an administrator hands over so that an account which must use two
    factors can enrol a device: the password alone never suffices (a reset, a first login).
    Only a hash is kept; the code is shown once. Written by accounts.services only."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="enrolment_code", verbose_name=_("user")
    )
    code_hash = models.CharField(_("code hash"), max_length=64)
    issued_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("issued by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("enrolment code")
        verbose_name_plural = _("enrolment codes")
        default_permissions = ()

    def __str__(self) -> str:
        return str(self.user)


class PushSubscription(models.Model):
    """One device (a browser on a phone or a computer) on which its user turned Web Push on:
    the push service's endpoint and the browser's keys (the payload is encrypted to them),
    and the kinds of notification the user wants pushed there (accounts/push.py, PUSH_KINDS).
    Written by accounts.services (push_subscribe, push_device_update, push_device_remove) and
    removed when the push service answers that the subscription is gone (404/410)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="push_devices", verbose_name=_("user")
    )
    # A capability URL of the push service (whoever holds it and the keys can push there),
    # so it is shown to nobody, not even its user.
    endpoint = models.URLField(_("endpoint"), max_length=1000, unique=True)
    p256dh = models.CharField(_("public key"), max_length=200)
    auth = models.CharField(_("authentication secret"), max_length=100)
    label = models.CharField(_("device"), max_length=100, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    kinds = models.JSONField(_("kinds of notification"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("push device")
        verbose_name_plural = _("push devices")
        ordering = ["-created_at", "-pk"]
        default_permissions = ()  # each user manages their own

    def __str__(self) -> str:
        return self.label or str(_("a device"))


class PushDelivery(models.Model):
    """The push of one notification to one device: one row each, so that it goes once per
    device (the unique pair) and a push service that is down delays it, never loses it
    (accounts.tasks: `sent_at` stamped when sent, the scan retries the others)."""

    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="push_deliveries",
        verbose_name=_("notification"),
    )
    subscription = models.ForeignKey(
        PushSubscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("push device"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("pushed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("push delivery")
        verbose_name_plural = _("push deliveries")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "subscription"], name="one_push_per_device"
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="push_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} → {self.subscription_id}"
