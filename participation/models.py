"""Citizen participation: processes with phases, ideas (with place and image), comments, supports, reports,
moderation, the vote on a shortlist, official answers, and the history of every decision.

A process belongs to its town (``municipality``); a joint process is shared with partner towns like a joint
project. Everything that hangs off a process (ideas, comments, supports, ballots, reports, history) carries
the process's town and follows the process into each partner town's scope, and nowhere else.

What the public sees is decided in one place: :meth:`ModeratedQuerySet.visible` (published only). Hidden,
reported and waiting content never appears in lists, search, maps, detail pages or the API.
"""

import datetime
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from municipalities.scoping import TownOwnedModel, TownScopedManager
from projects.models import FieldOfAction, Project
from smartcity5.history import HistoryEvent
from smartcity5.workflow import Workflow

# Lookups by which the towns of a process see the rows that hang off it.
PROCESS_TOWNS = ("process__municipality", "process__partner_towns")
IDEA_TOWNS = ("idea__process__municipality", "idea__process__partner_towns")


def _image_path(instance, filename: str) -> str:
    # Random stored names: the uploader's file name may hold personal data.
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"participation/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class ModerationMode(models.TextChoices):
    POST = "post", _("Post-moderation: new contributions appear at once")
    PRE = "pre", _("Pre-moderation: new contributions wait for a moderator")


