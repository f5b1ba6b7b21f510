from auditlog.registry import auditlog
from django.contrib.auth.models import AbstractUser
from django.db import models
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

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name() or self.username

    @cached_property
    def roles(self) -> list[Role]:
        """The user's portal roles, in the order Role declares them (read once per request)."""
        names = {group.name for group in self.groups.all()}
        return [role for role in Role if role.value in names]

    @property
    def primary_role(self) -> Role | None:
        roles = self.roles
        return roles[0] if roles else None


# Role assignments (groups) and hamlet assignments are audited with the user's other changes;
# the password hash and the login time are not worth (or safe) to keep in the log.
auditlog.register(User, m2m_fields={"groups", "hamlets"}, exclude_fields=["password", "last_login"])
