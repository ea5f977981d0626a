"""Tasks of the participation app: who is told about what (status changes, answers, comments, moderation,
projects that came from ideas), and the letters of voting codes. Enqueued by the services after the transaction commits; each notification
reaches each person once, because its key names the event (see :func:`notifications.services.notify`)."""

from collections.abc import Callable
from typing import TypedDict

from celery import shared_task
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from accounts.selectors import town_editors
from municipalities.models import Municipality
from municipalities.scoping import cross_town_scope
from municipalities.tasks import MAIL_TASK, RETRY_TRANSIENT, TRANSIENT_ERRORS, TownTask
from notifications.services import notify
from smartcity5.jobs import GeneratedFileTask, generated_files_purge, job_build

from . import models as m

# An idea may have hundreds of supporters to tell: more time than one mail, the same retries.
LIMITS = {**MAIL_TASK, "soft_time_limit": 120, "time_limit": 150}


class _Title(TypedDict):
    """What a notification says (``notify(title=...)``; the body, if any, passed beside it)."""

    title: str


class _Texts(_Title):
    """What a notification says (``notify(title=..., body=...)``)."""

    body: str


def _excerpt(text: str, words: int = 40) -> str:
    return Truncator(" ".join((text or "").split())).words(words)


@shared_task(base=TownTask, **LIMITS)
def idea_answer_notify(*, municipality: Municipality, answer_id: int) -> int:
    """The idea's author and its supporters hear about an official answer (and the new status)."""
    answer = (
        m.OfficialAnswer.objects.select_related("idea", "idea__author", "answering_town")
        .filter(pk=answer_id)
        .first()
    )
    if answer is None or not answer.idea.is_visible:
        return 0
    idea = answer.idea
    supporters = [
        s.user for s in m.Support.objects.filter(idea=idea, user__isnull=False).select_related("user")
    ]
    recipients = {u.pk: u for u in [idea.author, *supporters] if u is not None and u.pk != answer.author_id}
    return len(
        notify(
            municipality=municipality,
            recipients=recipients.values(),
            kind="idea.status",
            key=f"idea:answer:{answer.pk}",
            **_answer_texts(answer),
            url=idea.get_absolute_url(),
        )
    )


def _answer_texts(answer: m.OfficialAnswer) -> _Texts:
    idea = answer.idea
    with translation.override(settings.LANGUAGE_CODE):
        if answer.status_after != answer.status_before:
            title = (
                _("The idea “%(title)s” is now “%(status)s”")
                if idea.is_visible
                else _("An idea you wrote or support is now “%(status)s”")
            ) % {"title": idea.title, "status": m.IdeaStatus(answer.status_after).label}
        else:
            title = (
                _("%(town)s has answered on the idea “%(title)s”")
                if idea.is_visible
                else _("%(town)s has answered on an idea you wrote or support")
            ) % {"town": answer.answering_town.name, "title": idea.title}
        return {"title": title, "body": _excerpt(answer.body)}


