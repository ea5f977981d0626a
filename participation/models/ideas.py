"""Ideas (with place and image) and the town's official answers to them."""

import uuid
from decimal import Decimal
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Concat, Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from municipalities.scoping import TownOwnedModel, TownScopedManager
from participation.models.moderation import Moderated, ModeratedManager
from participation.models.processes import PROCESS_TOWNS, Process
from projects.models import FieldOfAction, Project
from smartcity5.constraints import CheckConstraint
from smartcity5.workflow import Workflow

IDEA_TOWNS = ("idea__process__municipality", "idea__process__partner_towns")


def _image_path(instance, filename: str) -> str:
    # Random stored names: the uploader's file name may hold personal data.
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"participation/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class IdeaStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    ACCEPTED = "accepted", pgettext_lazy("idea status", "Accepted")
    REJECTED = "rejected", _("Rejected")
    IMPLEMENTED = "implemented", _("Implemented")
    MERGED = "merged", _("Merged with another idea")


class Feasibility(models.TextChoices):
    """The town's verdict on a proposal of a participatory budget."""

    PENDING = "pending", _("Not yet checked")
    FEASIBLE = "feasible", _("Feasible")
    NOT_FEASIBLE = "not_feasible", _("Not feasible")


class Idea(Workflow, Moderated):
    """Idee: a citizen's proposal in a process, online or entered by staff from paper or an event."""

    Status = IdeaStatus

    #: The allowed moves (checked and applied by smartcity5.workflow in ``participation.services``).
    TRANSITION_ERROR = _("An idea that is “%(old)s” cannot become “%(new)s”.")
    TRANSITION_ERROR_FIELD = "status"
    TRANSITIONS = {
        Status.SUBMITTED: (Status.UNDER_REVIEW, Status.ACCEPTED, Status.REJECTED, Status.MERGED),
        Status.UNDER_REVIEW: (Status.ACCEPTED, Status.REJECTED, Status.MERGED, Status.SUBMITTED),
        Status.ACCEPTED: (Status.IMPLEMENTED, Status.UNDER_REVIEW, Status.REJECTED),
        Status.REJECTED: (Status.UNDER_REVIEW,),
        Status.IMPLEMENTED: (Status.ACCEPTED,),
        Status.MERGED: (Status.UNDER_REVIEW,),
    }
    #: An answer is always given with a status change; for these it must say something.
    ANSWER_REQUIRED_FOR = {Status.REJECTED, Status.MERGED}

    process = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="ideas", verbose_name=_("process")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ideas",
        verbose_name=_("author"),
    )
    is_offline = models.BooleanField(_("offline contribution"), default=False, editable=False)
    offline_source = models.CharField(
        _("collected at"),
        max_length=200,
        blank=True,
        help_text=_("E.g. “postcard from the participation kit” or “workshop on 12 May”. No names, please."),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
        editable=False,
    )
    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(
        _("description"),
        max_length=6000,
        help_text=_("Describe your idea. Simple Markdown is supported (lists, **bold**, links)."),
    )
    field_of_action = models.ForeignKey(
        FieldOfAction,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("field of action"),
    )
    location_label = models.CharField(
        _("place"),
        max_length=200,
        blank=True,
        help_text=_("An address or a description of the place, e.g. “Marktplatz”."),
    )
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
    image = models.FileField(_("image"), upload_to=_image_path, blank=True, max_length=200)
    image_alt = models.CharField(
        _("image description"),
        max_length=300,
        blank=True,
        help_text=_("What the image shows, for people who cannot see it."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED, editable=False
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now, editable=False)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("merged into"),
        editable=False,
    )
    project = models.ForeignKey(
        Project,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="source_ideas",
        verbose_name=_("project"),
        editable=False,
    )
    is_shortlisted = models.BooleanField(_("on the shortlist"), default=False, editable=False)
    # Participatory budget (Process.vote_mode "budget"): the author's estimate, and the town's check of it.
    # The town's cost is the binding one: the ballot adds it up and the results spend it.
    estimated_cost = models.DecimalField(
        _("estimated cost"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Your rough estimate in euros, e.g. 12.000. The town checks it."),
    )
    cost_estimate = models.DecimalField(
        _("cost according to the town"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        editable=False,
    )
    feasibility = models.CharField(
        _("feasibility"),
        max_length=12,
        choices=Feasibility.choices,
        default=Feasibility.PENDING,
        editable=False,
    )
    feasibility_reason = models.TextField(
        _("reason of the feasibility check"), max_length=3000, blank=True, editable=False
    )
    feasibility_checked_at = models.DateTimeField(
        _("feasibility checked"), null=True, blank=True, editable=False
    )
    # Kept by participation.services.supports.refresh_counts (recounted under a lock on the idea whenever a support or
    # a shown comment comes or goes), so that lists sort by them with an index instead of counting every idea.
    support_count = models.PositiveIntegerField(_("supports"), default=0, editable=False)
    comment_count = models.PositiveIntegerField(_("comments shown"), default=0, editable=False)
    # When refresh_counts last recounted: a withdrawn support or a removed comment leaves no row of its own,
    # so this is what tells a conditional GET (Last-Modified) that the idea's figures have changed.
    counts_changed_at = models.DateTimeField(_("counts changed"), null=True, blank=True, editable=False)
    # Kept by participation.services.answers.idea_answer in the answer's transaction (the rule: selectors.answered_at):
    # when the town last answered, empty while it never did. The lists' "answered" filter, their capped counts,
    # the map, the API and the key figures read this column instead of looking for an answer row per idea.
    answered_at = models.DateTimeField(_("last answered"), null=True, blank=True, editable=False)
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True, editable=False)
    # What the text search reads (smartcity5.search, "Stored text"): title, description and place in capitals, kept
    # by the database itself with every write (a generated column), so a search tests one column per word instead
    # of upper-casing three for every row it walks. The lines between them keep a word from matching across two.
    search_text = models.GeneratedField(
        expression=Upper(
            Concat(
                "title", Value("\n"), "body", Value("\n"), "location_label", output_field=models.TextField()
            )
        ),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name=_("search text"),
    )
    created_at = models.DateTimeField(_("submitted"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    objects = TownScopedManager(ModeratedManager, shared_with=PROCESS_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("idea")
        verbose_name_plural = _("ideas")
        indexes = [
            # A process's ideas in each sort of selectors.SORTS, to its last key: the town-wide lists read each
            # process's part of a page from these and merge them (selectors.IdeaPages), starting at a cursor.
            models.Index(fields=["process", "moderation", "-created_at", "-id"], name="idea_process_new"),
            models.Index(fields=["municipality", "moderation", "status"], name="idea_town_visible_status"),
            models.Index(
                fields=["process", "moderation", "-support_count", "-created_at", "-id"],
                name="idea_process_sup",
            ),
            models.Index(
                fields=["process", "moderation", "-comment_count", "-created_at", "-id"],
                name="idea_process_disc",
            ),
            # The staff list of a process: every idea whatever its moderation, newest first.
            models.Index(fields=["process", "-created_at", "-id"], name="idea_process_all_new"),
            # The town and region lists: the scope is a condition on the row (own town or shared, see
            # municipalities.scoping), not a leading column, so these follow the sorts of selectors.SORTS exactly
            # and PostgreSQL reads the first page in order instead of sorting every visible idea.
            models.Index(fields=["moderation", "-created_at", "-id"], name="idea_visible_new"),
            models.Index(
                fields=["moderation", "-support_count", "-created_at", "-id"], name="idea_visible_supported"
            ),
            models.Index(
                fields=["moderation", "-comment_count", "-created_at", "-id"], name="idea_visible_discussed"
            ),
            models.Index(fields=["field_of_action"], name="idea_field"),
            # The key figures of one town (agentur.figures, the Agentur's trends): published ideas of the
            # town, by the quarter they came in (one town's row after a write: 56 ms → 2 ms at 200,000 ideas).
            models.Index(fields=["municipality", "moderation", "created_at"], name="idea_town_received"),
            models.Index(fields=["project"], name="idea_project"),
            models.Index(fields=["author"], name="idea_author"),
        ]
        constraints = [
            CheckConstraint(
                condition=Q(
                    status__in=["submitted", "under_review", "accepted", "rejected", "implemented", "merged"]
                ),
                name="idea_status_valid",
            ),
            CheckConstraint(
                condition=Q(moderation__in=["published", "pending", "reported", "hidden"]),
                name="idea_moderation_valid",
            ),
            CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="idea_location_complete",
            ),
            CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False)
                | (~Q(status="merged") & Q(merged_into__isnull=True)),
                name="idea_merged_has_target",
            ),
            CheckConstraint(
                condition=Q(feasibility__in=["pending", "feasible", "not_feasible"]),
                name="idea_feasibility_valid",
            ),
            CheckConstraint(
                condition=(Q(estimated_cost__isnull=True) | Q(estimated_cost__gte=0))
                & (Q(cost_estimate__isnull=True) | Q(cost_estimate__gte=0)),
                name="idea_costs_not_negative",
            ),
            # A proposal found feasible has the town's cost: that is what the ballot adds up.
            CheckConstraint(
                condition=~Q(feasibility="feasible") | Q(cost_estimate__isnull=False),
                name="idea_feasible_has_cost",
            ),
            # An online idea has an author (until the account is deleted); an offline one was entered by staff.
            CheckConstraint(
                condition=Q(is_offline=False) | Q(author__isnull=True), name="idea_offline_without_author"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self, municipality=None) -> str:
        slug = municipality.slug if municipality is not None else self.municipality.slug
        return reverse("participation:idea", kwargs={"town_slug": slug, "pk": self.pk})

    def clean(self):
        errors = {}
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude"] = _("Give both latitude and longitude, or neither.")
        if self.image and not self.image_alt.strip():
            errors["image_alt"] = _("Please describe the image in a few words.")
        if errors:
            raise ValidationError(errors)

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def shown_cost(self) -> tuple[Decimal | None, bool]:
        """A budget proposal's cost as lists show it, and whether it is the town's: the town's once it has checked
        the proposal (the binding one, which the ballot adds up), otherwise the author's estimate."""
        if self.feasibility != Feasibility.PENDING and self.cost_estimate is not None:
            return self.cost_estimate, True
        return self.estimated_cost, False


class OfficialAnswer(TownOwnedModel):
    """Offizielle Antwort: the town's public answer that comes with every status change of an idea."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="answers", verbose_name=_("idea"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    answering_town = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("answered by"),
    )
    status_before = models.CharField(_("status before"), max_length=20, choices=IdeaStatus.choices)
    status_after = models.CharField(_("new status"), max_length=20, choices=IdeaStatus.choices)
    body = models.TextField(_("answer"), max_length=6000)
    created_at = models.DateTimeField(_("answered"), default=timezone.now)

    objects = TownScopedManager(shared_with=IDEA_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("official answer")
        verbose_name_plural = _("official answers")
        indexes = [models.Index(fields=["idea", "created_at"], name="answer_idea_time")]

    def __str__(self) -> str:
        return f"{self.idea} – {self.get_status_after_display()}"
