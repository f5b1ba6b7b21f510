from django.db import models
from django.utils.translation import gettext_lazy as _


class Commune(models.Model):
    """A commune or ward (xã, phường), identified by its official administrative code."""

    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("administrative code"), max_length=20, unique=True)
    province = models.CharField(_("province"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Hamlet(models.Model):
    """A hamlet (ấp) or residential area of a commune: the unit of scope for most users."""

    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="hamlets", verbose_name=_("commune")
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("hamlet")
        verbose_name_plural = _("hamlets")
        ordering = ["commune", "name"]
        permissions = [("view_all_hamlets", _("Can see every hamlet of the own commune"))]
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "name"], name="hamlet_name_unique_in_commune"
            )
        ]

    def __str__(self) -> str:
        return self.name