@shared_task(base=TownTask, **LIMITS)
def comment_notify(*, municipality: Municipality, comment_id: int) -> int:
    """A new published comment: the idea's author hears of it, and for a reply the comment's author."""
    comment = (
        m.Comment.objects.select_related("idea", "idea__author", "parent__author")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None or not comment.is_visible or not comment.idea.is_visible:
        return 0
    idea = comment.idea
    recipients = {}
    for user in (idea.author, comment.parent.author if comment.parent_id else None):  # type: ignore[union-attr]  # parent_id checked
        if user is not None and user.pk != comment.author_id:
            recipients[user.pk] = user
    return len(
        notify(
            municipality=municipality,
            recipients=recipients.values(),
            kind="idea.comment",
            key=f"idea:comment:{comment.pk}",
            **_comment_texts(comment),
            url=f"{idea.get_absolute_url()}#comment-{comment.pk}",
        )
    )


def _comment_texts(comment: m.Comment) -> _Texts:
    """A comment's notification quotes the comment and names its idea only while both are published."""
    idea = comment.idea
    with translation.override(settings.LANGUAGE_CODE):
        title = (
            _("New comment on “%(title)s”") % {"title": idea.title}
            if idea.is_visible
            else _("New comment on an idea")
        )
        body = (
            _excerpt(comment.body)
            if comment.is_visible and idea.is_visible
            else _("This comment is no longer published.")
        )
        return {"title": title, "body": body}


def _target(idea_id, comment_id):
    if idea_id is not None:
        return m.Idea.objects.select_related("author").filter(pk=idea_id).first()
    return m.Comment.objects.select_related("author", "idea").filter(pk=comment_id).first()


@shared_task(base=TownTask, **LIMITS)
def moderation_waiting_notify(
    *, municipality: Municipality, idea_id: int | None = None, comment_id: int | None = None
) -> int:
    """New content waits for moderation (pre-moderation, or hidden after reports): the town's editors."""
    target = _target(idea_id, comment_id)
    if target is None or target.moderation not in (m.Moderation.PENDING, m.Moderation.REPORTED):
        return 0
    what = "idea" if idea_id is not None else "comment"
    idea = target if what == "idea" else target.idea
    # A contribution can wait more than once (reported again after approval): count the earlier waits.
    round_ = m.ParticipationEvent.objects.filter(
        kind__in=[
            m.ParticipationEvent.Kind.AUTO_HIDDEN,
            m.ParticipationEvent.Kind.APPROVED,
            m.ParticipationEvent.Kind.HIDDEN,
        ],
        **({"comment": target} if what == "comment" else {"idea": target, "comment__isnull": True}),
    ).count()
    return len(
        notify(
            municipality=municipality,
            recipients=town_editors(municipality=municipality),
            kind="moderation.waiting",
            key=f"moderation:{what}:{target.pk}:{target.moderation}:{round_}",
            **_waiting_texts(idea, what=what, state=target.moderation),
            url=reverse("participation:staff-moderation", kwargs={"town_slug": municipality.slug}),
        )
    )


def _waiting_texts(idea: m.Idea, *, what: str, state: str) -> _Title:
    """For the town's editors, who decide on it: the idea's current title, until a moderator has hidden it."""
    quote = idea.moderation != m.Moderation.HIDDEN
    with translation.override(settings.LANGUAGE_CODE):
        if state == m.Moderation.PENDING:
            if what == "idea":
                title = (
                    _("A new idea waits for moderation: “%(title)s”")
                    if quote
                    else _("A new idea waits for moderation")
                )
            else:
                title = (
                    _("A new comment on “%(title)s” waits for moderation")
                    if quote
                    else _("A new comment waits for moderation")
                )
        elif what == "idea":
            title = (
                _("An idea was hidden after reports: “%(title)s”")
                if quote
                else _("An idea was hidden after reports")
            )
        else:
            title = (
                _("A comment on “%(title)s” was hidden after reports")
                if quote
                else _("A comment was hidden after reports")
            )
        return {"title": title % {"title": idea.title} if quote else title}


@shared_task(base=TownTask, **LIMITS)
def content_hidden_notify(
    *, municipality: Municipality, idea_id: int | None = None, comment_id: int | None = None
) -> int:
    """A moderator hid a contribution: its author is told why."""
    target = _target(idea_id, comment_id)
    if target is None or target.moderation != m.Moderation.HIDDEN or target.author is None:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        body = _("Reason: %(reason)s") % {"reason": target.moderation_reason}
    stamp = target.moderated_at.isoformat() if target.moderated_at else ""
    what = "idea" if idea_id is not None else "comment"
    return len(
        notify(
            municipality=municipality,
            recipients=[target.author],
            kind="moderation.hidden",
            key=f"moderation:hidden:{what}:{target.pk}:{stamp}",
            **_hidden_texts(target),
            body=body,
            url=reverse("participation-mine"),
        )
    )


def _hidden_texts(target: m.Idea | m.Comment) -> _Title:
    """The author is told that a contribution was hidden without quoting it (what was hidden is not repeated,
    not even to its author: the notification may be mailed and kept); a hidden comment names its idea while
    that idea is published. The reason (the body) is the moderator's own text and is kept as it was sent."""
    with translation.override(settings.LANGUAGE_CODE):
        if isinstance(target, m.Idea):
            return {
                "title": _("Your idea in “%(process)s” has been hidden") % {"process": target.process.title}
            }
        idea = target.idea
        return {
            "title": _("Your comment on “%(title)s” has been hidden") % {"title": idea.title}
            if idea.is_visible
            else _("Your comment on an idea has been hidden")
        }


@shared_task(base=TownTask, **LIMITS)
def idea_assessed_notify(*, municipality: Municipality, idea_id: int, event_id: int) -> int:
    """The town has checked a proposal of a participatory budget (feasible or not, with the reason): its author
    hears of the verdict, once per check (the key names the history row)."""
    from smartcity5.money import format_eur

    idea = m.Idea.objects.select_related("author").filter(pk=idea_id).first()
    event = m.ParticipationEvent.objects.filter(pk=event_id, idea_id=idea_id).first()
    if idea is None or event is None or idea.author is None or not idea.is_visible:
        return 0
    if idea.feasibility == m.Feasibility.PENDING or idea.author_id == event.actor_id:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        if idea.feasibility == m.Feasibility.FEASIBLE:
            title = _("Your proposal “%(title)s” is feasible and costs about %(cost)s") % {
                "title": idea.title,
                "cost": format_eur(idea.cost_estimate or 0, places=0),
            }
        else:
            title = _("Your proposal “%(title)s” is not feasible") % {"title": idea.title}
        body = _excerpt(idea.feasibility_reason)
    return len(
        notify(
            municipality=municipality,
            recipients=[idea.author],
            kind="idea.status",
            key=f"idea:assessed:{idea.pk}:{event.pk}",
            title=title,
            body=body,
            url=idea.get_absolute_url(),
        )
    )


#: For how many days after a vote has ended its winners are still told (a missed beat run catches up).
WINNERS_TOLD_FOR_DAYS = 7


@shared_task(soft_time_limit=60, time_limit=90, **RETRY_TRANSIENT)
def budget_winners_dispatch() -> int:
    """Platform job (beat, daily): one :func:`budget_won_notify` per participatory budget whose vote ended in
    the last days (each winner's people are told once, so running again tells nobody twice)."""
    import datetime

    from django.utils import timezone

    from municipalities.scoping import scopes_disabled

    today = timezone.localdate()
    with scopes_disabled():
        rows = list(
            m.ProcessPhase.objects.filter(
                kind=m.Phase.VOTE,
                process__vote_mode=m.VoteMode.BUDGET,
                process__is_published=True,
                ends_on__lt=today,
                ends_on__gte=today - datetime.timedelta(days=WINNERS_TOLD_FOR_DAYS),
            ).values_list("process__municipality_id", "process_id")
        )
    for municipality_id, process_id in rows:
        budget_won_notify.delay_on_commit(municipality_id=municipality_id, process_id=process_id)
    return len(rows)


@shared_task(base=TownTask, **LIMITS)
def budget_won_notify(*, municipality: Municipality, process_id: int) -> int:
    """The results of a participatory budget are public: the authors and supporters of each winning proposal
    hear that it won, once per proposal (the key names the idea)."""
    from participation.selectors.ballots import vote_results

    process = m.Process.objects.prefetch_related("phases").filter(pk=process_id).first()
    if process is None or not process.is_budget or not process.results_public():
        return 0
    told = 0
    for idea in vote_results(process=process)["winners"]:
        supporters = [
            s.user for s in m.Support.objects.filter(idea=idea, user__isnull=False).select_related("user")
        ]
        recipients = {u.pk: u for u in [idea.author, *supporters] if u is not None}
        with translation.override(settings.LANGUAGE_CODE):
            title = _("The proposal “%(title)s” has won in the participatory budget “%(process)s”") % {
                "title": idea.title,
                "process": process.title,
            }
        told += len(
            notify(
                municipality=municipality,
                recipients=recipients.values(),
                kind="idea.status",
                key=f"idea:won:{idea.pk}",
                title=title,
                url=idea.get_absolute_url(),
            )
        )
    return told


@shared_task(base=TownTask, **LIMITS)
def idea_linked_notify(*, municipality: Municipality, idea_id: int, event_id: int) -> int:
    """An idea was linked to the project it led to: its author and supporters hear of it, once per link (the
    key names the history row of the link; linking again later is a new link). Only while the idea is
    published, the link still stands and the project is public."""
    from projects.models import Project

    idea = m.Idea.objects.select_related("author", "project").filter(pk=idea_id).first()
    event = m.ParticipationEvent.objects.filter(pk=event_id, idea_id=idea_id).first()
    if idea is None or event is None or not idea.is_visible or idea.project is None:
        return 0
    project = idea.project
    if project.visibility != Project.Visibility.PUBLIC:
        return 0  # an internal project is not announced to citizens
    supporters = [
        s.user for s in m.Support.objects.filter(idea=idea, user__isnull=False).select_related("user")
    ]
    recipients = {u.pk: u for u in [idea.author, *supporters] if u is not None and u.pk != event.actor_id}
    with translation.override(settings.LANGUAGE_CODE):
        body = _excerpt(project.summary)
    return len(
        notify(
            municipality=municipality,
            recipients=recipients.values(),
            kind="idea.project",
            key=f"idea:linked:{idea.pk}:{event.pk}",
            **_linked_texts(idea, project),
            body=body,
            url=project.get_absolute_url(),
        )
    )


def _linked_texts(idea: m.Idea, project) -> _Title:
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "title": (
                _("The idea “%(title)s” has led to the project “%(project)s”")
                if idea.is_visible
                else _("An idea you wrote or support has led to the project “%(project)s”")
            )
            % {"title": idea.title, "project": project.title}
        }


