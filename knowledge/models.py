"""Lessons learned ("Erfahrungswissen"): notes that town staff and the Agentur write so that what one town
learnt travels to the others.

A note is written *for the region*: every town's staff and the Agentur's moderators read every note, which
is why it is not read like a town's internal data (see ``selectors``). ``municipality`` is the town whose
staff wrote it (its editors may change it), or empty for a note of the Agentur.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_scopes.manager import DisabledQuerySet
from django_scopes.state import get_scope

from municipalities.scoping import TownOwnedModel


class LessonNoteManager(models.Manager):
    """Scoped like every town-owned model (no query outside a scope), but a scope's towns also see the
    Agentur's notes, which belong to no town."""

    def get_queryset(self):
        current = get_scope()
        base = super().get_queryset()
        if not current.get("_enabled", True):
            return base
        if "municipality" not in current:
            return DisabledQuerySet(self.model, using=self._db, missing_scopes=["municipality"])
        value = current["municipality"]
        if value is None:
            return base
        towns = list(value) if isinstance(value, list | tuple) else [value]
        return base.filter(Q(municipality__in=towns) | Q(municipality__isnull=True))


class LessonNote(TownOwnedModel):
    """A lesson learned: what worked, what did not, what another town should know before it starts."""

    municipality = models.ForeignKey(  # type: ignore[assignment]  # None: a note of the Agentur
        "municipalities.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("town"),
        help_text=_("The town whose staff wrote the note; empty for the Agentur."),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), help_text=_("Markdown is supported."))
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lesson_notes",
        verbose_name=_("project"),
    )
    fields_of_action = models.ManyToManyField(
        "projects.FieldOfAction", blank=True, related_name="+", verbose_name=_("fields of action")
    )
    tags = models.ManyToManyField(
        "projects.Tag", blank=True, related_name="lesson_notes", verbose_name=_("tags")
    )
    is_public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_(
            "Public notes also appear on the public page “Knowledge from the towns”. Otherwise only "
            "the staff of all towns and the Agentur read them."
        ),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last changed by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = LessonNoteManager()  # type: ignore[misc,assignment]  # factory-made base manager

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("lessons-learned note")
        verbose_name_plural = _("lessons-learned notes")
        indexes = [
            models.Index(fields=["-updated_at"], name="lessonnote_updated"),
            models.Index(fields=["is_public", "-updated_at"], name="lessonnote_public_updated"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_region_note(self) -> bool:
        return self.municipality_id is None

    def get_staff_url(self, municipality) -> str:
        return reverse("knowledge:lesson", kwargs={"town_slug": municipality.slug, "pk": self.pk})

    def get_public_url(self) -> str:
        return reverse("knowledge-public-note", kwargs={"pk": self.pk})
