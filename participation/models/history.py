"""The history of every decision in a process."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from municipalities.scoping import TownScopedManager
from participation.models.codes import VotingCodeBatch
from participation.models.contributions import Comment
from participation.models.ideas import Idea
from participation.models.processes import ParticipationSettings, Process
from smartcity5.history import HistoryEvent


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
        VOTING_CODES = "voting_codes", _("Voting codes generated")
        FEASIBILITY = "feasibility", _("Costs and feasibility checked")
        PAPER_BALLOT = "paper_ballot", _("Paper ballot entered")

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
        if self.kind == self.Kind.VOTING_CODES:
            return VotingCodeBatch  # a batch's number of codes and what they are for
        if self.comment_id:
            return Comment
        if self.idea_id:
            return Idea
        return Process if self.process_id else ParticipationSettings

    def recorded(self) -> None:
        # What the public sees of the process changed: its stored freshness (and, after these kinds, its count of
        # published ideas) moves on in the writer's transaction; other apps (open data) are told.
        from participation.services.common import RECOUNTED, touch_processes
        from participation.signals import participation_changed

        process_id = (
            self.process_id
            or (self.idea.process_id if self.idea_id else None)  # type: ignore[union-attr]  # idea_id checked
            or (self.comment.idea.process_id if self.comment_id else None)  # type: ignore[union-attr]
        )
        if process_id is not None:
            touch_processes([process_id], recount=self.kind in RECOUNTED)
        participation_changed.send(sender=ParticipationEvent, municipality_id=self.municipality_id)
