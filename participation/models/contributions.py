"""Comments, supports and the vote on a shortlist (ballots and their votes)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from municipalities.scoping import TownOwnedModel, TownScopedManager
from participation.models.ideas import IDEA_TOWNS, Idea
from participation.models.moderation import Moderated, ModeratedManager
from participation.models.processes import PROCESS_TOWNS, Process
from smartcity5.constraints import CheckConstraint


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
            CheckConstraint(
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
    the database; the votes on it can change until the vote ends. In a vote by codes the ballot names the
    voting code instead (one per code, and never a person), and it cannot be changed."""

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
    voting_code = models.ForeignKey(
        "participation.VotingCode",
        # A code that voted goes only with its process (which takes the ballot along).
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("voting code"),
        help_text=_("Cast with a voting code instead of an account (never both)."),
    )
    # A paper ballot (from the post or a ballot box) typed in by staff: it has no voter account.
    is_paper = models.BooleanField(_("paper ballot"), default=False, editable=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
        editable=False,
    )
    created_at = models.DateTimeField(_("cast"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    objects = TownScopedManager(shared_with=PROCESS_TOWNS)  # type: ignore[misc]  # factory-made manager

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(fields=["process", "user"], name="ballot_once_per_person"),
            models.UniqueConstraint(fields=["process", "voting_code"], name="ballot_once_per_code"),
            CheckConstraint(
                condition=Q(user__isnull=True) | Q(voting_code__isnull=True), name="ballot_person_or_code"
            ),
            CheckConstraint(
                condition=Q(is_paper=False) | Q(user__isnull=True), name="ballot_paper_without_voter"
            ),
        ]

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
            CheckConstraint(condition=Q(count__gte=1), name="vote_count_positive"),
        ]
