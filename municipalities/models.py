"""The consortium, its member towns (the tenants) and the audit log of cross-town reads."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from smartcity5.constraints import CheckConstraint

from .validators import validate_ars, validate_brand_colour, validate_town_slug


class Consortium(models.Model):
    """The model project: the towns that share one funded Smart City strategy ("5 für Südwestfalen")."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    programme = models.CharField(_("funding programme"), max_length=300, blank=True)
    cohort = models.CharField(_("cohort"), max_length=200, blank=True)
    coordinator = models.CharField(
        _("coordinator"),
        max_length=200,
        blank=True,
        help_text=_("The body that coordinates and moderates the project."),
    )
    motto = models.CharField(_("motto"), max_length=200, blank=True)
    goal = models.TextField(_("goal"), blank=True)
    cooperating_since = models.PositiveIntegerField(_("cooperating since"), null=True, blank=True)
    funding_until = models.CharField(_("funded until"), max_length=50, blank=True)
    federal_grant_eur = models.DecimalField(
        _("federal grant (EUR)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    total_volume_eur = models.DecimalField(
        _("total volume (EUR)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    linked_programme = models.CharField(_("linked programme"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact"), max_length=300, blank=True)
    contact_street = models.CharField(_("street"), max_length=200, blank=True)
    contact_postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    contact_city = models.CharField(_("city"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("consortium")
        verbose_name_plural = _("consortia")

    def __str__(self) -> str:
        return self.name


class MunicipalityQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Municipality(models.Model):
    """A member town of the consortium; the tenant every town-owned row belongs to.

    The towns are public facts, so this table itself is not scoped: the region page lists them all.
    """

    consortium = models.ForeignKey(
        Consortium, on_delete=models.PROTECT, related_name="municipalities", verbose_name=_("consortium")
    )
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(
        _("address"),
        max_length=60,
        unique=True,
        validators=[validate_town_slug],
        help_text=_("Part of every address of the town, e.g. “bad-berleburg”."),
    )
    official_name = models.CharField(_("official name"), max_length=200)
    district = models.CharField(_("district"), max_length=120, blank=True)
    administrative_region = models.CharField(_("administrative region"), max_length=120, blank=True)
    ags = models.CharField(_("municipality key (AGS)"), max_length=8, blank=True)
    ars = models.CharField(
        _("regional key (ARS)"),
        max_length=12,
        blank=True,
        validators=[validate_ars],
        help_text=_(
            "The 12-digit Amtlicher Regionalschlüssel, e.g. 059580004004 for Arnsberg. "
            "The open data catalogue names the town by it (DCAT-AP.de)."
        ),
    )
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    population_date = models.DateField(_("population as of"), null=True, blank=True)
    population_source = models.CharField(_("population source"), max_length=120, blank=True)
    area_km2 = models.DecimalField(
        _("area (km²)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    website = models.URLField(_("website"), blank=True)
    brand_colour = models.CharField(
        _("brand colour"),
        max_length=7,
        default="#00508C",
        validators=[validate_brand_colour],
        help_text=_(
            "Accent colour of the town's pages, as #RRGGBB. It must keep a contrast of 4.5:1 with white text."
        ),
    )
    is_lead = models.BooleanField(_("lead municipality"), default=False)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive towns are hidden and their pages answer 404.")
    )
    joined_on = models.DateField(_("member since"), null=True, blank=True)
    vision = models.CharField(_("vision"), max_length=300, blank=True)
    # Legal pages: each town publishes its own imprint and privacy notice, and the accessibility
    # statement names the town's own contact for barrier reports (BITV NRW).
    imprint = models.TextField(_("imprint"), blank=True)
    privacy_contact = models.TextField(_("data protection officer"), blank=True)
    accessibility_contact_email = models.EmailField(_("accessibility feedback e-mail"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    # The town's area on the map, as a box: places of citizens' ideas must lie inside it.
    map_south = models.DecimalField(
        _("map: southern edge"), max_digits=8, decimal_places=6, null=True, blank=True
    )
    map_west = models.DecimalField(
        _("map: western edge"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    map_north = models.DecimalField(
        _("map: northern edge"), max_digits=8, decimal_places=6, null=True, blank=True
    )
    map_east = models.DecimalField(
        _("map: eastern edge"), max_digits=9, decimal_places=6, null=True, blank=True
    )

    # The version of what the town's public pages show besides its processes (projects, KPIs, notes, the town and
    # the region itself): raised in the writer's transaction by municipalities.freshness, never written by save().
    content_version = models.PositiveBigIntegerField(default=0, editable=False)
    # When that version last moved (only forward, ``GREATEST``): the API project list's Last-Modified, read with the
    # town instead of aggregating every event of the town's projects per request (bench/README.md, "Search and
    # the project list's Last-Modified flat in the data").
    content_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["consortium"], condition=Q(is_lead=True), name="one_lead_municipality_per_consortium"
            ),
            CheckConstraint(
                condition=Q(brand_colour__regex=r"^#[0-9a-fA-F]{6}$"), name="municipality_brand_colour_hex"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # A town loaded before a write raised its version must not write the old number back (a page cached under
        # that number again would be stale): an update writes every column but the version.
        if self.pk is not None and not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.attname
                for f in self._meta.concrete_fields
                if not f.primary_key and f.attname not in ("content_version", "content_changed_at")
            ]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("municipalities:home", kwargs={"town_slug": self.slug})

    def clean(self) -> None:
        super().clean()
        # The AGS is the ARS without the four digits of the Gemeindeverband: both must name the same town.
        if self.ars and self.ags and (self.ars[:5] != self.ags[:5] or self.ars[9:] != self.ags[5:]):
            raise ValidationError(
                {
                    "ars": _(
                        "The regional key (ARS) does not fit the municipality key (AGS): its "
                        "first five and last three digits must be the AGS."
                    )
                }
            )

    @property
    def map_bounds(self) -> tuple | None:
        """(south, west, north, east) of the town's area, or ``None`` if not set."""
        bounds = (self.map_south, self.map_west, self.map_north, self.map_east)
        return None if any(value is None for value in bounds) else bounds

    def contains_point(self, latitude, longitude) -> bool:
        """Whether a point lies in the town's area (always true when the area is not set)."""
        bounds = self.map_bounds
        if bounds is None:
            return True
        south, west, north, east = bounds
        return south <= latitude <= north and west <= longitude <= east


class AuditEntry(models.Model):
    """One cross-town read: who looked at which towns' data, for which purpose, through which path.

    Written by :func:`municipalities.scoping.cross_town_scope`; never edited.
    """

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    purpose = models.CharField(_("purpose"), max_length=120, db_index=True)
    path = models.CharField(_("path"), max_length=500, blank=True)
    municipality_slugs = models.JSONField(_("towns"), default=list)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.purpose}"


# Imported late: scoping needs Municipality and AuditEntry defined above.
from .scoping import TownOwnedModel  # noqa: E402


class AccessibilityFeedback(TownOwnedModel):
    """A barrier report sent through a town's accessibility statement (BITV NRW feedback channel)."""

    class Status(models.TextChoices):
        NEW = "new", _("new")
        HANDLED = "handled", _("handled")

    page_url = models.CharField(_("page concerned"), max_length=500, blank=True)
    message = models.TextField(_("description of the barrier"), max_length=5000)
    email = models.EmailField(_("e-mail for a reply"), blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    forwarded_at = models.DateTimeField(_("forwarded by e-mail"), null=True, blank=True)
    forward_claimed_at = models.DateTimeField(_("being forwarded since"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )

    class Meta:
        verbose_name = _("accessibility feedback")
        verbose_name_plural = _("accessibility feedback")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["municipality", "status", "-created_at"])]
        constraints = [
            CheckConstraint(
                condition=Q(status="new", handled_at__isnull=True)
                | Q(status="handled", handled_at__isnull=False),
                name="accessibility_feedback_handled_consistent",
            ),
        ]

    def __str__(self) -> str:
        return self.message[:60]


class FiguresChange(TownOwnedModel):
    """A write that may change the key figures of a town (``agentur.figures``): one row per write, inserted
    in the writer's transaction by the receivers of :mod:`municipalities.freshness` (its figures' channel). The highest id of a
    town is the version under which its computed figures are cached; a row is only inserted, never updated, so
    writers never wait for each other on it. Rows below a town's highest id are deleted by the nightly
    ``municipalities.tasks.figures_changes_prune`` (the highest stays, so no version goes back)."""

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("change of the key figures")
        verbose_name_plural = _("changes of the key figures")
        indexes = [models.Index(fields=["municipality", "-id"], name="figures_change_latest")]

    def __str__(self) -> str:
        return f"{self.municipality_id}: {self.pk}"