@shared_task(base=TownTask, **LIMITS)
def idea_project_notify(*, municipality: Municipality, project_id: int, event_id: int) -> int:
    """The project that came from an idea changed status: the idea's author and its supporters hear of it."""
    from projects.models import Project, ProjectEvent

    project = Project.objects.filter(pk=project_id).first()
    event = ProjectEvent.objects.filter(pk=event_id).first()
    if project is None or event is None or project.visibility != Project.Visibility.PUBLIC:
        return 0  # an internal project is not announced to citizens
    # The authors of the ideas it came from, and their supporters, follow the project.
    ideas = m.Idea.objects.visible().filter(project=project)
    authors = {
        idea.author_id: idea.author for idea in ideas.filter(author__isnull=False).select_related("author")
    }
    for support in m.Support.objects.filter(idea__in=ideas, user__isnull=False).select_related("user"):
        authors.setdefault(support.user_id, support.user)
    with translation.override(settings.LANGUAGE_CODE):
        title = _(
            "The project “%(project)s”, which came from an idea you wrote or support, is now “%(status)s”"
        ) % {
            "project": project.title,
            "status": project.get_status_display(),
        }
        body = _excerpt(event.reason)
    return len(
        notify(
            municipality=municipality,
            recipients=authors.values(),
            kind="idea.project",
            key=f"idea:project:{project.pk}:{event.pk}",
            title=title,
            body=body,
            url=project.get_absolute_url(),
        )
    )


