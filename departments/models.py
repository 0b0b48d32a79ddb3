"""The organisation complaints are routed through."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A unit of government in a tree (corporation -> public works -> roads ...)."""

    code = models.SlugField(_("code"), max_length=40, unique=True, help_text=_("Stable, used by the API."))
    name = models.CharField(_("name"), max_length=150)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name
