"""The seeder behind ``manage.py seed_scale``: a consortium of towns with everything the portal shows, written
in bulk, each idea with its stored counts (``support_count``, ``comment_count``) as the rule of
``participation.services.supports.refresh_counts`` gives them for the rows made here (the tests recount with that rule).

Every row is made valid by construction (the models' constraints and ``clean`` rules); each town-owned row
carries its town; a joint project or process is owned by its lead town and shared with partner towns. Random
choices come from ``random.Random`` seeded per town and table, so the same ``seed`` gives the same data.
Dates are relative to the day of the run, so processes are in every phase on that day.
"""

import datetime
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone, translation

from accounts.models import Membership, Role, User
from funding import money
from funding.models import (
    BudgetLine,
    CostType,
    DisbursementRequest,
    FundingEvent,
    Grant,
    Milestone,
    ProofOfUse,
    Spending,
)
from knowledge.models import LessonNote
from municipalities import freshness
from municipalities.models import Consortium, Municipality
from municipalities.validators import RESERVED_SLUGS
from participation.models import (
    Ballot,
    Comment,
    Idea,
    IdeaStatus,
    Moderation,
    ModerationMode,
    OfficialAnswer,
    ParticipationEvent,
    ParticipationSettings,
    Phase,
    Process,
    ProcessPartner,
    ProcessPhase,
    Support,
    Vote,
)
from participation.services.common import touch_processes
from participation.signals import participation_changed
from projects.models import (
    Bundle,
    FieldOfAction,
    Indicator,
    Measurement,
    ProgressUpdate,
    Project,
    ProjectEvent,
    ProjectPartner,
    Tag,
)
from projects.services import project_facts_refresh_all
from smartcity5.slugs import german_slugify
from surveys.models import Answer, Option, Participant, Question, Survey
from surveys.models import Response as SurveyResponse
from surveys.services import tallies_refresh

from . import text
from .writer import Writer

#: Consortia made by the seeder have addresses starting with this; their towns and people are "seed data".
SEED_PREFIX = "seed-"
EMAIL_DOMAIN = "seed.smartcity5.example"
#: The password of every seeded account: unusable (nobody can sign in as a seeded person).
UNUSABLE_PASSWORD = "!seed-scale"

# The processes of each town, by the phase they are in on the day of the run: phase → (first, last) day offsets.
PROCESS_PLANS = {
    "information": {
        Phase.INFORMATION: (-10, 20),
        Phase.IDEAS: (21, 60),
        Phase.EVALUATION: (61, 90),
        Phase.VOTE: (91, 105),
        Phase.RESULTS: (106, None),
    },
    "ideas": {
        Phase.INFORMATION: (-60, -31),
        Phase.IDEAS: (-30, 30),
        Phase.EVALUATION: (31, 60),
        Phase.VOTE: (61, 75),
        Phase.RESULTS: (76, None),
    },
    "evaluation": {
        Phase.INFORMATION: (-130, -101),
        Phase.IDEAS: (-100, -21),
        Phase.EVALUATION: (-20, 20),
        Phase.VOTE: (21, 35),
        Phase.RESULTS: (36, None),
    },
    "vote": {
        Phase.INFORMATION: (-160, -131),
        Phase.IDEAS: (-130, -51),
        Phase.EVALUATION: (-50, -8),
        Phase.VOTE: (-7, 7),
        Phase.RESULTS: (8, None),
    },
    "results": {
        Phase.INFORMATION: (-300, -271),
        Phase.IDEAS: (-270, -181),
        Phase.EVALUATION: (-180, -121),
        Phase.VOTE: (-120, -106),
        Phase.RESULTS: (-105, None),
    },
    "archive": {
        Phase.INFORMATION: (-700, -671),
        Phase.IDEAS: (-670, -581),
        Phase.EVALUATION: (-580, -521),
        Phase.VOTE: (-520, -506),
        Phase.RESULTS: (-505, None),
    },
    # Two processes with a survey (surveys.Survey, made by Seeder._surveys): one running it today (results
    # shown live), one whose survey closed (results shown after closing). Last in the table, so the processes
    # above keep their random draws.
    "survey": {
        Phase.INFORMATION: (-45, -31),
        Phase.SURVEY: (-30, 14),
        Phase.IDEAS: (15, 45),
        Phase.EVALUATION: (46, 60),
        Phase.VOTE: (61, 75),
        Phase.RESULTS: (76, None),
    },
    "survey-closed": {
        Phase.INFORMATION: (-140, -121),
        Phase.SURVEY: (-120, -91),
        Phase.IDEAS: (-90, -41),
        Phase.EVALUATION: (-40, -21),
        Phase.VOTE: (-20, -8),
        Phase.RESULTS: (-7, None),
    },
}
#: The questionnaire of a seeded survey: kind, question, answers (a matrix: its columns) and a matrix's rows.
SURVEY_QUESTIONS = (
    ("single", "Wie kommen Sie meist in die Innenstadt?", ("Zu Fuß", "Fahrrad", "Bus", "Auto"), ()),
    (
        "multiple",
        "Welche digitalen Angebote nutzen Sie?",
        ("Parkplatz-App", "Bürgerportal", "Freies WLAN", "Mängelmelder", "Stadt-App"),
        (),
    ),
    ("scale", "Wie zufrieden sind Sie mit dem Angebot?", (), ()),
    ("ranking", "Was ist Ihnen am wichtigsten?", ("Sicherheit", "Sauberkeit", "Erreichbarkeit", "Grün"), ()),
    ("short_text", "Was wünschen Sie sich?", (), ()),
    (
        "matrix",
        "Wie bewerten Sie …",
        ("gut", "mittel", "schlecht"),
        ("die Beleuchtung", "die Sitzplätze", "das WLAN"),
    ),
    ("long_text", "Möchten Sie uns noch etwas sagen?", (), ()),
)
SURVEY_WISHES = (
    "Mehr Bänke am Markt",
    "Längere Öffnungszeiten im Bürgerbüro",
    "Ein WLAN im Bus",
    "Bessere Radwege",
    "Mehr Bäume in der Fußgängerzone",
)
#: The share of a town's ideas in each process (none yet in the one still informing).
IDEA_SHARES = {"ideas": 0.3, "evaluation": 0.2, "vote": 0.15, "results": 0.15, "archive": 0.2}
RUNNING_STATUSES = {"submitted": 45, "under_review": 30, "accepted": 15, "rejected": 10}
FINISHED_STATUSES = {
    "submitted": 5,
    "under_review": 10,
    "accepted": 35,
    "rejected": 30,
    "implemented": 15,
    "merged": 5,
}
ANSWER_PATHS = {
    "submitted": [],
    "under_review": ["under_review"],
    "accepted": ["accepted"],
    "rejected": ["rejected"],
    "implemented": ["accepted", "implemented"],
    "merged": ["merged"],
}
PROJECT_STATUSES = {
    "idea": 10,
    "planned": 20,
    "in_progress": 40,
    "paused": 5,
    "completed": 20,
    "cancelled": 5,
}
SHORTLIST_SIZE = 8
EVIDENCE = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Options:
    towns: int = 5
    ideas_per_town: int = 400
    projects_per_town: int = 40
    supports_per_idea: float = 10
    comments_per_idea: float = 2.5
    citizens_per_town: int | None = None
    seed: int = 1
    survey_responses: int = 1000  # per survey (two surveys per town)


@dataclass
class _Town:
    row: Municipality
    rng_key: str
    quarters: list[str]
    centre: tuple[float, float]
    admin: int = 0
    editor: int = 0
    citizens: list[int] = field(default_factory=list)
    projects: list[int] = field(default_factory=list)
    processes: dict[str, tuple[int, str, dict]] = field(default_factory=dict)  # plan → (id, title, spans)
    pre_moderation: bool = False