# --- Notifications already given: what they quote follows the contribution --------------------------------


def notification_texts(key: str) -> _Title | None:
    """The texts of the participation notification ``key`` as they are written now, with the contribution as it
    is now: the current title and text, and no quote of what is hidden. ``None`` when the key is not one of
    these tasks' or its subject is gone (the stored texts are then left as they are).

    The services call this through :func:`notifications.services.notifications_refresh` in the transaction that
    hides, publishes or edits a contribution, so that the in-app list, a mail still waiting in the outbox and
    the next digest (which all read the stored row when they show or send it) never repeat what was removed."""
    parts = key.split(":")
    try:
        if parts[:2] == ["idea", "answer"]:
            answer = (
                m.OfficialAnswer.objects.select_related("idea", "answering_town")
                .filter(pk=int(parts[2]))
                .first()
            )
            return _answer_texts(answer) if answer is not None else None
        if parts[:2] == ["idea", "comment"]:
            comment = m.Comment.objects.select_related("idea").filter(pk=int(parts[2])).first()
            return _comment_texts(comment) if comment is not None else None
        if parts[:2] == ["idea", "linked"]:
            idea = m.Idea.objects.select_related("project").filter(pk=int(parts[2])).first()
            if idea is None or idea.project is None:
                return None
            return _linked_texts(idea, idea.project)
        if parts[:2] == ["moderation", "hidden"]:
            what, pk = parts[2], int(parts[3])
            target = _target(pk if what == "idea" else None, pk if what == "comment" else None)
            return _hidden_texts(target) if target is not None else None
        if parts[0] == "moderation" and parts[1] in ("idea", "comment"):
            what, pk, state = parts[1], int(parts[2]), parts[3]
            target = _target(pk if what == "idea" else None, pk if what == "comment" else None)
            if target is None:
                return None
            return _waiting_texts(target if what == "idea" else target.idea, what=what, state=state)
    except (IndexError, ValueError):
        return None
    return None