class ParticipationSettings(TownOwnedModel):
    """How a town moderates: before or after publication, and how many reports hide a contribution."""

    moderation = models.CharField(
        _("moderation"), max_length=4, choices=ModerationMode.choices, default=ModerationMode.POST
    )
    report_threshold = models.PositiveSmallIntegerField(
        _("reports until hidden"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_(
            "A contribution reported by this many different people is hidden until a moderator "
            "has looked at it."
        ),
    )

    class Meta:
        verbose_name = _("participation settings")
        verbose_name_plural = _("participation settings")
        constraints = [
            models.UniqueConstraint(fields=["municipality"], name="participation_settings_once_per_town"),
            models.CheckConstraint(
                condition=Q(report_threshold__gte=1), name="participation_threshold_positive"
            ),
        ]

    def __str__(self) -> str:
        return str(self.municipality)


class Phase(models.TextChoices):
    INFORMATION = "information", _("Information")
    SURVEY = "survey", _("Survey")
    IDEAS = "ideas", _("Idea collection")
    EVALUATION = "evaluation", _("Evaluation and shortlist")
    VOTE = "vote", _("Vote")
    RESULTS = "results", _("Results")


PHASE_ORDER = list(Phase.values)
#: Phases in which comments and supports are open (if the process allows them).
INTERACTION_PHASES = (Phase.IDEAS, Phase.EVALUATION)
COMMENT_PHASES = (Phase.IDEAS, Phase.EVALUATION, Phase.VOTE)


class Process(TownOwnedModel):
    """Beteiligungsverfahren: a participation process of a town (or a joint one, with partner towns).

    Its phases (:class:`ProcessPhase`) decide what citizens can do on a given day: ideas are accepted only
    while ideas are being collected; comments and supports while ideas are collected and evaluated; votes
    only in the vote phase; results are shown once the vote is over.
    """

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("address"), max_length=120, unique=True)
    summary = models.CharField(
        _("summary"), max_length=400, help_text=_("One or two sentences for lists and previews.")
    )
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown is supported."))
    field_of_action = models.ForeignKey(
        FieldOfAction,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("field of action"),
    )
    partner_towns = models.ManyToManyField(
        "municipalities.Municipality",
        through="ProcessPartner",
        related_name="+",
        blank=True,
        verbose_name=_("partner towns"),
    )
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Unpublished processes are visible to staff only.")
    )
    allow_comments = models.BooleanField(_("comments allowed"), default=True)
    allow_supports = models.BooleanField(_("supports allowed"), default=True)
    allow_location = models.BooleanField(_("ideas can have a place"), default=True)
    votes_per_person = models.PositiveSmallIntegerField(
        _("votes per person"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("How many votes each verified citizen can distribute over the shortlist."),
    )
    votes_per_idea = models.PositiveSmallIntegerField(
        _("votes per idea"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("How many of their votes a person may give to one idea (1 = one vote per idea)."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Kept on write by participation.services.touch_processes, in the transaction of every write that changes what
    # the public sees of the process (its ideas, their comments, supports, answers, moderation, the process
    # itself): the API's Last-Modified, the page counts and the keys of the caches read these instead of
    # aggregating every idea, comment and support per request (docs/ARCHITECTURE.md, "Stored freshness").
    shown_idea_count = models.PositiveIntegerField(_("published ideas"), default=0, editable=False)
    content_version = models.PositiveBigIntegerField(
        _("version of the public content"), default=0, editable=False
    )
    content_changed_at = models.DateTimeField(
        _("public content changed"), null=True, blank=True, editable=False
    )

    objects = TownScopedManager(shared_with="partner_towns")  # type: ignore[misc]  # factory-made manager

    class Meta:
        ordering = ["-created_at", "title"]
        verbose_name = _("participation process")
        verbose_name_plural = _("participation processes")
        constraints = [
            models.CheckConstraint(
                condition=Q(votes_per_person__gte=1, votes_per_idea__gte=1), name="process_votes_positive"
            ),
            models.CheckConstraint(
                condition=Q(votes_per_idea__lte=F("votes_per_person")),
                name="process_votes_per_idea_within_total",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self, town=None) -> str:
        slug = town.slug if town is not None else self.municipality.slug
        return reverse("participation:process", kwargs={"town": slug, "slug": self.slug})

    def clean(self):
        if self.votes_per_idea and self.votes_per_person and self.votes_per_idea > self.votes_per_person:
            raise ValidationError(
                {"votes_per_idea": _("A person cannot give one idea more votes than they have.")}
            )

    # --- Phases: what citizens may do on a given day ------------------------------------------------------
    # These read ``self.phases.all()``; selectors prefetch it.

    def phase(self, kind: str) -> "ProcessPhase | None":
        return next((p for p in self.phases.all() if p.kind == kind), None)

    def current_phase(self, day: datetime.date | None = None) -> "ProcessPhase | None":
        day = day or timezone.localdate()
        current = [p for p in self.phases.all() if p.contains(day)]
        # Phases do not overlap (checked when they are saved); the latest started one wins if they touch.
        return max(current, key=lambda p: (p.starts_on, PHASE_ORDER.index(p.kind)), default=None)

    def _in(self, kinds, day) -> bool:
        current = self.current_phase(day)
        return current is not None and current.kind in kinds

    def accepts_ideas(self, day: datetime.date | None = None) -> bool:
        return self.is_published and self._in((Phase.IDEAS,), day)

    def accepts_comments(self, day: datetime.date | None = None) -> bool:
        return self.is_published and self.allow_comments and self._in(COMMENT_PHASES, day)

    def accepts_supports(self, day: datetime.date | None = None) -> bool:
        return self.is_published and self.allow_supports and self._in(INTERACTION_PHASES, day)

    def accepts_survey_responses(self, day: datetime.date | None = None) -> bool:
        return self.is_published and self._in((Phase.SURVEY,), day)

    def accepts_votes(self, day: datetime.date | None = None) -> bool:
        return self.is_published and self._in((Phase.VOTE,), day)

    def shortlist_open(self, day: datetime.date | None = None) -> bool:
        """The shortlist may change until the vote starts."""
        vote = self.phase(Phase.VOTE)
        return vote is None or (day or timezone.localdate()) < vote.starts_on

    def results_public(self, day: datetime.date | None = None) -> bool:
        """Vote results are shown once the vote has ended."""
        vote = self.phase(Phase.VOTE)
        return vote is not None and vote.ends_on is not None and (day or timezone.localdate()) > vote.ends_on


class ProcessPartner(TownOwnedModel):
    """A partner town of a joint process (``municipality`` is the partner)."""

    process = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="partnerships", verbose_name=_("process")
    )

    objects = TownScopedManager(shared_with=PROCESS_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        verbose_name = _("partner town")
        verbose_name_plural = _("partner towns")
        constraints = [
            models.UniqueConstraint(fields=["process", "municipality"], name="process_partner_unique")
        ]

    def __str__(self) -> str:
        return f"{self.process} – {self.municipality}"


class ProcessPhase(TownOwnedModel):
    """One phase of a process, from its first to its last day (both included, in the town's time zone).
    The results phase may stay open-ended."""

    process = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="phases", verbose_name=_("process")
    )
    kind = models.CharField(_("phase"), max_length=12, choices=Phase.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = TownScopedManager(shared_with=PROCESS_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        ordering = ["starts_on", "pk"]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        constraints = [
            models.UniqueConstraint(fields=["process", "kind"], name="phase_once_per_process"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")), name="phase_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=False) | Q(kind="results"),
                name="phase_end_required_except_results",
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    def contains(self, day: datetime.date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class Moderation(models.TextChoices):
    PUBLISHED = "published", _("Published")
    PENDING = "pending", _("Waiting for moderation")
    REPORTED = "reported", _("Hidden after reports, waiting for review")
    HIDDEN = "hidden", _("Hidden by a moderator")


class ModeratedQuerySet(models.QuerySet):
    def visible(self):
        """What the public may see: published contributions only. The one rule for every list, search, map,
        page and API."""
        return self.filter(moderation=Moderation.PUBLISHED)


class ModeratedManager(models.Manager.from_queryset(ModeratedQuerySet)):  # type: ignore[misc]  # a dynamic base
    # Through ``get_queryset().filter`` so that, outside a scope, the scoped manager's refusal (``ScopeError``)
    # is what the caller sees, not a missing method of the refusing queryset.
    def visible(self):
        return self.get_queryset().filter(moderation=Moderation.PUBLISHED)


class Moderated(TownOwnedModel):
    """Base of contributions that moderators decide on (ideas, comments)."""

    moderation = models.CharField(
        _("moderation"),
        max_length=10,
        choices=Moderation.choices,
        default=Moderation.PUBLISHED,
        editable=False,
    )
    moderation_reason = models.TextField(_("reason given to the author"), blank=True, editable=False)
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def is_visible(self) -> bool:
        return self.moderation == Moderation.PUBLISHED


class IdeaStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    ACCEPTED = "accepted", pgettext_lazy("idea status", "Accepted")
    REJECTED = "rejected", _("Rejected")
    IMPLEMENTED = "implemented", _("Implemented")
    MERGED = "merged", _("Merged with another idea")


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
    # Kept by participation.services.refresh_counts (recounted under a lock on the idea whenever a support or
    # a shown comment comes or goes), so that lists sort by them with an index instead of counting every idea.
    support_count = models.PositiveIntegerField(_("supports"), default=0, editable=False)
    comment_count = models.PositiveIntegerField(_("comments shown"), default=0, editable=False)
    # When refresh_counts last recounted: a withdrawn support or a removed comment leaves no row of its own,
    # so this is what tells a conditional GET (Last-Modified) that the idea's figures have changed.
    counts_changed_at = models.DateTimeField(_("counts changed"), null=True, blank=True, editable=False)
    # Kept by participation.services.idea_answer in the answer's transaction (the rule: selectors.answered_at):
    # when the town last answered, empty while it never did. The lists' "answered" filter, their capped counts,
    # the map, the API and the key figures read this column instead of looking for an answer row per idea.
    answered_at = models.DateTimeField(_("last answered"), null=True, blank=True, editable=False)
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True, editable=False)
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
            models.CheckConstraint(
                condition=Q(
                    status__in=["submitted", "under_review", "accepted", "rejected", "implemented", "merged"]
                ),
                name="idea_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(moderation__in=["published", "pending", "reported", "hidden"]),
                name="idea_moderation_valid",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="idea_location_complete",
            ),
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False)
                | (~Q(status="merged") & Q(merged_into__isnull=True)),
                name="idea_merged_has_target",
            ),
            # An online idea has an author (until the account is deleted); an offline one was entered by staff.
            models.CheckConstraint(
                condition=Q(is_offline=False) | Q(author__isnull=True), name="idea_offline_without_author"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self, town=None) -> str:
        slug = town.slug if town is not None else self.municipality.slug
        return reverse("participation:idea", kwargs={"town": slug, "pk": self.pk})

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


class Comment(Moderated):
    """A comment on an idea, or a reply to one (one level of replies)."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="comments", verbose_name=_("idea"))
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("reply to"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("author"),
    )
    is_official = models.BooleanField(_("written for the town"), default=False, editable=False)
    body = models.TextField(_("comment"), max_length=3000)
    created_at = models.DateTimeField(_("written"), default=timezone.now, editable=False)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True, editable=False)

    objects = TownScopedManager(ModeratedManager, shared_with=IDEA_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [
            models.Index(fields=["idea", "moderation", "created_at"], name="comment_idea_visible"),
            # The moderation queue: the few comments waiting, oldest first (selectors.waiting_for_moderation).
            models.Index(
                fields=["created_at"],
                name="comment_waiting",
                condition=Q(moderation__in=["pending", "reported"]),
            ),
            models.Index(fields=["author"], name="comment_author"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(moderation__in=["published", "pending", "reported", "hidden"]),
                name="comment_moderation_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.body[:60]

    def clean(self):
        if self.parent_id:
            if self.parent.parent_id is not None:
                raise ValidationError({"parent": _("Replies can only be given to comments, not to replies.")})
            if self.idea_id and self.parent.idea_id != self.idea_id:
                raise ValidationError({"parent": _("A reply belongs to the same idea as its comment.")})


class Support(TownOwnedModel):
    """Unterstützung: a verified citizen supports an idea. One per person and idea, enforced by the database;
    withdrawing deletes the row. ``user`` becomes empty when the account is deleted, the support stays counted."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="supports", verbose_name=_("idea"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supports",
        verbose_name=_("supporter"),
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    objects = TownScopedManager(shared_with=IDEA_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [models.UniqueConstraint(fields=["idea", "user"], name="support_once_per_person")]
        indexes = [models.Index(fields=["user"], name="support_user")]

    def __str__(self) -> str:
        return f"{self.user} → {self.idea}"


class Ballot(TownOwnedModel):
    """Stimmzettel: one person's votes in one process's vote. One ballot per person and process, enforced by
    the database; the votes on it can change until the vote ends."""

    process = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="ballots", verbose_name=_("process")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ballots",
        verbose_name=_("voter"),
    )
    created_at = models.DateTimeField(_("cast"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    objects = TownScopedManager(shared_with=PROCESS_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [models.UniqueConstraint(fields=["process", "user"], name="ballot_once_per_person")]

    def __str__(self) -> str:
        return f"{self.process} – {self.user}"


class Vote(TownOwnedModel):
    """The votes a ballot gives one shortlisted idea."""

    ballot = models.ForeignKey(
        Ballot, on_delete=models.CASCADE, related_name="votes", verbose_name=_("ballot")
    )
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes", verbose_name=_("idea"))
    count = models.PositiveSmallIntegerField(_("votes"), default=1)

    objects = TownScopedManager(shared_with=IDEA_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(fields=["ballot", "idea"], name="vote_once_per_ballot_and_idea"),
            models.CheckConstraint(condition=Q(count__gte=1), name="vote_count_positive"),
        ]


class FlagReason(models.TextChoices):
    SPAM = "spam", _("Spam or advertising")
    OFFENSIVE = "offensive", _("Insulting, discriminating or threatening")
    PERSONAL_DATA = "personal_data", _("Reveals personal data of others")
    ILLEGAL = "illegal", _("Otherwise unlawful")
    OFF_TOPIC = "off_topic", _("Off topic")


class ContentFlag(TownOwnedModel):
    """Meldung: someone reports an idea or a comment. One report per person and contribution; reports of
    distinct people beyond the town's threshold hide the contribution until a moderator decides."""

    idea = models.ForeignKey(
        Idea, on_delete=models.CASCADE, null=True, blank=True, related_name="flags", verbose_name=_("idea")
    )
    comment = models.ForeignKey(
        Comment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="flags",
        verbose_name=_("comment"),
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported by"),
    )
    reason = models.CharField(_("reason"), max_length=20, choices=FlagReason.choices)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("reported"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    objects = TownScopedManager(  # type: ignore[misc]  # factory-made manager
        shared_with=(
            "idea__process__municipality",
            "idea__process__partner_towns",
            "comment__idea__process__municipality",
            "comment__idea__process__partner_towns",
        )
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(idea__isnull=False, comment__isnull=True)
                | Q(idea__isnull=True, comment__isnull=False),
                name="report_one_target",
            ),
            models.UniqueConstraint(
                fields=["idea", "reporter"],
                condition=Q(idea__isnull=False),
                name="report_idea_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["comment", "reporter"],
                condition=Q(comment__isnull=False),
                name="report_comment_once_per_person",
            ),
        ]
        indexes = [models.Index(fields=["municipality", "resolved_at"], name="report_town_open")]

    def __str__(self) -> str:
        return self.get_reason_display()

    @property
    def target(self):
        return self.idea if self.idea_id else self.comment


class ParticipationEvent(HistoryEvent):
    """History: every decision on a process, an idea or a comment (who, when, what changed, why)."""

    class Kind(models.TextChoices):
        PROCESS_CREATED = "process_created", _("Process created")
        PROCESS_CHANGED = "process_changed", _("Process changed")
        IDEA_SUBMITTED = "idea_submitted", _("Idea submitted")
        OFFLINE_ENTERED = "offline_entered", _("Offline contribution entered")
        STATUS = "status", _("Status changed with answer")
        PROJECT_LINKED = "project_linked", _("Project linked")
        SHORTLIST = "shortlist", _("Shortlist changed")
        TITLE_EDITED = "title_edited", _("Title edited for privacy")
        TEXT_EDITED = "text_edited", _("Text edited for privacy")
        AUTO_HIDDEN = "auto_hidden", _("Hidden after reports")
        APPROVED = "approved", _("Approved by a moderator")
        HIDDEN = "hidden", _("Hidden by a moderator")
        SETTINGS = "settings", _("Moderation settings changed")
        SURVEY_CHANGED = "survey_changed", _("Survey changed")
        SURVEY_VERSION = "survey_version", _("New version of the survey")
        PAPER_RESPONSE = "paper_response", _("Paper questionnaire entered")
        SURVEY_TEXT_MODERATED = "survey_text_moderated", _("Free-text answer moderated")

    process = models.ForeignKey(
        Process,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("process"),
    )
    idea = models.ForeignKey(
        Idea, on_delete=models.CASCADE, null=True, blank=True, related_name="events", verbose_name=_("idea")
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("comment")
    )
    acting_town = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acting town"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    objects = TownScopedManager(shared_with=("process__partner_towns", "idea__process__partner_towns"))  # type: ignore[misc]  # factory-made manager

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("participation history entry")
        verbose_name_plural = _("participation history")
        indexes = [
            models.Index(fields=["municipality", "-at"], name="participation_event_town_time"),
            # A process's latest entries (the staff process page shows 30): read in order instead of
            # joining and sorting all of them (2,000 for a process with 800 ideas).
            models.Index(fields=["process", "-at", "-id"], name="participation_event_process"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    def history_model(self) -> type[models.Model]:
        """The model whose fields ``changes`` names (for their labels and formats, see smartcity5.history)."""
        if self.comment_id:
            return Comment
        if self.idea_id:
            return Idea
        return Process if self.process_id else ParticipationSettings

    def recorded(self) -> None:
        # What the public sees of the process changed: its stored freshness (and, after these kinds, its count of
        # published ideas) moves on in the writer's transaction; other apps (open data) are told.
        from .services import RECOUNTED, touch_processes
        from .signals import participation_changed

        process_id = (
            self.process_id
            or (self.idea.process_id if self.idea_id else None)  # type: ignore[union-attr]  # idea_id checked
            or (self.comment.idea.process_id if self.comment_id else None)  # type: ignore[union-attr]
        )
        if process_id is not None:
            touch_processes([process_id], recount=self.kind in RECOUNTED)
        participation_changed.send(sender=ParticipationEvent, municipality_id=self.municipality_id)