def _label(choice) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(choice.label)


class Seeder:
    def __init__(self, options: Options, *, out=None):
        self.o = options
        self.out = out or (lambda line: None)
        self.w = Writer()
        self.now = self.w.now
        self.today = timezone.localdate(self.now)
        self.seconds: dict[str, float] = {}

    # --- helpers ------------------------------------------------------------------------------------------

    def rng(self, *parts) -> random.Random:
        return random.Random(":".join(str(p) for p in (self.o.seed, *parts)))

    def day(self, offset: int) -> datetime.date:
        return self.today + datetime.timedelta(days=offset)

    def moment(
        self,
        rng: random.Random,
        first: datetime.date,
        last: datetime.date,
        after: datetime.datetime | None = None,
    ) -> datetime.datetime:
        """A time of day between two days (not after now, not before ``after``)."""
        # A fixed number of draws whatever the dates: the same seed makes the same choices on any day and hour.
        share, hour, minute, later, margin = (
            rng.random(),
            rng.randint(7, 21),
            rng.randint(0, 59),
            rng.randint(5, 600),
            rng.randint(1, 120),
        )
        last = min(last, self.today)
        span = max(0, (last - first).days)
        day = first + datetime.timedelta(days=int(share * (span + 1)))
        when = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
        if after is not None and when <= after:
            when = after + datetime.timedelta(minutes=later)
        return min(when, self.now - datetime.timedelta(minutes=margin))

    def _timed(self, label: str, started: float) -> None:
        self.seconds[label] = self.seconds.get(label, 0) + time.perf_counter() - started

    # --- the run --------------------------------------------------------------------------------------------

    def run(self) -> dict:
        started = time.perf_counter()
        with transaction.atomic():
            self.ids = {model: self.w.first_id(model) for model in ALL_NUMBERED}
            self.fields = dict(FieldOfAction.objects.values_list("slug", "pk"))
            self._catalogues()
            self._towns()
            with self.w.foreign_keys_checked_at_the_end([*ALL_NUMBERED, *M2M_THROUGH]):
                self._people()
                for town in self.towns:
                    t = time.perf_counter()
                    self._projects(town)
                    self._timed("projects", t)
                    t = time.perf_counter()
                    self._funding(town)
                    self._timed("funding", t)
                    t = time.perf_counter()
                    self._participation(town)
                    self._timed("participation", t)
                    t = time.perf_counter()
                    self._surveys(town)
                    self._timed("surveys", t)
                self._knowledge()
                checking = time.perf_counter()
            self._timed("foreign keys", checking)
            self.w.reset_sequences([*ALL_NUMBERED, *M2M_THROUGH])
            t = time.perf_counter()
            # Each process's stored published-idea count and freshness, by the services' own rule.
            touch_processes(
                Process._base_manager.filter(municipality__in=[town.row for town in self.towns]).values_list(
                    "pk", flat=True
                ),
                recount=True,
            )
            # Each project's stored list facts (progress, latest update, partners), by the services' own rule.
            project_facts_refresh_all(municipalities=[town.row for town in self.towns])
            # Each survey's stored counts (per option, cell, value; responses), by the services' own recount.
            tallies_refresh(Survey._base_manager.filter(municipality__in=[town.row for town in self.towns]))
            # The rows were copied past the model signals: the towns' key figures changed (freshness).
            freshness.changed(town.row.pk for town in self.towns)
            self._timed("stored process and project figures", t)
            participation_changed.send(sender=Idea, municipality_id=None)
            # The rows went in without signals: the towns' public pages are new (the anonymous page cache).
            freshness.move(freshness.ALL, channels=freshness.Channel.PAGES)
            committing = time.perf_counter()
        self._timed("commit", committing)
        if connection.vendor == "postgresql":
            t = time.perf_counter()
            with connection.cursor() as cursor:
                if not connection.in_atomic_block:  # (VACUUM cannot run inside a transaction, e.g. a test's)
                    # The stored project facts were written by an UPDATE of every project row: clear the old row
                    # versions now, as autovacuum would later (they doubled the project indexes' entries).
                    cursor.execute("VACUUM projects_project")
                cursor.execute("ANALYZE")  # as autovacuum would soon after a load like this
            self._timed("analyze", t)
        self.seconds["total"] = time.perf_counter() - started
        return {
            "consortium": self.consortium.slug,
            "counts": dict(sorted(self.w.counts.items())),
            "seconds": self.seconds,
        }

    def next_id(self, model) -> int:
        value = self.ids[model]
        self.ids[model] = value + 1
        return value

    # --- consortium, towns, people ------------------------------------------------------------------------

    def _catalogues(self) -> None:
        for name in text.TAGS:
            if not Tag.objects.filter(name=name).exists():
                slug, n = german_slugify(name), 2
                while Tag.objects.filter(slug=slug).exists():
                    slug, n = f"{german_slugify(name)}-{n}", n + 1
                Tag.objects.create(name=name, slug=slug)
        self.tags = list(Tag.objects.filter(name__in=text.TAGS).order_by("name").values_list("pk", flat=True))
        self.project_slugs = set(Project._base_manager.values_list("slug", flat=True))
        self.process_slugs = set(Process._base_manager.values_list("slug", flat=True))
        taken = set(Consortium.objects.filter(slug__startswith=SEED_PREFIX).values_list("slug", flat=True))
        slug, n = f"{SEED_PREFIX}scale", 2
        while slug in taken:
            slug, n = f"{SEED_PREFIX}scale-{n}", n + 1
        self.consortium = Consortium.objects.create(
            slug=slug,
            name=f"Smarte Region {self.rng('region').choice(text._RIVERS).split()[-1]}",
            programme="Modellprojekte Smart Cities",
            cohort="Staffel 3 (2021)",
            coordinator="Regionalagentur (synthetische Daten)",
            motto="Gemeinsam digital",
            goal="Synthetische Daten für Last- und Skalierungstests.",
            cooperating_since=2019,
            funding_until="2027",
            federal_grant_eur=Decimal("15000000.00"),
            total_volume_eur=Decimal("23000000.00"),
        )
        self.tag = slug  # marks e-mail addresses of this run
        # One small evidence document for the milestones that are done (their constraint asks for one).
        self.evidence = default_storage.save(f"funding/seed/{slug}-evidence.pdf", ContentFile(EVIDENCE))
        self.bundles = []
        for number, (field_slug, title, summary) in enumerate(text.PROJECT_TOPICS[:8], start=1):
            bundle = Bundle.objects.create(
                consortium=self.consortium, number=number, title=title, description=summary
            )
            if field_slug in self.fields:
                bundle.fields_of_action.add(self.fields[field_slug])
            self.bundles.append(bundle.pk)

    def _towns(self) -> None:
        rng = self.rng("towns")
        taken = set(Municipality.objects.values_list("slug", flat=True)) | set(RESERVED_SLUGS)
        names: set[str] = set(Municipality.objects.values_list("name", flat=True))
        rows = []
        for index in range(self.o.towns):
            name = text.town_name(rng)
            while name in names:
                name = text.town_name(rng)
            names.add(name)
            base = german_slugify(name)[:50]
            slug, n = base, 2
            while slug in taken:
                slug, n = f"{base}-{n}", n + 1
            taken.add(slug)
            district, region, prefix = text.town_district(rng)
            local = f"{rng.randint(1, 999):03d}"
            ags = f"{prefix}{local}"
            lat, lon = rng.uniform(50.8, 51.6), rng.uniform(7.4, 8.9)
            population = rng.choice(
                [rng.randint(4000, 15000), rng.randint(15000, 40000), rng.randint(40000, 80000)]
            )
            rows.append(
                Municipality(
                    consortium=self.consortium,
                    name=name,
                    slug=slug,
                    is_lead=index == 0,
                    official_name=f"{'Stadt' if population > 10000 else 'Gemeinde'} {name}",
                    district=district,
                    administrative_region=f"Regierungsbezirk {region}",
                    ags=ags,
                    ars=f"{ags[:5]}{rng.randint(1, 9999):04d}{ags[5:]}",
                    population=population,
                    population_date=datetime.date(self.today.year - 1, 12, 31),
                    population_source="IT.NRW (synthetisch)",
                    area_km2=Decimal(rng.randint(2000, 25000)) / 100,
                    website=f"https://www.{slug}.example",
                    brand_colour=rng.choice(text.COLOURS),
                    joined_on=datetime.date(2021, 1, 1),
                    vision=f"{name}: digital, nah und offen für alle.",
                    contact_email=f"smartcity@{slug}.example",
                    accessibility_contact_email=f"barrierefrei@{slug}.example",
                    imprint=f"Stadt {name}\nDer Bürgermeister / Die Bürgermeisterin",
                    privacy_contact=f"Datenschutzbeauftragte/r, datenschutz@{slug}.example",
                    map_south=Decimal(f"{lat - 0.06:.6f}"),
                    map_north=Decimal(f"{lat + 0.06:.6f}"),
                    map_west=Decimal(f"{lon - 0.09:.6f}"),
                    map_east=Decimal(f"{lon + 0.09:.6f}"),
                )
            )
        created = Municipality.objects.bulk_create(rows)
        if any(town.pk is None for town in created):  # a database that cannot return ids
            created = list(Municipality.objects.filter(consortium=self.consortium).order_by("pk"))
        self.towns = []
        for index, row in enumerate(created):
            assert row.map_south is not None and row.map_west is not None  # every row above has its map box
            qrng = self.rng("quarters", index)
            self.towns.append(
                _Town(
                    row=row,
                    rng_key=str(index),
                    quarters=text.quarters(qrng, qrng.randint(6, 14)),
                    centre=(float(row.map_south) + 0.06, float(row.map_west) + 0.09),
                    pre_moderation=index % 7 == 3,
                )
            )
        self.w.counts["municipalities.Municipality"] = len(self.towns)

    def _people(self) -> None:
        o = self.o
        per_town = o.citizens_per_town or max(100, o.ideas_per_town // 4, int(o.supports_per_idea * 3))
        users, members, settings_rows = [], [], []
        joined = timezone.make_aware(datetime.datetime(2021, 1, 1))
        for town in self.towns:
            rng = self.rng("people", town.rng_key)
            for role in (Role.ADMIN, Role.EDITOR, Role.VIEWER):
                pk = self.next_id(User)
                users.append(
                    (
                        pk,
                        f"{town.row.slug}-{role.value}@{self.tag}.{EMAIL_DOMAIN}",
                        f"{role.label} {town.row.name}"[:60],
                        joined,
                        joined,
                    )
                )
                members.append((self.next_id(Membership), town.row.pk, pk, role.value, joined, 1))
                if role == Role.ADMIN:
                    town.admin = pk
                elif role == Role.EDITOR:
                    town.editor = pk
            for n in range(per_town):
                pk = self.next_id(User)
                when = self.moment(rng, self.day(-720), self.today)
                users.append(
                    (
                        pk,
                        f"{town.row.slug}-{n}@{self.tag}.{EMAIL_DOMAIN}",
                        text.display_name(rng, town.quarters)[:60],
                        when,
                        when,
                    )
                )
                town.citizens.append(pk)
            settings_rows.append(
                (
                    self.next_id(ParticipationSettings),
                    town.row.pk,
                    ModerationMode.PRE if town.pre_moderation else ModerationMode.POST,
                    3,
                )
            )
        pk = self.next_id(User)
        users.append((pk, f"agentur@{self.tag}.{EMAIL_DOMAIN}", "Moderation Regionalagentur", joined, joined))
        self.w.insert(
            User,
            (
                "id",
                "email",
                "display_name",
                "date_joined",
                "privacy_consent_at",
                "password",
                "is_agentur_moderator",
            ),
            ((*row, UNUSABLE_PASSWORD, row[0] == pk) for row in users),
        )
        self.w.insert(
            EmailAddress,
            ("id", "user_id", "email", "verified", "primary"),
            ((self.next_id(EmailAddress), row[0], row[1], True, True) for row in users),
        )
        self.w.insert(
            Membership, ("id", "municipality_id", "user_id", "role", "created_at", "grant_count"), members
        )
        self.w.insert(
            ParticipationSettings, ("id", "municipality_id", "moderation", "report_threshold"), settings_rows
        )

    # --- projects -------------------------------------------------------------------------------------------

    def _projects(self, town: _Town) -> None:
        rng = self.rng("projects", town.rng_key)
        others = [t for t in self.towns if t is not town]
        projects, partners, fields_m2m, tags_m2m, events, updates, indicators, measurements = (
            [] for _ in range(8)
        )
        slugs = self.project_slugs
        statuses, weights = list(PROJECT_STATUSES), list(PROJECT_STATUSES.values())
        parents: list[int] = []
        for _ in range(self.o.projects_per_town):
            pk = self.next_id(Project)
            field_slug, topic, summary = rng.choice(text.PROJECT_TOPICS)
            quarter = rng.choice(town.quarters)
            suffix = rng.choice(text.PROJECT_SUFFIXES).format(n=rng.randint(2, 5))
            title = f"{topic} {quarter if rng.random() < 0.6 else town.row.name}{suffix}"[:200]
            base = german_slugify(f"{title} {town.row.slug}")[:110]
            slug, k = base, 2
            while slug in slugs:
                slug, k = f"{base}-{k}", k + 1
            slugs.add(slug)
            status = rng.choices(statuses, weights=weights)[0]
            planned_start = self.day(rng.randint(-900, 200))
            planned_end = planned_start + datetime.timedelta(days=rng.randint(180, 1100))
            actual_start: datetime.date | None = None
            actual_end: datetime.date | None = None
            if status in ("in_progress", "paused", "completed") or (
                status == "cancelled" and rng.random() < 0.5
            ):
                actual_start = min(self.today, planned_start + datetime.timedelta(days=rng.randint(0, 90)))
            if status == "completed" and actual_start is not None:  # a completed project has begun
                actual_end = min(
                    self.today,
                    max(actual_start, planned_end + datetime.timedelta(days=rng.randint(-60, 120))),
                )
            created = self.moment(rng, planned_start - datetime.timedelta(days=200), planned_start)
            changed = (
                created if status == "idea" else self.moment(rng, created.date(), self.today, after=created)
            )
            reason = ""
            if status == "paused":
                reason = "Die Ausschreibung musste wiederholt werden; es gab kein wirtschaftliches Angebot."
            elif status == "cancelled":
                reason = "Der Rat hat entschieden, die Mittel für eine andere Maßnahme einzusetzen."
            located = rng.random() < 0.4
            lat = Decimal(f"{town.centre[0] + rng.uniform(-0.05, 0.05):.6f}") if located else None
            lon = Decimal(f"{town.centre[1] + rng.uniform(-0.08, 0.08):.6f}") if located else None
            parent = rng.choice(parents) if parents and rng.random() < 0.05 else None
            if parent is None and len(parents) < 40:
                parents.append(pk)
            projects.append(
                (
                    pk,
                    town.row.pk,
                    title,
                    slug,
                    summary,
                    f"{summary}\n\nDas Projekt ist Teil der Smart-City-Strategie von {town.row.name}.",
                    "A" if rng.random() < 0.1 else "B",
                    status,
                    reason,
                    changed,
                    rng.choice(self.bundles),
                    parent,
                    rng.randint(1, 5),
                    planned_start,
                    planned_end,
                    actual_start,
                    actual_end,
                    Decimal(rng.randint(20, 3000) * 1000),
                    f"Projektteam {topic}",
                    f"smartcity@{town.row.slug}.example",
                    "internal" if rng.random() < 0.1 else "public",
                    rng.choice(["not_assessed", "yes", "partly", "no"]),
                    quarter if located else "",
                    lat,
                    lon,
                    created,
                    changed,
                )
            )
            town.projects.append(pk)
            if others and rng.random() < 0.15:
                for partner in rng.sample(others, min(len(others), rng.randint(1, 3))):
                    partners.append(
                        (
                            self.next_id(ProjectPartner),
                            partner.row.pk,
                            pk,
                            rng.choice(["Mitfinanzierung", "Pilotkommune", "Fachliche Begleitung", ""]),
                            created,
                        )
                    )
            if field_slug in self.fields:
                fields_m2m.append((self.next_id(FIELDS_THROUGH), pk, self.fields[field_slug]))
            for tag in rng.sample(self.tags, rng.randint(0, 3)):
                tags_m2m.append((self.next_id(TAGS_THROUGH), pk, tag))
            events.append(
                (
                    self.next_id(ProjectEvent),
                    town.row.pk,
                    pk,
                    ProjectEvent.Kind.CREATED,
                    town.editor,
                    created,
                    "",
                    {"title": ["", title]},
                    "",
                )
            )
            if status != "idea":
                events.append(
                    (
                        self.next_id(ProjectEvent),
                        town.row.pk,
                        pk,
                        ProjectEvent.Kind.STATUS,
                        town.editor,
                        changed,
                        "",
                        {"status": [_label(Project.Status.IDEA), _label(Project.Status(status))]},
                        reason,
                    )
                )
            if actual_start:
                for u in range(rng.randint(0, 3)):
                    published = self.moment(rng, actual_start, actual_end or self.today)
                    updates.append(
                        (
                            self.next_id(ProgressUpdate),
                            town.row.pk,
                            pk,
                            town.editor,
                            published.date(),
                            rng.choice(text.UPDATE_TITLES),
                            "Ein kurzer Bericht zum Stand der Arbeiten.",
                            min(100, 20 * (u + 1)) if rng.random() < 0.7 else None,
                            True,
                            published,
                            published,
                        )
                    )
            if rng.random() < 0.35:
                for position, (name, unit, low, high) in enumerate(
                    rng.sample(text.INDICATORS, rng.randint(1, 2))
                ):
                    ipk = self.next_id(Indicator)
                    first = self.day(-365)
                    indicators.append(
                        (
                            ipk,
                            town.row.pk,
                            pk,
                            name,
                            unit,
                            Decimal(low),
                            first,
                            Decimal(high),
                            planned_end,
                            position,
                        )
                    )
                    events.append(
                        (
                            self.next_id(ProjectEvent),
                            town.row.pk,
                            pk,
                            ProjectEvent.Kind.INDICATOR_ADDED,
                            town.editor,
                            created,
                            name,
                            {},
                            "",
                        )
                    )
                    value = float(low)
                    for month in range(12):
                        on = (first + datetime.timedelta(days=31 * month)).replace(day=1)
                        value += (high - low) / 14 * rng.uniform(0.3, 1.6)
                        measurements.append(
                            (
                                self.next_id(Measurement),
                                town.row.pk,
                                ipk,
                                on,
                                Decimal(f"{max(value, 0):.4f}"),
                                "",
                                town.editor,
                            )
                        )
                        events.append(
                            (
                                self.next_id(ProjectEvent),
                                town.row.pk,
                                pk,
                                ProjectEvent.Kind.MEASUREMENT_ADDED,
                                town.editor,
                                timezone.make_aware(datetime.datetime.combine(on, datetime.time(9))),
                                name,
                                {"value": ["", f"{value:.1f}"]},
                                "",
                            )
                        )
        w = self.w
        w.insert(
            Project,
            (
                "id",
                "municipality_id",
                "title",
                "slug",
                "summary",
                "description",
                "phase",
                "status",
                "status_reason",
                "status_changed_at",
                "bundle_id",
                "parent_id",
                "weight",
                "planned_start",
                "planned_end",
                "actual_start",
                "actual_end",
                "planned_budget",
                "contact_name",
                "contact_email",
                "visibility",
                "transferability",
                "location_label",
                "latitude",
                "longitude",
                "created_at",
                "updated_at",
            ),
            projects,
        )
        w.insert(ProjectPartner, ("id", "municipality_id", "project_id", "role_note", "joined_at"), partners)
        w.insert(FIELDS_THROUGH, ("id", "project_id", "fieldofaction_id"), fields_m2m)
        w.insert(TAGS_THROUGH, ("id", "project_id", "tag_id"), tags_m2m)
        w.insert(
            ProjectEvent,
            ("id", "municipality_id", "project_id", "kind", "actor_id", "at", "subject", "changes", "reason"),
            events,
        )
        w.insert(
            ProgressUpdate,
            (
                "id",
                "municipality_id",
                "project_id",
                "author_id",
                "published_on",
                "title",
                "body",
                "progress_percent",
                "is_public",
                "created_at",
                "updated_at",
            ),
            updates,
        )
        w.insert(
            Indicator,
            (
                "id",
                "municipality_id",
                "project_id",
                "name",
                "unit",
                "baseline",
                "baseline_date",
                "target",
                "target_date",
                "position",
            ),
            indicators,
        )
        w.insert(
            Measurement,
            ("id", "municipality_id", "indicator_id", "measured_on", "value", "note", "recorded_by_id"),
            measurements,
        )

    # --- funding ------------------------------------------------------------------------------------------

    def _funding(self, town: _Town) -> None:
        rng = self.rng("funding", town.rng_key)
        w, t = self.w, town.row.pk
        year = self.today.year
        start, end = datetime.date(year - 4, 1, 1), datetime.date(year + 1, 12, 31)
        rate = money.BUDGET_EMERGENCY_RATE if rng.random() < 0.1 else money.STANDARD_RATE
        eligible = Decimal(rng.randint(2000, 15000) * 1000)
        federal = money.federal_share(eligible, rate)
        gpk = self.next_id(Grant)
        approved = start - datetime.timedelta(days=rng.randint(20, 90))
        w.insert(
            Grant,
            (
                "id",
                "municipality_id",
                "title",
                "reference",
                "cohort",
                "recipient",
                "approved_on",
                "period_start",
                "period_end",
                "phase_a_start",
                "phase_a_end",
                "phase_b_start",
                "phase_b_end",
                "eligible_costs",
                "funding_rate",
                "federal_share",
                "notes",
            ),
            [
                (
                    gpk,
                    t,
                    f"Modellprojekt Smart Cities {town.row.name}",
                    f"MPSC-{year - 4}-{t:05d}",
                    "Staffel 3 (2021)",
                    "town",
                    approved,
                    start,
                    end,
                    start,
                    datetime.date(year - 3, 6, 30),
                    datetime.date(year - 3, 7, 1),
                    end,
                    eligible,
                    rate,
                    federal,
                    "",
                )
            ],
        )
        events = [
            (
                self.next_id(FundingEvent),
                t,
                gpk,
                "created",
                "grant",
                "Zuwendung",
                town.admin,
                timezone.make_aware(datetime.datetime.combine(approved, datetime.time(10))),
                {},
                "",
            )
        ]

        def event(entity: str, subject: str, on: datetime.date, kind: str = "created") -> None:
            events.append(
                (
                    self.next_id(FundingEvent),
                    t,
                    gpk,
                    kind,
                    entity,
                    subject[:200],
                    town.editor,
                    timezone.make_aware(datetime.datetime.combine(min(on, self.today), datetime.time(11))),
                    {},
                    "",
                )
            )

        years = list(range(start.year, end.year + 1))
        lines, per_year = [], eligible / len(years) / 4
        cost_types = list(CostType.values)
        for y in years:
            for cost_type in cost_types:
                amount = money.cents(per_year * Decimal(rng.uniform(0.8, 1.2)))
                lines.append((self.next_id(BudgetLine), t, gpk, y, cost_type, None, amount, ""))
                event("budget_line", f"{y} · {cost_type}", start)
        w.insert(
            BudgetLine,
            ("id", "municipality_id", "grant_id", "year", "cost_type", "project_id", "amount", "note"),
            lines,
        )
        spendings, spent = [], Decimal(0)
        led: list[int | None] = list(town.projects) or [None]
        for n in range(rng.randint(20, 40)):
            on = start + datetime.timedelta(days=int(rng.random() * ((self.today - start).days + 1)))
            amount = money.cents(Decimal(rng.randint(500, 90000)) + Decimal(rng.randint(0, 99)) / 100)
            spent += amount
            spendings.append(
                (
                    self.next_id(Spending),
                    t,
                    gpk,
                    on,
                    rng.choice(cost_types),
                    rng.choice(led),
                    amount,
                    rng.choice(
                        [
                            "Sensoren und Gateways",
                            "Personalkosten Projektteam",
                            "Beratung Datenschutz",
                            "Softwarelizenz",
                            "Workshop Bürgerbeteiligung",
                        ]
                    ),
                    rng.choice(["Stadtwerke", "IT-Dienstleister Südwestfalen", "Ingenieurbüro", ""]),
                    f"B-{on.year}-{n + 1:04d}",
                    town.editor,
                )
            )
            event("spending", f"Ausgabe {n + 1}", on)
        w.insert(
            Spending,
            (
                "id",
                "municipality_id",
                "grant_id",
                "spent_on",
                "cost_type",
                "project_id",
                "amount",
                "description",
                "payee",
                "voucher",
                "created_by_id",
            ),
            spendings,
        )
        # Requests: paid for the past years, one filed and one draft this year; all within the federal share.
        requests, called = [], Decimal(0)
        number = 0
        for y in years:
            if y > year:
                break
            for half in (1, 2):
                number += 1
                amount = money.cents(federal / len(years) / 2 * Decimal(rng.uniform(0.6, 0.9)))
                submitted = datetime.date(y, 6 * half - 3, 15)
                if submitted > self.today:
                    status, submitted_on, paid = "draft", None, None
                elif (y == year and half == 2) or submitted + datetime.timedelta(days=40) > self.today:
                    status, submitted_on, paid = "submitted", submitted, None
                else:
                    status, submitted_on, paid = "paid", submitted, submitted + datetime.timedelta(days=30)
                called += amount
                requests.append(
                    (
                        self.next_id(DisbursementRequest),
                        t,
                        gpk,
                        number,
                        y,
                        amount,
                        f"Mittelabruf {half}/{y}",
                        status,
                        submitted_on,
                        town.admin if submitted_on else None,
                        paid,
                        None,
                        "",
                        town.editor,
                    )
                )
                event("disbursement", f"Mittelabruf {number}", submitted_on or self.today)
        assert called <= federal
        w.insert(
            DisbursementRequest,
            (
                "id",
                "municipality_id",
                "grant_id",
                "number",
                "year",
                "amount",
                "purpose",
                "status",
                "submitted_on",
                "submitted_by_id",
                "paid_on",
                "rejected_on",
                "reason",
                "created_by_id",
            ),
            requests,
        )
        milestones, links = [], []
        plan = [
            ("Strategie beschlossen", "A", -900, "done"),
            ("Ausschreibung Sensorik", "B", -400, "done"),
            ("Datenplattform in Betrieb", "B", -200, "waived"),
            ("Zwischenevaluation", "B", -20, "open"),
            ("Pilotbetrieb abgeschlossen", "B", 20, "open"),
            ("Abschlussbericht", "B", 300, "open"),
        ]
        for title, phase, offset, status in plan:
            mpk = self.next_id(Milestone)
            due = min(max(self.day(offset), start), end)
            milestones.append(
                (
                    mpk,
                    t,
                    gpk,
                    title,
                    "",
                    phase,
                    due,
                    status,
                    due if status == "done" else None,
                    self.evidence if status == "done" else "",
                    "application/pdf" if status == "done" else "",
                    "Vom Fördermittelgeber nicht mehr gefordert." if status == "waived" else "",
                )
            )
            if town.projects:
                links.append((self.next_id(MILESTONE_THROUGH), mpk, rng.choice(town.projects)))
            event("milestone", title, due)
        w.insert(
            Milestone,
            (
                "id",
                "municipality_id",
                "grant_id",
                "title",
                "description",
                "phase",
                "due_on",
                "status",
                "done_on",
                "evidence",
                "evidence_content_type",
                "waived_reason",
            ),
            milestones,
        )
        w.insert(MILESTONE_THROUGH, ("id", "milestone_id", "project_id"), links)
        proofs: list[tuple[object, ...]] = []  # rows of ProofOfUse's columns below
        for y in years[:-1]:
            due = datetime.date(y + 1, 4, 30)
            proof_submitted = due - datetime.timedelta(days=rng.randint(1, 20)) if due < self.today else None
            accepted = (
                proof_submitted + datetime.timedelta(days=60)
                if proof_submitted and proof_submitted + datetime.timedelta(days=60) < self.today
                else None
            )
            proofs.append(
                (
                    self.next_id(ProofOfUse),
                    t,
                    gpk,
                    "interim",
                    y,
                    due,
                    proof_submitted,
                    town.admin if proof_submitted else None,
                    accepted,
                    "",
                )
            )
            event("proof", f"Zwischennachweis {y}", min(due, self.today))
        proofs.append(
            (
                self.next_id(ProofOfUse),
                t,
                gpk,
                "final",
                None,
                datetime.date(end.year + 1, 6, 30),
                None,
                None,
                None,
                "",
            )
        )
        event("proof", "Verwendungsnachweis", self.today)
        w.insert(
            ProofOfUse,
            (
                "id",
                "municipality_id",
                "grant_id",
                "kind",
                "year",
                "due_on",
                "submitted_on",
                "submitted_by_id",
                "accepted_on",
                "note",
            ),
            proofs,
        )
        w.insert(
            FundingEvent,
            (
                "id",
                "municipality_id",
                "grant_id",
                "kind",
                "entity",
                "subject",
                "actor_id",
                "at",
                "changes",
                "reason",
            ),
            events,
        )

    # --- participation --------------------------------------------------------------------------------------

    def _participation(self, town: _Town) -> None:
        w, t = self.w, town.row.pk
        rng = self.rng("processes", town.rng_key)
        index = self.towns.index(town)
        partner = (
            self.towns[(index + 1) % len(self.towns)] if len(self.towns) > 1 and index % 5 == 0 else None
        )
        processes, phases, partners, events = [], [], [], []
        for plan, spans in PROCESS_PLANS.items():
            pk = self.next_id(Process)
            quarter = rng.choice(town.quarters)
            first = self.day(spans[Phase.INFORMATION][0])
            title = rng.choice(text.PROCESS_TITLES).format(
                town=town.row.name, quarter=quarter, year=first.year
            )[:200]
            base = german_slugify(f"{title} {town.row.slug}")[:100]
            slug, k = base, 2
            while slug in self.process_slugs:
                slug, k = f"{base}-{k}", k + 1
            self.process_slugs.add(slug)
            created = self.moment(rng, first - datetime.timedelta(days=20), first)
            field_slug = rng.choice(text.TOPICS)[0]
            processes.append(
                (
                    pk,
                    t,
                    title,
                    slug,
                    f"Bringen Sie Ihre Ideen für {quarter} ein: online, im Bürgerbüro oder beim Bürgerforum.",
                    "Wir sammeln Ideen, prüfen sie und stimmen gemeinsam ab.",
                    self.fields.get(field_slug),
                    True,
                    True,
                    True,
                    True,
                    3,
                    1,
                    created,
                    created,
                )
            )
            for kind, (start, end) in spans.items():
                phases.append(
                    (
                        self.next_id(ProcessPhase),
                        t,
                        pk,
                        kind,
                        self.day(start),
                        None if end is None else self.day(end),
                        "",
                    )
                )
            if partner is not None and plan == "ideas":
                partners.append((self.next_id(ProcessPartner), partner.row.pk, pk))
            events.append(
                (
                    self.next_id(ParticipationEvent),
                    t,
                    pk,
                    None,
                    None,
                    t,
                    "process_created",
                    title[:200],
                    town.editor,
                    created,
                    {"title": ["", title]},
                    "",
                )
            )
            town.processes[plan] = (
                pk,
                title,
                {k: (self.day(a), None if b is None else self.day(b)) for k, (a, b) in spans.items()},
            )
        w.insert(
            Process,
            (
                "id",
                "municipality_id",
                "title",
                "slug",
                "summary",
                "description",
                "field_of_action_id",
                "is_published",
                "allow_comments",
                "allow_supports",
                "allow_location",
                "votes_per_person",
                "votes_per_idea",
                "created_at",
                "updated_at",
            ),
            processes,
        )
        w.insert(
            ProcessPhase,
            ("id", "municipality_id", "process_id", "kind", "starts_on", "ends_on", "note"),
            phases,
        )
        w.insert(ProcessPartner, ("id", "municipality_id", "process_id"), partners)
        t0 = time.perf_counter()
        self._ideas(town, events)
        self._timed("ideas, comments, supports", t0)

    # --- surveys ------------------------------------------------------------------------------------------

    def _surveys(self, town: _Town) -> None:
        """A survey in each of the town's two survey processes, with one question of every kind and
        ``survey_responses`` responses: anonymous, open to everyone; a third of the town's citizens answered
        with their account (``Participant``), the rest without one, one in twenty on paper; free text partly
        published, partly waiting or hidden."""
        w, t = self.w, town.row.pk
        rng = self.rng("surveys", town.rng_key)
        surveys, questions, options, participants, responses = [], [], [], [], []
        answers: list[tuple] = []
        for plan, shown in (("survey", "live"), ("survey-closed", "after")):
            process_id, _title, spans = town.processes[plan]
            first, last = spans[Phase.SURVEY]
            survey_id = self.next_id(Survey)
            n = self.o.survey_responses
            locked = self.moment(rng, first, first) if n else None
            surveys.append(
                (survey_id, t, process_id, 1, "Umfrage zur Innenstadt", "everyone", True, shown, locked, n)
            )
            asked = []
            for position, (kind, text_, labels, rows) in enumerate(SURVEY_QUESTIONS):
                question_id = self.next_id(Question)
                questions.append((question_id, t, survey_id, position, kind, text_, False, 1, 5))
                columns = []
                for index, label in enumerate(labels):
                    option_id = self.next_id(Option)
                    options.append((option_id, t, question_id, index, label, False))
                    columns.append(option_id)
                row_ids = []
                for index, label in enumerate(rows):
                    option_id = self.next_id(Option)
                    options.append((option_id, t, question_id, index, label, True))
                    row_ids.append(option_id)
                asked.append((question_id, kind, columns, row_ids))
            with_account = rng.sample(town.citizens, min(len(town.citizens) // 3, n))
            for index in range(n):
                response_id = self.next_id(SurveyResponse)
                paper = rng.random() < 0.05
                day = first + datetime.timedelta(
                    days=rng.randint(0, max(0, (min(last, self.today) - first).days))
                )
                responses.append((response_id, t, survey_id, paper, town.editor if paper else None, day))
                if index < len(with_account) and not paper:
                    participants.append((self.next_id(Participant), t, survey_id, with_account[index]))
                for question_id, kind, columns, row_ids in asked:
                    if kind in ("single", "multiple", "ranking", "matrix") and rng.random() < 0.1:
                        continue  # an optional question skipped
                    if kind == "single":
                        answers.append(
                            (
                                self.next_id(Answer),
                                t,
                                response_id,
                                question_id,
                                rng.choice(columns),
                                None,
                                None,
                                "",
                                "",
                            )
                        )
                    elif kind == "multiple":
                        for option_id in rng.sample(columns, rng.randint(1, 3)):
                            answers.append(
                                (
                                    self.next_id(Answer),
                                    t,
                                    response_id,
                                    question_id,
                                    option_id,
                                    None,
                                    None,
                                    "",
                                    "",
                                )
                            )
                    elif kind == "scale":
                        answers.append(
                            (
                                self.next_id(Answer),
                                t,
                                response_id,
                                question_id,
                                None,
                                None,
                                rng.choice((1, 2, 3, 3, 4, 4, 4, 5, 5)),
                                "",
                                "",
                            )
                        )
                    elif kind == "ranking":
                        for rank, option_id in enumerate(rng.sample(columns, len(columns)), start=1):
                            answers.append(
                                (
                                    self.next_id(Answer),
                                    t,
                                    response_id,
                                    question_id,
                                    option_id,
                                    None,
                                    rank,
                                    "",
                                    "",
                                )
                            )
                    elif kind == "matrix":
                        for row_id in row_ids:
                            answers.append(
                                (
                                    self.next_id(Answer),
                                    t,
                                    response_id,
                                    question_id,
                                    rng.choice(columns),
                                    row_id,
                                    None,
                                    "",
                                    "",
                                )
                            )
                    elif rng.random() < 0.3:
                        state = rng.choices(("published", "pending", "hidden"), weights=(6, 3, 1))[0]
                        answers.append(
                            (
                                self.next_id(Answer),
                                t,
                                response_id,
                                question_id,
                                None,
                                None,
                                None,
                                rng.choice(SURVEY_WISHES),
                                state,
                            )
                        )
        w.insert(
            Survey,
            (
                "id",
                "municipality_id",
                "process_id",
                "version",
                "title",
                "audience",
                "is_anonymous",
                "results_shown",
                "locked_at",
                "response_count",
            ),
            surveys,
        )
        w.insert(
            Question,
            (
                "id",
                "municipality_id",
                "survey_id",
                "position",
                "kind",
                "text",
                "is_required",
                "scale_min",
                "scale_max",
            ),
            questions,
        )
        w.insert(Option, ("id", "municipality_id", "question_id", "position", "label", "is_row"), options)
        w.insert(Participant, ("id", "municipality_id", "survey_id", "user_id"), participants)
        w.insert(
            SurveyResponse,
            ("id", "municipality_id", "survey_id", "is_paper", "entered_by_id", "submitted_on"),
            responses,
        )
        w.insert(
            Answer,
            (
                "id",
                "municipality_id",
                "response_id",
                "question_id",
                "option_id",
                "row_id",
                "number",
                "text",
                "moderation",
            ),
            answers,
        )

    def _ideas(self, town: _Town, events: list) -> None:
        o, w, t = self.o, self.w, town.row.pk
        rng = self.rng("ideas", town.rng_key)
        plans = list(IDEA_SHARES)
        counts = Counter(rng.choices(plans, weights=list(IDEA_SHARES.values()), k=o.ideas_per_town))
        ideas, answers, ballots, votes = [], [], [], []
        entries = []  # (id, created_at, plan, weight, author, shown)
        answered: dict[
            int, datetime.datetime
        ] = {}  # Idea.answered_at: the moment of the idea's latest answer
        public_projects = town.projects
        for plan in plans:
            process, _title, spans = town.processes[plan]
            first, last = spans[Phase.IDEAS]
            finished = spans[Phase.VOTE][1] < self.today
            weights = FINISHED_STATUSES if finished else RUNNING_STATUSES
            merge_targets: list[int] = []
            shortlist_candidates = []
            for _ in range(counts[plan]):
                pk = self.next_id(Idea)
                field_slug, title, body, label = text.idea_text(
                    rng, town=town.row.name, quarter_names=town.quarters
                )
                created = self.moment(rng, first, last)
                offline = rng.random() < 0.05
                author = None if offline else rng.choice(town.citizens)
                located = rng.random() < 0.4
                lat = Decimal(f"{town.centre[0] + rng.uniform(-0.05, 0.05):.6f}") if located else None
                lon = Decimal(f"{town.centre[1] + rng.uniform(-0.08, 0.08):.6f}") if located else None
                status = rng.choices(list(weights), weights=list(weights.values()))[0]
                if status == "merged" and not merge_targets:
                    status = "rejected"
                merged_into = rng.choice(merge_targets) if status == "merged" else None
                moderation, reason, moderated_at = Moderation.PUBLISHED, "", None
                roll = rng.random()
                if roll < 0.01:
                    moderation, reason = Moderation.HIDDEN, "Der Beitrag enthielt Angaben zu Dritten."
                    moderated_at = self.moment(rng, created.date(), self.today, after=created)
                    status, merged_into = "submitted", None
                elif roll < 0.03 and town.pre_moderation and plan == "ideas":
                    moderation, status, merged_into = Moderation.PENDING, "submitted", None
                project = (
                    rng.choice(public_projects)
                    if status in ("accepted", "implemented") and public_projects and rng.random() < 0.2
                    else None
                )
                weight = rng.paretovariate(1.3) if moderation == Moderation.PUBLISHED else 0.0
                # Answers walk the idea to its status, each one later than the one before.
                changed, before = created, IdeaStatus.SUBMITTED
                decide_by = spans.get(Phase.EVALUATION, (None, self.today))[1] or self.today
                for to in ANSWER_PATHS[status]:
                    changed = self.moment(
                        rng, changed.date(), self.today if to == "implemented" else decide_by, after=changed
                    )
                    body_answer = rng.choice(text.ANSWERS[to]).format(year=changed.year)
                    answers.append(
                        (
                            self.next_id(OfficialAnswer),
                            t,
                            pk,
                            town.editor,
                            t,
                            before,
                            to,
                            body_answer,
                            changed,
                        )
                    )
                    change = {"status": [_label(IdeaStatus(before)), _label(IdeaStatus(to))]}
                    if to == "merged":
                        change["merged_into"] = ["", str(merged_into)]
                    events.append(
                        (
                            self.next_id(ParticipationEvent),
                            t,
                            process,
                            pk,
                            None,
                            t,
                            "status",
                            title,
                            town.editor,
                            changed,
                            change,
                            body_answer,
                        )
                    )
                    before = IdeaStatus(to)
                    answered[pk] = changed
                source = "Postkarte aus dem Beteiligungskoffer" if offline else ""
                ideas.append(
                    (
                        pk,
                        t,
                        process,
                        author,
                        offline,
                        source,
                        town.editor if offline else None,
                        title,
                        body,
                        self.fields.get(field_slug),
                        label if located else "",
                        lat,
                        lon,
                        status,
                        changed,
                        merged_into,
                        project,
                        moderation,
                        reason,
                        moderated_at,
                        None if offline else created,
                        created,
                        changed,
                    )
                )
                events.append(
                    (
                        self.next_id(ParticipationEvent),
                        t,
                        process,
                        pk,
                        None,
                        t if offline else None,
                        "offline_entered" if offline else "idea_submitted",
                        title,
                        town.editor if offline else author,
                        created,
                        {},
                        "",
                    )
                )
                if project is not None:
                    events.append(
                        (
                            self.next_id(ParticipationEvent),
                            t,
                            process,
                            pk,
                            None,
                            t,
                            "project_linked",
                            title,
                            town.editor,
                            changed,
                            {"project": ["", str(project)]},
                            "",
                        )
                    )
                if moderation == Moderation.HIDDEN:
                    events.append(
                        (
                            self.next_id(ParticipationEvent),
                            t,
                            process,
                            pk,
                            None,
                            t,
                            "hidden",
                            title,
                            town.editor,
                            moderated_at,
                            {"moderation": [_label(Moderation.PUBLISHED), _label(Moderation.HIDDEN)]},
                            reason,
                        )
                    )
                if status != "merged" and moderation == Moderation.PUBLISHED:
                    merge_targets.append(pk)
                    if status in ("under_review", "accepted", "implemented"):
                        shortlist_candidates.append((weight, pk, title))
                entries.append((pk, created, plan, weight, author, moderation))
            if plan in ("vote", "results", "archive"):
                self._shortlist(town, plan, shortlist_candidates, ideas, events, ballots, votes, rng)
        # The comments and supports are made before the ideas are written, so that each idea is written with its
        # stored counts: no second pass over 200,000 rows (and their indexes) to update them.
        comments, shown = self._comments(town, entries, events)
        supports, supported = self._supports(town, entries)
        w.insert(
            Idea,
            (
                "id",
                "municipality_id",
                "process_id",
                "author_id",
                "is_offline",
                "offline_source",
                "entered_by_id",
                "title",
                "body",
                "field_of_action_id",
                "location_label",
                "latitude",
                "longitude",
                "status",
                "status_changed_at",
                "merged_into_id",
                "project_id",
                "moderation",
                "moderation_reason",
                "moderated_at",
                "consent_at",
                "created_at",
                "updated_at",
                "is_shortlisted",
                "support_count",
                "comment_count",
                "counts_changed_at",
                "answered_at",
            ),
            (
                (*row[:23], len(row) == 24, supported[row[0]], shown[row[0]], self.now, answered.get(row[0]))
                for row in ideas
            ),
        )
        w.insert(
            Comment,
            (
                "id",
                "municipality_id",
                "idea_id",
                "parent_id",
                "author_id",
                "is_official",
                "body",
                "created_at",
                "moderation",
                "moderation_reason",
                "moderated_at",
            ),
            comments,
        )
        w.insert(Support, ("id", "municipality_id", "idea_id", "user_id", "created_at"), supports)
        w.insert(
            OfficialAnswer,
            (
                "id",
                "municipality_id",
                "idea_id",
                "author_id",
                "answering_town_id",
                "status_before",
                "status_after",
                "body",
                "created_at",
            ),
            answers,
        )
        w.insert(
            Ballot, ("id", "municipality_id", "process_id", "user_id", "created_at", "updated_at"), ballots
        )
        w.insert(Vote, ("id", "municipality_id", "ballot_id", "idea_id", "count"), votes)
        w.insert(
            ParticipationEvent,
            (
                "id",
                "municipality_id",
                "process_id",
                "idea_id",
                "comment_id",
                "acting_town_id",
                "kind",
                "subject",
                "actor_id",
                "at",
                "changes",
                "reason",
            ),
            ((*e[:7], str(e[7])[:200], *e[8:]) for e in events),
        )

    def _shortlist(self, town, plan, candidates, ideas, events, ballots, votes, rng) -> None:
        process, _title, spans = town.processes[plan]
        chosen = sorted(candidates, reverse=True)[:SHORTLIST_SIZE]
        chosen_ids = {pk for _w, pk, _t in chosen}
        if not chosen:
            return
        evaluation_end = spans[Phase.EVALUATION][1]
        for i, row in enumerate(ideas):
            if row[0] in chosen_ids:
                ideas[i] = row + (True,)
        for _w, pk, title in chosen:
            when = self.moment(rng, spans[Phase.EVALUATION][0], evaluation_end)
            events.append(
                (
                    self.next_id(ParticipationEvent),
                    town.row.pk,
                    process,
                    pk,
                    None,
                    town.row.pk,
                    "shortlist",
                    title,
                    town.editor,
                    when,
                    {"is_shortlisted": ["nein", "ja"]},
                    "",
                )
            )
        vote_first, vote_last = spans[Phase.VOTE]
        ranked = [pk for _w, pk, _t in chosen]
        for user in rng.sample(town.citizens, len(town.citizens) // 4):
            bpk = self.next_id(Ballot)
            when = self.moment(rng, vote_first, vote_last)
            ballots.append((bpk, town.row.pk, process, user, when, when))
            for idea in rng.sample(ranked, min(len(ranked), rng.choice([1, 2, 3, 3]))):
                votes.append((self.next_id(Vote), town.row.pk, bpk, idea, 1))

    def _comments(self, town: _Town, entries: list, events: list) -> tuple[list, Counter]:
        """The comments of a town's ideas, and per idea how many its page shows (``Idea.comment_count``: the
        rule of ``participation.selectors.facts.SHOWN_COMMENTS``, applied to what is made here)."""
        o, t = self.o, town.row.pk
        rng = self.rng("comments", town.rng_key)
        rows, shown_count = [], Counter()
        open_ = [e for e in entries if e[5] == Moderation.PUBLISHED]
        if not open_:
            return rows, shown_count
        total = round(o.comments_per_idea * len(entries))
        per_idea = Counter(rng.choices(range(len(open_)), weights=[e[3] for e in open_], k=total))
        for position, count in sorted(per_idea.items()):
            pk_idea, created, plan, _w, _author, _m = open_[position]
            spans = town.processes[plan][2]
            last = spans[Phase.VOTE][1]
            process = town.processes[plan][0]
            tops: list[tuple[int, str]] = []
            after = created
            for _ in range(count):
                pk = self.next_id(Comment)
                when = self.moment(rng, after.date(), last, after=after)
                after = when
                parent = rng.choice(tops) if tops and rng.random() < 0.3 else None
                official = parent is not None and rng.random() < 0.15
                writer = town.editor if official else rng.choice(town.citizens)
                body = rng.choice(
                    text.OFFICIAL_REPLIES if official else text.REPLIES if parent else text.COMMENTS
                )
                roll = rng.random()
                moderation, reason, moderated = Moderation.PUBLISHED, "", None
                if roll < 0.02:
                    moderation, reason, moderated = Moderation.HIDDEN, "Beleidigend.", when
                    events.append(
                        (
                            self.next_id(ParticipationEvent),
                            t,
                            process,
                            pk_idea,
                            pk,
                            t,
                            "hidden",
                            body[:60],
                            town.editor,
                            when,
                            {"moderation": [_label(Moderation.PUBLISHED), _label(Moderation.HIDDEN)]},
                            reason,
                        )
                    )
                elif roll < 0.03 and town.pre_moderation:
                    moderation = Moderation.PENDING
                rows.append(
                    (
                        pk,
                        t,
                        pk_idea,
                        parent[0] if parent else None,
                        writer,
                        official,
                        body,
                        when,
                        moderation,
                        reason,
                        moderated,
                    )
                )
                if parent is None:
                    tops.append((pk, moderation))
                if moderation == Moderation.PUBLISHED and (
                    parent is None or parent[1] == Moderation.PUBLISHED
                ):
                    shown_count[pk_idea] += 1
        return rows, shown_count

    def _supports(self, town: _Town, entries: list) -> tuple[list, Counter]:
        """The supports of a town's ideas, and their number per idea (``Idea.support_count``)."""
        o = self.o
        rng = self.rng("supports", town.rng_key)
        open_ = [e for e in entries if e[5] == Moderation.PUBLISHED]
        supported = Counter()
        if not open_:
            return [], supported
        total = round(o.supports_per_idea * len(entries))
        cap = len(town.citizens) - 1
        weights = [e[3] for e in open_]
        per_idea = Counter(rng.choices(range(len(open_)), weights=weights, k=total))
        # An idea cannot have more supporters than the town has citizens: what is over goes to other ideas.
        for _round in range(20):
            over = sum(max(0, n - cap) for n in per_idea.values())
            if not over:
                break
            for position in [p for p, n in per_idea.items() if n > cap]:
                per_idea[position] = cap
                weights[position] = 0
            if not any(weights):
                break
            per_idea.update(rng.choices(range(len(open_)), weights=weights, k=over))
        citizens = town.citizens
        t = town.row.pk
        ids = self.ids

        def rows():
            for position, count in sorted(per_idea.items()):
                pk_idea, created, plan, _w, author, _m = open_[position]
                last = town.processes[plan][2][Phase.EVALUATION][1]
                end = min(self.now, timezone.make_aware(datetime.datetime.combine(last, datetime.time(22))))
                span = max(60, int((end - created).total_seconds()))
                for user in rng.sample(citizens, min(count, cap) + 1):
                    if user == author or count <= 0:
                        continue
                    count -= 1
                    pk = ids[Support]
                    ids[Support] = pk + 1
                    supported[pk_idea] += 1
                    yield pk, t, pk_idea, user, created + datetime.timedelta(seconds=int(rng.random() * span))

        return list(rows()), supported

    # --- knowledge, counts ----------------------------------------------------------------------------------

    def _knowledge(self) -> None:
        rng = self.rng("knowledge")
        rows = []
        for town in self.towns[::3]:
            title, body = rng.choice(text.LESSONS)
            rows.append(
                (
                    self.next_id(LessonNote),
                    town.row.pk,
                    f"{title} ({town.row.name})",
                    body,
                    rng.choice(town.projects) if town.projects else None,
                    rng.random() < 0.5,
                    town.editor,
                    town.editor,
                )
            )
        self.w.insert(
            LessonNote,
            (
                "id",
                "municipality_id",
                "title",
                "body",
                "project_id",
                "is_public",
                "author_id",
                "updated_by_id",
            ),
            rows,
        )


FIELDS_THROUGH = Project.fields_of_action.through
TAGS_THROUGH = Project.tags.through
MILESTONE_THROUGH = Milestone.projects.through
M2M_THROUGH = (FIELDS_THROUGH, TAGS_THROUGH, MILESTONE_THROUGH)
ALL_NUMBERED = (
    User,
    EmailAddress,
    Membership,
    ParticipationSettings,
    Project,
    ProjectPartner,
    ProjectEvent,
    ProgressUpdate,
    Indicator,
    Measurement,
    Grant,
    BudgetLine,
    Spending,
    DisbursementRequest,
    Milestone,
    ProofOfUse,
    FundingEvent,
    Process,
    ProcessPhase,
    ProcessPartner,
    ParticipationEvent,
    Idea,
    OfficialAnswer,
    Ballot,
    Vote,
    Comment,
    Support,
    LessonNote,
    Survey,
    Question,
    Option,
    Participant,
    SurveyResponse,
    Answer,
    *M2M_THROUGH,
)


def holds_other_data() -> bool:
    """Whether the database holds towns or people that no seed run made (then the seeder needs ``force``)."""
    return (
        Municipality.objects.exclude(consortium__slug__startswith=SEED_PREFIX).exists()
        or User.objects.exclude(email__endswith=f".{EMAIL_DOMAIN}").exists()
    )
