"""The towns' Smart City strategies and their measures (projects), with KPIs, progress and history.

Shared catalogues (fields of action, tags, the consortium's bundles of measures) belong to no town.
Everything else is town-owned. A joint project is owned by its lead town and shared with its partner
towns: it and everything hanging off it appear in each partner town's scope (see
:func:`municipalities.scoping.TownScopedManager`).
"""

import datetime
import uuid
from decimal import Decimal
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Concat, Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from municipalities.scoping import TownOwnedModel, TownScopedManager
from smartcity5.constraints import CheckConstraint
from smartcity5.history import EUR, PERCENT, HistoryEvent
from smartcity5.workflow import Workflow

from .constants import ProgrammePhase
from .signals import project_changed

# Lookups by which the towns of a project see rows that hang off it.
PROJECT_TOWNS = ("project__municipality", "project__partner_towns")


class FieldOfAction(models.Model):
    """A field of action ("Handlungsfeld") of the shared catalogue that strategies and projects use."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("field of action")
        verbose_name_plural = _("fields of action")

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A free keyword; shared by all towns so that similar projects find each other."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Bundle(models.Model):
    """A bundle of measures ("Maßnahmenbündel") of the consortium's joint strategy.

    Its progress is never stored: it is derived from its member projects (see ``selectors``).
    """

    consortium = models.ForeignKey(
        "municipalities.Consortium",
        on_delete=models.PROTECT,
        related_name="bundles",
        verbose_name=_("consortium"),
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    fields_of_action = models.ManyToManyField(
        FieldOfAction, blank=True, related_name="+", verbose_name=_("fields of action")
    )

    class Meta:
        ordering = ["number"]
        verbose_name = _("bundle of measures")
        verbose_name_plural = _("bundles of measures")
        constraints = [
            models.UniqueConstraint(fields=["consortium", "number"], name="bundle_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


def _upload_path(prefix: str, filename: str) -> str:
    # The stored name never contains the uploader's file name (it may hold personal data).
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"{prefix}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


def strategy_document_path(instance, filename: str) -> str:
    return _upload_path("strategies", filename)


def project_file_path(instance, filename: str) -> str:
    return _upload_path("projects", filename)


class Strategy(TownOwnedModel):
    """A Smart City strategy: a town's own, or the consortium's joint one (kept by the lead town)."""

    class Kind(models.TextChoices):
        TOWN = "town", _("Town strategy")
        JOINT = "joint", _("Joint strategy of the consortium")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TOWN)
    title = models.CharField(_("title"), max_length=200)
    adopted_on = models.DateField(
        _("adopted on"), null=True, blank=True, help_text=_("Date of the council resolution.")
    )
    resolution_url = models.URLField(
        _("council resolution"),
        blank=True,
        help_text=_("Link to the resolution in the council information system."),
    )
    summary = models.TextField(_("summary"), blank=True, help_text=_("Markdown is supported."))
    document = models.FileField(_("document (PDF)"), upload_to=strategy_document_path, blank=True)
    fields_of_action = models.ManyToManyField(
        FieldOfAction, blank=True, related_name="+", verbose_name=_("fields of action")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "kind"], name="strategy_one_per_kind"),
            CheckConstraint(condition=Q(kind__in=["town", "joint"]), name="strategy_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        if self.kind == self.Kind.JOINT and self.municipality_id and not self.municipality.is_lead:
            raise ValidationError(_("The joint strategy is kept by the lead town."))


class ProjectQuerySet(models.QuerySet):
    def public(self):
        return self.filter(visibility=Project.Visibility.PUBLIC)

    def led_by(self, municipality):
        return self.filter(municipality=municipality)


class Project(Workflow, TownOwnedModel):
    """A measure ("Maßnahme") of a town's strategy. ``municipality`` is the lead town."""

    Phase = ProgrammePhase

    class Status(models.TextChoices):
        IDEA = "idea", _("Idea")
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        INTERNAL = "internal", _("Internal (staff only)")

    class Transferability(models.TextChoices):
        NOT_ASSESSED = "not_assessed", _("Not assessed yet")
        YES = "yes", _("Other towns can re-use it")
        PARTLY = "partly", _("Partly re-usable")
        NO = "no", _("Specific to this town")

    # The status workflow: the only moves a project may make (checked and applied by smartcity5.workflow).
    TRANSITION_ERROR = _(
        "A project that is “%(old)s” cannot become “%(new)s”. Possible next steps: %(allowed)s."
    )
    TRANSITIONS = {
        Status.IDEA: (Status.PLANNED, Status.CANCELLED),
        Status.PLANNED: (Status.IN_PROGRESS, Status.PAUSED, Status.CANCELLED, Status.IDEA),
        Status.IN_PROGRESS: (Status.COMPLETED, Status.PAUSED, Status.CANCELLED),
        Status.PAUSED: (Status.PLANNED, Status.IN_PROGRESS, Status.CANCELLED),
        Status.COMPLETED: (Status.IN_PROGRESS,),
        Status.CANCELLED: (Status.IDEA,),
    }
    # Stopping a project or stepping back needs a reason that the public can read.
    BACKWARD = {
        (Status.PLANNED, Status.IDEA),
        (Status.COMPLETED, Status.IN_PROGRESS),
        (Status.CANCELLED, Status.IDEA),
    }
    REASON_REQUIRED_FOR = {Status.PAUSED, Status.CANCELLED}
    ACTIVE_STATUSES = (Status.PLANNED, Status.IN_PROGRESS, Status.PAUSED)

    partner_towns = models.ManyToManyField(
        "municipalities.Municipality",
        through="ProjectPartner",
        related_name="+",
        blank=True,
        verbose_name=_("partner towns"),
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("address"), max_length=120, unique=True)
    summary = models.CharField(
        _("summary"), max_length=400, help_text=_("One or two sentences for lists and previews.")
    )
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown is supported."))
    fields_of_action = models.ManyToManyField(
        FieldOfAction, blank=True, related_name="projects", verbose_name=_("fields of action")
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="projects", verbose_name=_("tags"))
    phase = models.CharField(_("programme phase"), max_length=1, choices=Phase.choices, default=Phase.B)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.IDEA, editable=False
    )
    status_reason = models.TextField(_("reason for the status"), blank=True, editable=False)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now, editable=False)
    bundle = models.ForeignKey(
        Bundle,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("bundle of measures"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("part of project"),
    )
    weight = models.PositiveSmallIntegerField(
        _("weight"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Share in the progress of its bundle or parent project (1 = equal share)."),
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    planned_budget = models.DecimalField(
        _("planned budget (EUR)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    contact_name = models.CharField(
        _("contact"),
        max_length=200,
        blank=True,
        help_text=_("A department or person the public may contact."),
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    open_source_url = models.URLField(
        _("open-source code"), blank=True, help_text=_("E.g. the repository on OpenCoDE.")
    )
    transferability = models.CharField(
        _("transferability"),
        max_length=20,
        choices=Transferability.choices,
        default=Transferability.NOT_ASSESSED,
    )
    transferability_note = models.TextField(
        _("note on re-use"), blank=True, help_text=_("What another town needs to re-use it.")
    )
    location_label = models.CharField(_("place"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    # What the text search reads (smartcity5.search, "Stored text"): title, summary, description and place in
    # capitals, kept by the database with every write (a generated column), as ideas keep theirs: a search tests
    # one column per word instead of upper-casing four for every project it walks. The lines between them keep a
    # word from matching across two.
    search_text = models.GeneratedField(
        expression=Upper(
            Concat(
                "title",
                Value("\n"),
                "summary",
                Value("\n"),
                "description",
                Value("\n"),
                "location_label",
                output_field=models.TextField(),
            )
        ),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name=_("search text"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Facts the lists show, kept on write by projects.services.project_facts_refresh in the transaction of every
    # service that changes them (updates, status, sub-projects, partners), so that a list reads columns instead of
    # deriving them for every project of the scope (docs/ARCHITECTURE.md, "Stored project facts").
    stored_progress = models.FloatField(_("progress (%)"), default=0, editable=False)
    last_update_on = models.DateField(_("Last update"), null=True, blank=True, editable=False)
    partner_count = models.PositiveSmallIntegerField(_("partner towns"), default=0, editable=False)

    objects = TownScopedManager(models.Manager.from_queryset(ProjectQuerySet), shared_with="partner_towns")  # type: ignore[misc]  # factory-made manager

    class Meta:
        ordering = ["title"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        indexes = [
            models.Index(fields=["municipality", "status"], name="project_town_status"),
            models.Index(fields=["visibility", "status"], name="project_visibility_status"),
            models.Index(fields=["phase"], name="project_phase"),
            models.Index(fields=["updated_at"], name="project_updated"),
            # The lists' order (latest update first, then title): the region's first page reads 20 entries.
            models.Index(
                F("last_update_on").desc(nulls_last=True),
                "title",
                name="project_public_recent",
                condition=Q(visibility="public"),
            ),
            # A town's list in that order: a search walks it and stops after its first COUNT_CAP + 1 (201) matches
            # (projects.selectors.lists.project_pages) instead of sorting every match of the town.
            models.Index(
                F("municipality"),
                F("last_update_on").desc(nulls_last=True),
                "title",
                name="project_town_recent",
            ),
            # The map's first MAP_POINT_LIMIT (200) located projects by title, without sorting the region's thousands.
            models.Index(
                fields=["title"],
                name="project_public_located",
                condition=Q(visibility="public", latitude__isnull=False),
            ),
            # The catalogue of transferable projects in its order (fully re-usable first, then by title).
            models.Index(
                Case(When(transferability="yes", then=Value(0)), default=Value(1)),
                "title",
                name="project_catalogue_order",
                condition=Q(visibility="public", transferability__in=["yes", "partly"]),
            ),
        ]
        constraints = [
            CheckConstraint(
                condition=Q(
                    status__in=["idea", "planned", "in_progress", "paused", "completed", "cancelled"]
                ),
                name="project_status_valid",
            ),
            CheckConstraint(
                condition=Q(visibility__in=["public", "internal"]), name="project_visibility_valid"
            ),
            CheckConstraint(condition=Q(phase__in=["A", "B"]), name="project_phase_valid"),
            CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_end__isnull=True)
                | Q(planned_end__gte=F("planned_start")),
                name="project_planned_dates_ordered",
            ),
            CheckConstraint(
                condition=Q(actual_start__isnull=True)
                | Q(actual_end__isnull=True)
                | Q(actual_end__gte=F("actual_start")),
                name="project_actual_dates_ordered",
            ),
            CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="project_location_complete",
            ),
            CheckConstraint(condition=Q(weight__gte=1), name="project_weight_positive"),
        ]

    HISTORY_UNITS = {"planned_budget": EUR}

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self, municipality=None) -> str:
        """The public page in ``municipality`` (the lead town unless a partner town is given)."""
        slug = municipality.slug if municipality is not None else self.municipality.slug
        return reverse("projects:detail", kwargs={"town_slug": slug, "slug": self.slug})

    def get_staff_url(self, municipality=None) -> str:
        slug = municipality.slug if municipality is not None else self.municipality.slug
        return reverse("projects:staff-detail", kwargs={"town_slug": slug, "slug": self.slug})

    def clean(self):
        errors = {}
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            errors["planned_end"] = _("The planned end cannot be before the planned start.")
        if self.actual_start and self.actual_end and self.actual_end < self.actual_start:
            errors["actual_end"] = _("The actual end cannot be before the actual start.")
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude"] = _("Give both latitude and longitude, or neither.")
        if self.parent_id:
            if self.pk and self.parent_id == self.pk:
                errors["parent"] = _("A project cannot be part of itself.")
            elif self.parent.parent_id:
                errors["parent"] = _("Sub-projects cannot have sub-projects of their own.")
            elif self.pk and self.children.exists():
                errors["parent"] = _("This project has sub-projects, so it cannot be part of another one.")
            elif self.municipality_id and self.parent.municipality_id != self.municipality_id:
                errors["parent"] = _("A sub-project must be led by the same town as its parent.")
        if errors:
            raise ValidationError(errors)

    # --- Workflow ----------------------------------------------------------------------------------------

    # allowed_transitions(), can_transition_to() and check_transition() come from smartcity5.workflow.Workflow.

    @classmethod
    def reason_required(cls, old: str, new: str) -> bool:
        return new in cls.REASON_REQUIRED_FOR or (old, new) in cls.BACKWARD

    # --- Derived facts -----------------------------------------------------------------------------------

    @property
    def is_joint(self) -> bool:
        return self.partner_count > 0

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def start_delay_days(self, today: datetime.date | None = None) -> int:
        """Days the start runs late against the plan (0 if on time or not planned)."""
        if not self.planned_start:
            return 0
        today = today or timezone.localdate()
        started = self.actual_start or (
            today if self.status in (self.Status.IDEA, self.Status.PLANNED) else None
        )
        if started is None:
            return 0
        return max(0, (started - self.planned_start).days)

    def end_delay_days(self, today: datetime.date | None = None) -> int:
        """Days the end runs late: against the actual end, or today for a project still open after its
        planned end."""
        if not self.planned_end or self.status == self.Status.CANCELLED:
            return 0
        today = today or timezone.localdate()
        ended = self.actual_end or (today if self.status != self.Status.COMPLETED else None)
        if ended is None:
            return 0
        return max(0, (ended - self.planned_end).days)


class ProjectPartner(TownOwnedModel):
    """A partner town of a joint project (``municipality`` is the partner)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="partnerships", verbose_name=_("project")
    )
    role_note = models.CharField(_("contribution"), max_length=200, blank=True)
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)

    objects = TownScopedManager(shared_with=PROJECT_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        verbose_name = _("partner town")
        verbose_name_plural = _("partner towns")
        constraints = [
            models.UniqueConstraint(fields=["project", "municipality"], name="project_partner_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.project} – {self.municipality}"


class ProgressUpdate(TownOwnedModel):
    """A dated post about a project; ``municipality`` is the town whose staff posted it."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="updates", verbose_name=_("project")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    published_on = models.DateField(_("date"), default=timezone.localdate)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True, help_text=_("Markdown is supported."))
    progress_percent = models.PositiveSmallIntegerField(
        _("progress (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("How far the project is now, 0–100. Leave empty if this update does not change it."),
    )
    is_public = models.BooleanField(
        _("public"), default=True, help_text=_("Public updates appear on the project's public page.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TownScopedManager(shared_with=PROJECT_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        ordering = ["-published_on", "-pk"]
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        indexes = [models.Index(fields=["project", "-published_on"], name="update_project_date")]
        constraints = [
            CheckConstraint(
                condition=Q(progress_percent__isnull=True) | Q(progress_percent__lte=100),
                name="update_percent_range",
            ),
        ]

    HISTORY_UNITS = {"progress_percent": PERCENT}

    def __str__(self) -> str:
        return self.title


class Indicator(TownOwnedModel):
    """A KPI of a project: what is measured, from which baseline to which target by when."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("project")
    )
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=40, blank=True, help_text=_("E.g. “%”, “kWh”, “users”."))
    description = models.TextField(
        _("description"), blank=True, help_text=_("How it is measured and where the figures come from.")
    )
    baseline = models.DecimalField(_("baseline"), max_digits=16, decimal_places=4, null=True, blank=True)
    baseline_date = models.DateField(_("baseline date"), null=True, blank=True)
    target = models.DecimalField(_("target"), max_digits=16, decimal_places=4, null=True, blank=True)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = TownScopedManager(shared_with=PROJECT_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("indicator (KPI)")
        verbose_name_plural = _("indicators (KPIs)")

    def __str__(self) -> str:
        return self.name


class Measurement(TownOwnedModel):
    """One value of an indicator at a date."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="measurements", verbose_name=_("indicator")
    )
    measured_on = models.DateField(_("date"))
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=4)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = TownScopedManager(  # type: ignore[misc]  # factory-made manager
        shared_with=("indicator__project__municipality", "indicator__project__partner_towns")
    )

    class Meta:
        ordering = ["measured_on"]
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "measured_on"], name="measurement_one_per_date"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.value} ({self.measured_on})"


class ProjectFile(TownOwnedModel):
    """An image or document of a project. Files are served through a view that checks visibility."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        DOCUMENT = "document", _("Document")

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="files", verbose_name=_("project")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=project_file_path)
    title = models.CharField(_("title"), max_length=200)
    alt_text = models.CharField(
        _("text alternative"),
        max_length=300,
        blank=True,
        help_text=_("Describes the image for people who cannot see it."),
    )
    content_type = models.CharField(_("content type"), max_length=100, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"), editable=False)
    is_public = models.BooleanField(_("public"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    objects = TownScopedManager(shared_with=PROJECT_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        ordering = ["kind", "pk"]
        verbose_name = _("project file")
        verbose_name_plural = _("project files")
        constraints = [
            CheckConstraint(
                condition=Q(kind="document") | ~Q(alt_text=""), name="project_image_has_alt_text"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ProjectEvent(HistoryEvent):
    """The history of a project: every change, who made it and when (``municipality`` is the acting
    town). Written only by ``projects.services``; never edited."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        CHANGED = "changed", _("Changed")
        STATUS = "status", _("Status changed")
        UPDATE_POSTED = "update_posted", _("Update posted")
        UPDATE_CHANGED = "update_changed", _("Update changed")
        UPDATE_DELETED = "update_deleted", _("Update deleted")
        INDICATOR_ADDED = "indicator_added", _("KPI added")
        INDICATOR_CHANGED = "indicator_changed", _("KPI changed")
        INDICATOR_DELETED = "indicator_deleted", _("KPI deleted")
        MEASUREMENT_ADDED = "measurement_added", _("Measurement recorded")
        MEASUREMENT_DELETED = "measurement_deleted", _("Measurement deleted")
        FILE_ADDED = "file_added", _("File added")
        FILE_DELETED = "file_deleted", _("File deleted")

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="events", verbose_name=_("project")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)

    objects = TownScopedManager(shared_with=PROJECT_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("project history entry")
        verbose_name_plural = _("project history")
        indexes = [models.Index(fields=["project", "-at"], name="event_project_at")]

    def __str__(self) -> str:
        return f"{self.project}: {self.get_kind_display()}"

    def history_model(self) -> type[models.Model]:
        """The model whose fields ``changes`` names (for their labels and formats, see smartcity5.history)."""
        for prefix, model in (
            ("update_", ProgressUpdate),
            ("indicator_", Indicator),
            ("measurement_", Measurement),
            ("file_", ProjectFile),
        ):
            if self.kind.startswith(prefix):
                return model
        return Project

    def recorded(self) -> None:
        # Other apps (the open data files) learn that the project or something of it changed.
        project_changed.send(sender=Project, project=self.project)
