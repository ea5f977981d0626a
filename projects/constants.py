"""Rules of the programme and of projects that other apps read too: the programme phase of a project or a
milestone, and when a project without an update counts as stale."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProgrammePhase(models.TextChoices):
    """The phase of the Modellprojekte Smart Cities programme: A, the strategy (with first measures), B, its
    implementation. A project (``Project.phase``) and a grant's milestone (``Milestone.phase``) name one."""

    A = "A", _("Phase A – strategy")
    B = "B", _("Phase B – implementation")


#: A project counts as stale when its last published progress update is older than this (or it has none): the
#: staff dashboard lists it, and the Agentur's figures count the open projects updated within this window.
STALE_AFTER_DAYS = 90
