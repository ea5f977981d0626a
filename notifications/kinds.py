"""The registry of notification kinds: what people can be told about, who sees the kind, and how it is mailed
by default."""

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Delivery(models.TextChoices):
    """How a person wants the e-mail of a kind of notification; the in-app notification always comes."""

    IMMEDIATE = "immediate", _("Immediately by e-mail")
    DAILY = "daily", _("Daily summary by e-mail")
    WEEKLY = "weekly", _("Weekly summary by e-mail (Mondays)")
    NONE = "none", _("In the app only, no e-mail")


DIGEST_PLANS = (Delivery.DAILY, Delivery.WEEKLY)


class Audience(StrEnum):
    EVERYONE = "everyone"
    STAFF = (
        "staff"  # accounts.permissions.holds_privileged_role: town staff, Agentur moderators, platform admins
    )


@dataclass(frozen=True)
class Kind:
    key: str
    label: "StrOrPromise"
    help_text: "StrOrPromise"
    audience: Audience
    default: Delivery
    # False for a person's own matters (their data export): the mail names no town, whichever row it hangs on.
    town_bound: bool = True


_KINDS = (
    Kind(
        "funding.deadline",
        _("Funding deadlines"),
        _("A milestone or proof of use of your town's funding is due soon or overdue."),
        Audience.STAFF,
        Delivery.IMMEDIATE,
    ),
    Kind(
        "idea.status",
        _("Status of ideas"),
        _("An idea you wrote or support changed its status or got an official answer."),
        Audience.EVERYONE,
        Delivery.IMMEDIATE,
    ),
    Kind(
        "idea.comment",
        _("Comments"),
        _("Someone commented on your idea or replied to your comment."),
        Audience.EVERYONE,
        Delivery.IMMEDIATE,
    ),
    Kind(
        "idea.project",
        _("Projects from ideas"),
        _("An idea you wrote or support has led to a project, or that project changed its status."),
        Audience.EVERYONE,
        Delivery.IMMEDIATE,
    ),
    Kind(
        "survey.opened",
        _("Surveys"),
        _("A process you took part in has started a survey."),
        Audience.EVERYONE,
        Delivery.DAILY,
    ),
    Kind(
        "survey.results",
        _("Survey results"),
        _("The results of a survey you answered, or of a process you took part in, are published."),
        Audience.EVERYONE,
        Delivery.DAILY,
    ),
    Kind(
        "moderation.waiting",
        _("Waiting for moderation"),
        _("New contributions in your town wait for moderation."),
        Audience.STAFF,
        Delivery.DAILY,
    ),
    Kind(
        "moderation.hidden",
        _("Hidden contributions"),
        _("A moderator hid one of your contributions (with the reason)."),
        Audience.EVERYONE,
        Delivery.IMMEDIATE,
    ),
    Kind(
        "account.export",
        _("Data export"),
        _("The export of your data is ready for download."),
        Audience.EVERYONE,
        Delivery.IMMEDIATE,
        town_bound=False,
    ),
    Kind(
        "review.submitted",
        _("Progress reports received"),
        _("A town has submitted its quarterly progress report to the Agentur (moderators)."),
        Audience.STAFF,
        Delivery.IMMEDIATE,
    ),
    Kind(
        "review.decided",
        _("Review of progress reports"),
        _("The Agentur has accepted or returned your town's progress report."),
        Audience.STAFF,
        Delivery.IMMEDIATE,
    ),
    Kind(
        "review.comment",
        _("Comments on progress reports"),
        _("The Agentur commented on your town's progress report, or a town answered (moderators)."),
        Audience.STAFF,
        Delivery.IMMEDIATE,
    ),
    Kind(
        "report.ready",
        _("Reports"),
        _("A report you asked for, or the monthly region report, is ready for download."),
        Audience.STAFF,
        Delivery.IMMEDIATE,
    ),
    Kind(
        "funding.terms",
        _("Terms of grants"),
        _("A town recorded a grant or changed its terms: dates, eligible costs, funding rate (moderators)."),
        Audience.STAFF,
        Delivery.IMMEDIATE,
    ),
)

KINDS: dict[str, Kind] = {kind.key: kind for kind in _KINDS}


def kind_get(key: str) -> Kind:
    """The registered kind ``key``; an unknown key is a programming error (a typo), so it fails loudly."""
    try:
        return KINDS[key]
    except KeyError:
        raise ValueError(
            f"Unknown notification kind {key!r} (register it in notifications/kinds.py)"
        ) from None


def kinds_for(user) -> list[Kind]:
    """The kinds a person can receive and set: staff kinds only for town staff and Agentur moderators."""
    from accounts.permissions import holds_privileged_role

    privileged = holds_privileged_role(user)
    return [kind for kind in _KINDS if kind.audience == Audience.EVERYONE or privileged]