# --- Voting codes: the letters and their purge ---------------------------------------------------------------


class LettersTask(GeneratedFileTask, TownTask):
    """A town task that marks its batch of codes failed, with the reason, once it gives up."""

    abstract = True
    job_model = "participation.VotingCodeBatch"


@shared_task(
    base=LettersTask,
    bind=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=15,
    retry_backoff_max=300,
    max_retries=4,
    # 5,000 letters take about 2 minutes of CPU to typeset (bench/README.md); under load several times that.
    soft_time_limit=900,
    time_limit=960,
)
def voting_code_letters_build(self, *, municipality: Municipality, batch_id: int) -> bool:
    """Make a batch's codes and their letters: :func:`voting_code_letters_make`."""
    return voting_code_letters_make(batch_id)


def voting_code_letters_make(batch_id: int, *, keep: Callable[[list[str]], None] | None = None) -> bool:
    """Make a batch's codes and their letters (``smartcity5.jobs.job_build``): the codes exist in plain only in
    this run and in the PDF; their hashes are saved in the transaction that stores the PDF and marks the batch
    done, so the codes become valid with their letters, once, whatever the deliveries.

    ``keep`` is handed the plain codes in the letters' order, once they are valid: only for the demo
    (``participation.demo.codes``), which builds its batch at once and votes with some of its codes."""
    from .letters import letters_pdf
    from .services import codes as codes_services

    made: dict[str, list] = {}

    def build(batch: m.VotingCodeBatch, progress) -> bytes:
        plain, rows = codes_services.voting_codes_make(batch)
        made["plain"], made["rows"] = plain, rows
        return letters_pdf(batch, plain, progress=progress)

    def store(batch: m.VotingCodeBatch) -> None:
        codes_services.voting_codes_save(made.get("rows", []))
        if keep is not None:
            keep(made["plain"])

    return job_build(
        m.VotingCodeBatch, batch_id, build=build, notify=store, related=("municipality", "process")
    )


@shared_task(soft_time_limit=300, time_limit=360, **RETRY_TRANSIENT)
def voting_code_letters_purge() -> int:
    """Platform job (beat, hourly): delete the letters whose time is over; the batches and the codes' hashes stay
    (the page says the letters were deleted). Returns how many files it deleted."""
    with cross_town_scope(purpose="job:voting-code-letters-purge"):
        return generated_files_purge(m.VotingCodeBatch.objects.all())
