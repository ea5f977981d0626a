"""Voting codes (Abstimmungscodes): codes that staff generate per town and process and send to residents as
letters, so that people without an account can answer a survey or vote, once per code.

A :class:`VotingCodeBatch` is one order of codes (how many, for which process and for what: the vote or the
survey) and, as a generated file (:class:`smartcity5.jobs.GeneratedFile`), the PDF of letters the worker builds
from it. The plain codes exist only in that PDF: the rows of :class:`VotingCode` keep a keyed hash of each code
(``participation.services.codes.code_hash``), written in the same transaction that stores the letters, and
whether it was used. Nothing links a code to a person: no row names who received a letter, and a ballot or a
survey response cast with a code names no user.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from municipalities.scoping import TownOwnedModel, TownScopedManager
from participation.models.processes import Process
from smartcity5.constraints import CheckConstraint
from smartcity5.jobs import GeneratedFile

#: The most codes one batch makes (one letter a page): WeasyPrint holds every page of the document in memory (about
#: 0.16 MB a page) and typesets about 20 ms of CPU a page, so a bigger town orders several batches (bench/README.md).
MAX_CODES_PER_BATCH = 5_000


class CodePurpose(models.TextChoices):
    """What a code of a batch is good for: each letter says where to enter it."""

    VOTE = "vote", _("the vote")
    SURVEY = "survey", _("the survey")


class VotingCodeBatch(TownOwnedModel, GeneratedFile):
    """One order of voting codes of a town for one process, and the PDF of letters built from it (one code a
    page). ``municipality`` is the town whose residents get the letters (a partner town of a joint process
    orders its own)."""

    process = models.ForeignKey(
        Process,
        on_delete=models.CASCADE,
        related_name="voting_code_batches",
        verbose_name=_("participation process"),
    )
    purpose = models.CharField(_("for"), max_length=10, choices=CodePurpose.choices)
    count = models.PositiveIntegerField(_("number of codes"))

    objects = TownScopedManager()  # type: ignore[misc]  # factory-made manager

    class Meta(GeneratedFile.Meta):
        verbose_name = _("batch of voting codes")
        verbose_name_plural = _("batches of voting codes")
        indexes = [models.Index(fields=["expires_at"], name="code_batch_expiry")]
        constraints = [
            *GeneratedFile.Meta.constraints,
            CheckConstraint(condition=Q(purpose__in=["vote", "survey"]), name="code_batch_purpose_valid"),
            CheckConstraint(
                condition=Q(count__gte=1, count__lte=MAX_CODES_PER_BATCH), name="code_batch_count_range"
            ),
        ]

    JOB_TASK = "participation.tasks.voting_code_letters_build"
    JOB_ID_KWARG = "batch_id"
    FILE_FOLDER = "letters"
    KEEP_ROWS = True  # the batch and its codes stay; only the letters (the plain codes) go

    def __str__(self) -> str:
        return f"{self.process} – {self.count}"

    def job_task_kwargs(self) -> dict:
        return {"municipality_id": self.municipality_id, "batch_id": self.pk}

    @classmethod
    def lifetime(cls) -> datetime.timedelta:
        return datetime.timedelta(days=settings.VOTING_CODE_LETTERS_LIFETIME_DAYS)

    @classmethod
    def time_limit_reason(cls) -> str:
        return gettext(
            "Generating the letters took too long and was stopped. Please order fewer codes at a time."
        )

    @property
    def file_format(self) -> str:
        return "pdf"

    def download_name(self) -> str:
        return f"abstimmungscodes-{self.process.slug}-{self.pk}.pdf"


class VotingCode(TownOwnedModel):
    """One code of a batch, as a keyed hash: it can be checked, never read back. ``used_at`` is set, under the
    row's lock, when the code is used; the process and purpose are the batch's, copied so that a code is found
    and checked with one row."""

    batch = models.ForeignKey(
        VotingCodeBatch, on_delete=models.CASCADE, related_name="codes", verbose_name=_("batch")
    )
    process = models.ForeignKey(
        Process, on_delete=models.CASCADE, related_name="+", verbose_name=_("participation process")
    )
    purpose = models.CharField(_("for"), max_length=10, choices=CodePurpose.choices)
    code_hash = models.CharField(_("hash of the code"), max_length=64, unique=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    objects = TownScopedManager()  # type: ignore[misc]  # factory-made manager

    class Meta:
        verbose_name = _("voting code")
        verbose_name_plural = _("voting codes")
        indexes = [models.Index(fields=["batch", "used_at"], name="voting_code_batch_used")]

    def __str__(self) -> str:
        return gettext("Voting code %(pk)s") % {"pk": self.pk}
