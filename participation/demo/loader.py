"""Demo participation (from ``participation.json``): per town a process collecting ideas today, Arnsberg's
finished process with its shortlist, vote and results, a joint process of Arnsberg and Menden whose vote is open on
the day of loading, and Bad Berleburg's participatory budget (Bürgerhaushalt) in its vote by voting codes, made
through :mod:`participation.services` so that phases, moderation, answers, ballots and history are real.

* Phase dates in the file are days relative to the day of loading, so the demo always has running processes.
* Every contribution is made on a day its process allowed it (the services' ``on=``). The services stamp
  their rows with the moment of loading; the loader then dates ideas, comments, answers and history entries
  back to that day (timestamps only, nothing the services decide), so that lists and histories read true.
* Contributions of demo citizens (online ideas, comments, supports, reports, ballots) come only with the demo
  accounts; without them, only what staff enter from paper (offline ideas) and the towns' answers.
* A process whose vote is by codes (``codes`` in the file: how many letters, how many of them used) gets its
  batch of letters (:mod:`participation.demo.codes`), and its ballots are cast with the codes of the last letters
  (``ballot_cast(code=…)``), anonymous like every ballot by code; the first letters' codes stay unused.
* Demo citizens get their e-mails as a daily summary, so that loading does not mail every answer and comment.

Idempotent: a process whose address exists is left alone. Deterministic: seeded random choices.
"""

import datetime
import json
import random
from decimal import Decimal
from pathlib import Path

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from municipalities.demo.loader import DEMO_DOMAIN, DEMO_PASSWORD, DemoAccount
from municipalities.models import Municipality
from municipalities.scoping import town_scope
from notifications.kinds import Delivery, kinds_for
from notifications.services import preferences_save
from participation.services import answers as answers_services
from participation.services import ballots as ballots_services
from participation.services import budget as budget_services
from participation.services import comments as comments_services
from participation.services import flags as flags_services
from participation.services import ideas as ideas_services
from participation.services import processes as processes_services
from participation.services import supports as supports_services
from projects.models import FieldOfAction, Project
from smartcity5.slugs import german_slugify

from ..models import (
    Ballot,
    Comment,
    Idea,
    OfficialAnswer,
    ParticipationEvent,
    Phase,
    Process,
    VotingCode,
    VotingCodeBatch,
)
from .codes import order_demo_codes

DATA_FILE = Path(__file__).with_name("participation.json")
SEED = "smartcity5-participation-demo"

# The answers that walk an idea to its status (each status change comes with an answer).
PATHS = {
    "submitted": [],
    "under_review": ["under_review"],
    "accepted": ["accepted"],
    "rejected": ["rejected"],
    "implemented": ["accepted", "implemented"],
    "merged": ["merged"],
}
# Statuses of the ideas drawn from the shared pool: open in a running process, decided in a finished one.
RUNNING_STATUSES = {"submitted": 45, "under_review": 30, "accepted": 15, "rejected": 10}
FINISHED_STATUSES = {"submitted": 5, "under_review": 15, "accepted": 35, "rejected": 35, "implemented": 10}
COMMENT_PHASES = (Phase.IDEAS, Phase.EVALUATION)  # the vote allows comments too; the demo keeps it quiet
SUPPORT_PHASES = (Phase.IDEAS, Phase.EVALUATION)


def load_citizens(data: dict) -> list[User]:
    """The demo citizens (display names only, verified addresses). New ones get daily e-mail summaries."""
    password = None  # hashed once: hashing properly takes most of a second
    users = []
    for key, name in data["citizens"]:
        email = f"buerger-{key}@{DEMO_DOMAIN}"
        user = User.objects.filter(email=email).first()
        if user is None:
            password = password or make_password(DEMO_PASSWORD)
            user = User.objects.create(
                email=email, display_name=name, password=password, privacy_consent_at=timezone.now()
            )
            preferences_save(user=user, choices={kind.key: Delivery.DAILY for kind in kinds_for(user)})
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        users.append(user)
    return users


