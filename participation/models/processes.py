"""Processes with their settings, phases and partner towns."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from municipalities.scoping import TownOwnedModel, TownScopedManager
from projects.models import FieldOfAction
from smartcity5.constraints import CheckConstraint

# Lookups by which the towns of a process see the rows that hang off it.
PROCESS_TOWNS = ("process__municipality", "process__partner_towns")


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
            CheckConstraint(condition=Q(report_threshold__gte=1), name="participation_threshold_positive"),
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


class VoteMode(models.TextChoices):
    """How the vote phase of a process is run."""

    VOTES = "votes", _("Votes: each person distributes a number of votes over the shortlist")
    BUDGET = "budget", _("Participatory budget: each person chooses proposals whose costs fit the budget")


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
    vote_by_codes = models.BooleanField(
        _("vote with voting codes"),
        default=False,
        help_text=_(
            "Residents vote with a code from a letter instead of an account (staff generate the codes and "
            "letters under “Voting codes”). A code votes once and is never linked to a person."
        ),
    )
    vote_mode = models.CharField(
        _("kind of vote"),
        max_length=8,
        choices=VoteMode.choices,
        default=VoteMode.VOTES,
        help_text=_(
            "In a participatory budget (Bürgerhaushalt) ideas are proposals with costs; the town checks their "
            "costs and feasibility, and people choose feasible proposals up to the budget."
        ),
    )
    budget_cap = models.DecimalField(
        _("budget"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("The money available for the winning proposals, in euros (participatory budget only)."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Kept on write by participation.services.common.touch_processes, in the transaction of every write that changes what
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
            CheckConstraint(
                condition=Q(votes_per_person__gte=1, votes_per_idea__gte=1), name="process_votes_positive"
            ),
            CheckConstraint(
                condition=Q(votes_per_idea__lte=F("votes_per_person")),
                name="process_votes_per_idea_within_total",
            ),
            CheckConstraint(condition=Q(vote_mode__in=["votes", "budget"]), name="process_vote_mode_valid"),
            # A participatory budget has a budget to spend.
            CheckConstraint(
                condition=Q(vote_mode="votes") | Q(budget_cap__gte=1), name="process_budget_has_cap"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self, municipality=None) -> str:
        slug = municipality.slug if municipality is not None else self.municipality.slug
        return reverse("participation:process", kwargs={"town_slug": slug, "slug": self.slug})

    def clean(self):
        if self.votes_per_idea and self.votes_per_person and self.votes_per_idea > self.votes_per_person:
            raise ValidationError(
                {"votes_per_idea": _("A person cannot give one idea more votes than they have.")}
            )
        if self.vote_mode == VoteMode.BUDGET and self.budget_cap is None:
            raise ValidationError({"budget_cap": _("A participatory budget needs the budget in euros.")})

    @property
    def is_budget(self) -> bool:
        """Bürgerhaushalt: the vote chooses proposals within a budget."""
        return self.vote_mode == VoteMode.BUDGET

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
            CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")), name="phase_dates_ordered"
            ),
            CheckConstraint(
                condition=Q(ends_on__isnull=False) | Q(kind="results"),
                name="phase_end_required_except_results",
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    def contains(self, day: datetime.date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)