class _History:
    """Dates the history entries that the services have just written to the moment the demo says."""

    def __init__(self):
        self.mark = self._last()

    @staticmethod
    def _last() -> int:
        return ParticipationEvent._base_manager.aggregate(last=Max("pk"))["last"] or 0

    def date(self, when: datetime.datetime) -> None:
        last = self._last()
        if last > self.mark:
            ParticipationEvent._base_manager.filter(pk__gt=self.mark, pk__lte=last).update(at=when)
        self.mark = last


def _stamp(model, pk: int, **values) -> None:
    model._base_manager.filter(pk=pk).update(**values)


class _ProcessLoader:
    """Loads one process of the data file."""

    def __init__(
        self,
        item: dict,
        *,
        data: dict,
        towns: dict[str, Municipality],
        citizens: list[User],
        staff: dict[int, User | None],
        used_pool: dict[str, set],
        today: datetime.date,
        now: datetime.datetime,
    ):
        self.item, self.data, self.towns, self.citizens, self.staff = item, data, towns, citizens, staff
        self.today, self.now = today, now
        self.town = towns[item["town"]]
        self.slug = german_slugify(item["title"])[:100]
        self.rng = random.Random(f"{SEED}:{self.slug}")
        self.span = {
            kind: (self._day(start), None if end is None else self._day(end))
            for kind, (start, end) in item["phases"].items()
        }
        self.used_pool = used_pool.setdefault(self.town.slug, set())
        self.fields = FieldOfAction.objects.in_bulk(field_name="slug")
        self.history = _History()
        self.ideas: dict[str, dict] = {}  # title → {"idea", "spec", "day", "at"}
        self.comment_days: dict[int, datetime.date] = {}  # the day each comment was written on

    # --- time --------------------------------------------------------------------------------------------

    def _day(self, offset: int) -> datetime.date:
        return self.today + datetime.timedelta(days=offset)

    def _between(self, first: datetime.date, last: datetime.date | None) -> datetime.date:
        """A seeded day from ``first`` to ``last`` (a phase without an end: to today), never after today."""
        last = self.today if last is None else min(last, self.today)
        if last <= first:
            return first
        return first + datetime.timedelta(days=self.rng.randint(0, (last - first).days))

    def _moment(self, day: datetime.date, after: datetime.datetime | None = None) -> datetime.datetime:
        when = timezone.make_aware(
            datetime.datetime.combine(day, datetime.time(self.rng.randint(7, 21), self.rng.randint(0, 59)))
        )
        if after is not None and when <= after:
            when = after + datetime.timedelta(minutes=self.rng.randint(3, 240))
        return min(when, self.now - datetime.timedelta(minutes=self.rng.randint(1, 90)))

    def _end_of(self, kinds) -> datetime.date:
        """The last end of the phases ``kinds`` (a phase without an end lasts until today)."""
        return max(self.span[k][1] or self.today for k in kinds if k in self.span)

    @property
    def finished(self) -> bool:
        return all(
            end is not None and end < self.today
            for kind, (_start, end) in self.span.items()
            if kind != Phase.RESULTS
        )

    # --- helpers -----------------------------------------------------------------------------------------

    def _text(self, value: str, day: datetime.date | None = None) -> str:
        return value.replace("{town}", self.town.name).replace("{year}", str((day or self.today).year))

    def _acting(self, spec: dict) -> Municipality:
        return self.towns.get(spec.get("acting", ""), self.town)

    def _others(self, *people) -> list[User]:
        return [c for c in self.citizens if c not in people]

    def _fields(self, spec: dict) -> dict:
        at = spec.get("at")
        return {
            "title": spec["title"],
            "body": self._text(spec["body"]),
            "field_of_action": self.fields.get(spec.get("field")),
            "location_label": spec.get("place", ""),
            "latitude": Decimal(str(at[0])) if at else None,
            "longitude": Decimal(str(at[1])) if at else None,
            # A participatory budget's proposal: the author's estimate (kept only in such a process).
            "estimated_cost": Decimal(spec["cost"]) if "cost" in spec else None,
        }

    def _specs(self) -> list[dict]:
        pool = self.data["generic_ideas"]
        free = [i for i in range(len(pool)) if i not in self.used_pool]
        picked = self.rng.sample(free, min(self.item.get("generic", 0), len(free)))
        self.used_pool.update(picked)
        weights = FINISHED_STATUSES if self.finished else RUNNING_STATUSES
        generic = [
            {**pool[i], "status": self.rng.choices(list(weights), weights=list(weights.values()))[0]}
            for i in sorted(picked)
        ]
        specs = [*self.item["ideas"], *generic]
        self.rng.shuffle(specs)  # submitted in a mixed order, as people would
        return specs

    # --- loading -----------------------------------------------------------------------------------------

    def load(self) -> Process | None:
        if Process._base_manager.filter(slug=self.slug).exists():
            return None
        with town_scope(self.town):
            process = self._process()
            for spec in self._specs():
                self._idea(process, spec)
            for entry in self.ideas.values():
                self._supports(entry)
                self._comments(entry)
            for entry in list(self.ideas.values()):
                self._answers(entry)
                self._project(entry)
            self._assess()
            self._shortlist()
            self._ballots(process)
            self._paper_ballots(process)
            self._reports()
            self._moderation(process)
        return process

    def _process(self) -> Process:
        item = self.item
        phases = [
            {"kind": kind, "starts_on": start, "ends_on": end} for kind, (start, end) in self.span.items()
        ]
        process = processes_services.process_create(
            municipality=self.town,
            by=self.staff.get(self.town.pk),
            phases=phases,
            partner_towns=[self.towns[s] for s in item.get("partners", []) if s in self.towns],
            fields={
                "title": item["title"],
                "summary": item["summary"],
                "description": item.get("description", ""),
                "field_of_action": self.fields.get(item.get("field")),
                "is_published": True,
                "votes_per_person": item.get("votes_per_person", 3),
                "vote_mode": item.get("vote_mode", "votes"),
                "vote_by_codes": bool(item.get("codes")),
                "budget_cap": Decimal(item["budget_cap"]) if "budget_cap" in item else None,
            },
        )
        if process.slug != self.slug:  # the address must be what the next run looks for
            raise ValueError(
                f"Demo process {item['title']!r} got the address {process.slug!r}, not {self.slug!r}"
            )
        when = self._moment(self.span[Phase.INFORMATION][0])
        _stamp(Process, process.pk, created_at=when)
        self.history.date(when)
        return process

    def _idea(self, process: Process, spec: dict) -> None:
        offline = spec.get("offline")
        if not offline and not self.citizens:
            return
        first, last = self.span[Phase.IDEAS]
        day = self._between(first, last)
        when = self._moment(day)
        if offline:
            acting = self._acting(spec)
            idea = ideas_services.idea_enter_offline(
                process=process,
                by=self.staff.get(acting.pk),
                acting_town=acting,
                fields=self._fields(spec),
                source=offline,
                created_on=day,
            )
            _stamp(Idea, idea.pk, created_at=when, status_changed_at=when)
        else:
            author = self.rng.choice(self.citizens)
            idea = ideas_services.idea_submit(
                process=process, author=author, fields=self._fields(spec), consent=True, on=day
            )
            _stamp(Idea, idea.pk, created_at=when, status_changed_at=when, consent_at=when)
        self.history.date(when)
        self.ideas[spec["title"]] = {"idea": idea, "spec": spec, "day": day, "at": when}

    def _supports(self, entry: dict) -> None:
        idea, spec = entry["idea"], entry["spec"]
        if not self.citizens or "reports" in spec:
            return
        count = self.rng.randint(5, 10) if spec.get("popular") else self.rng.choice([0, 0, 1, 1, 2, 3, 4])
        others = self._others(idea.author)
        for user in self.rng.sample(others, min(count, len(others))):
            day = self._between(entry["day"], self._end_of(SUPPORT_PHASES))
            supports_services.support_add(idea=idea, user=user, on=day)

    def _comment(
        self,
        entry: dict,
        *,
        author: User,
        body: str,
        parent: Comment | None = None,
        official: bool = False,
        day: datetime.date | None = None,
        after: datetime.datetime | None = None,
    ) -> Comment:
        day = day or self._between(entry["day"], self._end_of(COMMENT_PHASES))
        when = self._moment(day, after=after or entry["at"])
        comment = comments_services.comment_post(
            idea=entry["idea"],
            author=author,
            body=body,
            parent=parent,
            official_for=self.town if official else None,
            on=day,
        )
        _stamp(Comment, comment.pk, created_at=when)
        comment.created_at = when
        self.comment_days[comment.pk] = day
        return comment

    def _comments(self, entry: dict) -> None:
        idea, spec = entry["idea"], entry["spec"]
        if not self.citizens or "reports" in spec:
            return
        count = self.rng.randint(2, 4) if spec.get("popular") else self.rng.choice([0, 0, 0, 1, 1, 2])
        staff = self.staff.get(self.town.pk)
        for body in self.rng.sample(self.data["comments"], count):
            author = self.rng.choice(self._others(idea.author))
            comment = self._comment(entry, author=author, body=body)
            if self.rng.random() >= 0.4:
                continue
            official = staff is not None and self.rng.random() < 0.3
            if official and staff is not None:
                replier, text = staff, self.rng.choice(self.data["official_replies"])
            else:
                own = idea.author
                replier = (
                    own
                    if own is not None and own != author and self.rng.random() < 0.5
                    else self.rng.choice(self._others(author))
                )
                text = self.rng.choice(self.data["replies"])
            self._comment(
                entry,
                author=replier,
                body=text,
                parent=comment,
                official=official,
                day=self._between(self.comment_days[comment.pk], self._end_of(COMMENT_PHASES)),
                after=comment.created_at,
            )
        if "comment_reported" in spec:
            reported = spec["comment_reported"]
            author = self.rng.choice(self._others(idea.author))
            comment = self._comment(entry, author=author, body=reported["body"])
            entry["reported_comment"] = comment

    def _answers(self, entry: dict) -> None:
        spec = entry["spec"]
        path = PATHS[spec.get("status", "submitted")]
        acting = self._acting(spec)
        by = self.staff.get(acting.pk)
        after = entry["at"]
        # Answers come while the ideas are evaluated; an implementation can be reported any time after.
        last = self._end_of((Phase.EVALUATION,)) if Phase.EVALUATION in self.span else self.today
        day = entry["day"]
        for position, to in enumerate(path):
            merged_into = None
            if to == "merged":
                target = self.ideas.get(spec.get("merged_into", ""))
                if target is None:  # the idea it was merged with is not loaded (no demo accounts)
                    return
                merged_into = target["idea"]
            day = self._between(day, self.today if to == "implemented" else last)
            when = self._moment(day, after=after)
            body = (
                spec["answer"]
                if position == len(path) - 1 and spec.get("answer")
                else self.rng.choice(self.data["answers"][to])
            )
            answer = answers_services.idea_answer(
                idea=entry["idea"],
                by=by,
                acting_town=acting,
                body=self._text(body, day),
                to=to,
                merged_into=merged_into,
            )
            _stamp(OfficialAnswer, answer.pk, created_at=when)
            _stamp(Idea, entry["idea"].pk, status_changed_at=when, answered_at=when)
            self.history.date(when)
            after = when
        entry["decided"] = after

    def _project(self, entry: dict) -> None:
        title = entry["spec"].get("project")
        if not title:
            return
        process = entry["idea"].process
        towns = [process.municipality_id, *process.partner_towns.values_list("pk", flat=True)]
        # A public fact, looked up by title among the process's towns (a partner's project is outside
        # this town's scope).
        project = Project._base_manager.filter(
            title=title, municipality__in=towns, visibility=Project.Visibility.PUBLIC
        ).first()
        if project is None:
            return
        acting = self._acting(entry["spec"])
        ideas_services.idea_link_project(
            idea=entry["idea"], project=project, by=self.staff.get(acting.pk), acting_town=acting
        )
        self.history.date(entry.get("decided", entry["at"]))

    def _shortlist(self) -> None:
        if Phase.EVALUATION not in self.span:
            return
        first, last = self.span[Phase.EVALUATION]
        for entry in self.ideas.values():
            if not entry["spec"].get("shortlist"):
                continue
            day = self._between(first, last)
            ideas_services.idea_set_shortlisted(
                idea=entry["idea"],
                shortlisted=True,
                by=self.staff.get(self.town.pk),
                acting_town=self.town,
                on=day,
            )
            self.history.date(self._moment(day))

    def _assess(self) -> None:
        """A participatory budget: the town checks each proposal's cost and feasibility while evaluating."""
        if Phase.EVALUATION not in self.span:
            return
        first, last = self.span[Phase.EVALUATION]
        for entry in self.ideas.values():
            spec = entry["spec"]
            if "feasibility" not in spec:
                continue
            day = self._between(max(first, entry["day"]), last)
            acting = self._acting(spec)
            budget_services.idea_assess(
                idea=entry["idea"],
                by=self.staff.get(acting.pk),
                acting_town=acting,
                cost_estimate=Decimal(spec["town_cost"]) if "town_cost" in spec else None,
                feasibility=spec["feasibility"],
                reason=spec["reason"],
                on=day,
            )
            when = self._moment(day, after=entry.get("decided", entry["at"]))
            _stamp(Idea, entry["idea"].pk, feasibility_checked_at=when)
            self.history.date(when)

    def _budget_choice(self, process: Process) -> list[int]:
        """One person's choice in a participatory budget: feasible proposals, popular ones likelier, within the
        budget."""
        candidates = [e for e in self.ideas.values() if e["spec"].get("feasibility") == "feasible"]
        left, chosen = Decimal(process.budget_cap or 0), []
        for _ in range(self.rng.choice([2, 3, 3, 4])):
            fitting = [e for e in candidates if Decimal(e["spec"]["town_cost"]) <= left]
            if not fitting:
                break
            pick = self.rng.choices(fitting, weights=[3 if e["spec"].get("popular") else 1 for e in fitting])[
                0
            ]
            candidates.remove(pick)
            left -= Decimal(pick["spec"]["town_cost"])
            chosen.append(pick["idea"].pk)
        return chosen

    def _paper_ballots(self, process: Process) -> None:
        """Paper ballots from the ballot box in the Bürgerbüro, typed in by the town's staff."""
        count = self.item.get("paper_ballots", 0)
        if not count or Phase.VOTE not in self.span or self.span[Phase.VOTE][0] > self.today:
            return
        first, last = self.span[Phase.VOTE]
        for _ in range(count):
            chosen = self._budget_choice(process)
            if not chosen:  # nothing feasible loaded (no demo accounts: no citizens' proposals)
                return
            day = self._between(first, last)
            ballots_services.paper_ballot_enter(
                process=process,
                by=self.staff.get(self.town.pk),
                acting_town=self.town,
                votes=dict.fromkeys(chosen, 1),
                on=day,
            )
            self.history.date(self._moment(day))

    def _code_ballots(self, process: Process) -> None:
        """A vote by codes: the town orders its letters (``codes.count``) a week before the vote, and residents
        vote with the codes of the last ``codes.used`` letters, each with a budget's choice; the first letters'
        codes stay unused for whoever tries the demo."""
        spec = self.item["codes"]
        first, last = self.span[Phase.VOTE]
        staff = self.staff.get(self.town.pk)
        batch, plain = order_demo_codes(
            process=process, municipality=self.town, by=staff, count=spec["count"]
        )
        ordered = self._moment(first - datetime.timedelta(days=7))
        # Dated back with the rest (the letters stay downloadable for their lifetime from the day of loading).
        _stamp(VotingCodeBatch, batch.pk, created_at=ordered, started_at=ordered, finished_at=ordered)
        self.history.date(ordered)
        for code in plain[len(plain) - spec["used"] :]:
            chosen = self._budget_choice(process)
            if not chosen:  # nothing feasible loaded
                return
            day = self._between(first, last)
            ballot = ballots_services.ballot_cast(
                process=process,
                user=None,
                votes=dict.fromkeys(chosen, 1),
                on=day,
                code=code,
                code_town=self.town,
            )
            when = self._moment(day, after=ordered)
            _stamp(Ballot, ballot.pk, created_at=when, updated_at=when)
            assert ballot.voting_code_id is not None  # a ballot by code
            _stamp(VotingCode, ballot.voting_code_id, used_at=when)

    def _ballots(self, process: Process) -> None:
        if Phase.VOTE not in self.span or self.span[Phase.VOTE][0] > self.today or not self.citizens:
            return
        first, last = self.span[Phase.VOTE]
        if process.vote_by_codes:
            self._code_ballots(process)
            return
        if process.is_budget:
            for user in self.citizens:
                ballots_services.ballot_cast(
                    process=process,
                    user=user,
                    votes=dict.fromkeys(self._budget_choice(process), 1),
                    on=self._between(first, last),
                )
            return
        shortlist = [e for e in self.ideas.values() if e["spec"].get("shortlist")]
        if not shortlist:
            return
        for user in self.citizens:
            chosen = []
            candidates = list(shortlist)
            for _ in range(min(self.rng.choice([1, 2, 3, 3, 3]), process.votes_per_person, len(candidates))):
                weights = [3 if e["spec"].get("popular") else 1 for e in candidates]
                pick = self.rng.choices(candidates, weights=weights)[0]
                candidates.remove(pick)
                chosen.append(pick["idea"].pk)
            ballots_services.ballot_cast(
                process=process, user=user, votes=dict.fromkeys(chosen, 1), on=self._between(first, last)
            )

    def _reports(self) -> None:
        if not self.citizens:
            return
        for entry in self.ideas.values():
            spec = entry["spec"]
            targets = []
            if "reports" in spec:
                targets.append((entry["idea"], spec["reports"]))
            if "reported_comment" in entry:
                targets.append((entry["reported_comment"], spec["comment_reported"]))
            for target, report in targets:
                for reporter in self.rng.sample(self._others(target.author), report["count"]):
                    try:
                        flags_services.flag_submit(target=target, reporter=reporter, reason=report["reason"])
                    except ValidationError:  # hidden by the reports before (a town with a lower threshold)
                        break
                self.history.date(self._moment(self.today, after=entry["at"]))

    def _moderation(self, process: Process) -> None:
        """A town with pre-moderation: switched on after the published ideas, then one idea and one comment
        are waiting for a moderator."""
        mode = self.item.get("moderation")
        if not mode:
            return
        staff = self.staff.get(self.town.pk)
        processes_services.settings_change(municipality=self.town, by=staff, fields={"moderation": mode})
        if not self.citizens:
            return
        for spec in self.item.get("pending", []):
            ideas_services.idea_submit(
                process=process,
                author=self.rng.choice(self.citizens),
                fields=self._fields(spec),
                consent=True,
                on=self.today,
            )
        waiting = self.item.get("pending_comment")
        entry = self.ideas.get(waiting["on"]) if waiting else None
        if waiting and entry is not None:
            author = self.rng.choice(self._others(entry["idea"].author))
            comments_services.comment_post(
                idea=entry["idea"], author=author, body=waiting["body"], on=self.today
            )


@transaction.atomic
def load_participation(towns: list[Municipality], *, with_accounts: bool) -> list[DemoAccount]:
    """Load the demo processes of the given towns; returns the demo citizens' accounts (none without
    accounts)."""
    if not DATA_FILE.exists():
        return []
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    by_slug = {town.slug: town for town in towns}
    citizens = load_citizens(data) if with_accounts else []
    staff = {
        town.pk: User.objects.filter(email=f"{town.slug}-editor@{DEMO_DOMAIN}").first()
        if with_accounts
        else None
        for town in towns
    }
    today, now = timezone.localdate(), timezone.now()
    used_pool: dict[str, set] = {}
    for item in data["processes"]:
        if item["town"] not in by_slug:
            continue
        item = {**item, "partners": [s for s in item.get("partners", []) if s in by_slug]}
        _ProcessLoader(
            item,
            data=data,
            towns=by_slug,
            citizens=citizens,
            staff=staff,
            used_pool=used_pool,
            today=today,
            now=now,
        ).load()
    return [DemoAccount(user.email, "citizen", "–") for user in citizens]
