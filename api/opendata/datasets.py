"""The datasets of the open data (projects, KPIs, ideas, survey results): their columns (``Field``, described in the
datapackage.json), where their rows come from, their formats, file names and addresses."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from municipalities.models import Municipality
from participation.models import Feasibility, Idea
from projects.models import Project
from surveys.models import QuestionKind

from . import selectors
from .rows import Context, idea_item, indicator_item, project_item, survey_item

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _one_row(item: dict, columns: tuple[str, ...]) -> Iterator[list]:
    yield [item[column] for column in columns]


def _measurement_rows(item: dict, columns: tuple[str, ...]) -> Iterator[list]:
    """One row per measurement; a KPI without measurements still gets one row (with empty date and value)."""
    kpi = [item[field.name] for field in INDICATOR_FIELDS]
    for measurement in item["measurements"] or [{"measured_on": None, "value": None}]:
        yield [*kpi, measurement["measured_on"], measurement["value"]]


def _answer_rows(item: dict, columns: tuple[str, ...]) -> Iterator[list]:
    """One row per answer of each question (a survey without questions still gets one row)."""
    survey = [item[field.name] for field in SURVEY_FIELDS]
    empty = dict.fromkeys((field.name for field in ANSWER_FIELDS), None)
    for answer in item["answers"] or [empty]:
        yield [*survey, *(answer[field.name] for field in ANSWER_FIELDS)]


@dataclass(frozen=True)
class Field:
    """A column of the CSV file (and a key of the JSON items), described in the dataset's ``datapackage.json``:
    its Frictionless type, what it holds, and for codes the values with their labels (``categories``)."""

    name: str
    type: str  # Frictionless Table Schema: string, integer, number, boolean, date, datetime
    description: Any  # a lazy translation
    format: str = ""  # "uri" for addresses
    unit: str = ""
    categories: Callable[[], list[dict]] | None = None
    required: bool = False


def _choices(choices) -> Callable[[], list[dict]]:
    """The values of a code with their labels in the active language (German in the files)."""
    return lambda: [{"value": value, "label": str(label)} for value, label in choices]


def _fields_of_action() -> list[dict]:
    from projects.models import FieldOfAction

    return [
        {"value": slug, "label": name}
        for slug, name in FieldOfAction.objects.order_by("position", "name").values_list("slug", "name")
    ]


def _towns() -> list[dict]:
    return [
        {"value": slug, "label": name}
        for slug, name in Municipality.objects.order_by("name").values_list("slug", "name")
    ]


WGS84 = gettext_lazy("WGS84 (EPSG:4326), decimal degrees")
LIST_NOTE = gettext_lazy("In the CSV file several values are separated by “|”; in the JSON file a list.")

PROJECT_FIELDS = (
    Field("slug", "string", gettext_lazy("The project's address name, unique in the portal."), required=True),
    Field("title", "string", gettext_lazy("Title of the project."), required=True),
    Field("summary", "string", gettext_lazy("Short description.")),
    Field(
        "status",
        "string",
        gettext_lazy("State of the project."),
        categories=_choices(Project.Status.choices),
        required=True,
    ),
    Field(
        "phase",
        "string",
        gettext_lazy("Phase of the funding programme (A: strategy, B: implementation)."),
        categories=_choices(Project.Phase.choices),
        required=True,
    ),
    Field(
        "lead_town",
        "string",
        gettext_lazy("The town that leads the project (its address name)."),
        categories=_towns,
        required=True,
    ),
    Field(
        "partner_towns",
        "string",
        format_lazy(
            "{} {}", gettext_lazy("Partner towns of a joint project (their address names)."), LIST_NOTE
        ),
        categories=_towns,
    ),
    Field(
        "fields_of_action",
        "string",
        format_lazy(
            "{} {}",
            gettext_lazy("Fields of action of the Smart City strategy (their address names)."),
            LIST_NOTE,
        ),
        categories=_fields_of_action,
    ),
    Field("planned_start", "date", gettext_lazy("Planned start.")),
    Field("planned_end", "date", gettext_lazy("Planned end.")),
    Field("actual_start", "date", gettext_lazy("Actual start.")),
    Field("actual_end", "date", gettext_lazy("Actual end.")),
    Field(
        "progress_percent",
        "integer",
        gettext_lazy("Progress reported in the latest update (0 to 100)."),
        unit="%",
    ),
    Field("last_update_on", "date", gettext_lazy("Day of the latest progress update.")),
    Field(
        "updated_at",
        "datetime",
        gettext_lazy("Last change of the project's data (local time with offset)."),
        required=True,
    ),
    Field(
        "url", "string", gettext_lazy("Address of the project's public page."), format="uri", required=True
    ),
)
INDICATOR_FIELDS = (
    Field(
        "id",
        "integer",
        gettext_lazy(
            "Number of the key performance indicator, unique in the portal (in the CSV "
            "file repeated on each of its measurements)."
        ),
        required=True,
    ),
    Field(
        "project",
        "string",
        gettext_lazy("The project the indicator belongs to (its address name)."),
        required=True,
    ),
    Field("name", "string", gettext_lazy("Name of the indicator."), required=True),
    Field(
        "unit",
        "string",
        gettext_lazy(
            "Unit of baseline, target and values, as entered by the town (e.g. %, kWh, "
            "users); empty when the values are counts without a unit."
        ),
    ),
    Field("baseline", "number", gettext_lazy("Value at the start, in the indicator's unit.")),
    Field("baseline_date", "date", gettext_lazy("Day of the baseline.")),
    Field("target", "number", gettext_lazy("Value to reach, in the indicator's unit.")),
    Field("target_date", "date", gettext_lazy("Day by which the target should be reached.")),
)
MEASUREMENT_FIELDS = (
    Field(
        "measured_on",
        "date",
        gettext_lazy("Day of the measurement (CSV: empty for an indicator without measurements)."),
    ),
    Field("value", "number", gettext_lazy("Measured value, in the indicator's unit.")),
)
IDEA_FIELDS = (
    Field("id", "integer", gettext_lazy("Number of the idea, unique in the portal."), required=True),
    Field(
        "town",
        "string",
        gettext_lazy("The town whose process the idea belongs to (its address name)."),
        categories=_towns,
        required=True,
    ),
    Field("process", "string", gettext_lazy("The participation process (its address name)."), required=True),
    Field("title", "string", gettext_lazy("Title of the idea."), required=True),
    Field(
        "status",
        "string",
        gettext_lazy("State of the idea."),
        categories=_choices(Idea.Status.choices),
        required=True,
    ),
    Field(
        "field_of_action",
        "string",
        gettext_lazy("Field of action of the idea (its address name)."),
        categories=_fields_of_action,
    ),
    Field("location_label", "string", gettext_lazy("Name of the place the idea is about.")),
    Field(
        "latitude", "number", format_lazy("{}: {}", gettext_lazy("Latitude of the place"), WGS84), unit="°"
    ),
    Field(
        "longitude", "number", format_lazy("{}: {}", gettext_lazy("Longitude of the place"), WGS84), unit="°"
    ),
    Field(
        "is_offline",
        "boolean",
        gettext_lazy("Entered by staff from paper or an event (true) or submitted online (false)."),
        required=True,
    ),
    Field("support_count", "integer", gettext_lazy("Number of supports."), required=True),
    Field("comment_count", "integer", gettext_lazy("Number of published comments."), required=True),
    Field("created_on", "date", gettext_lazy("Day the idea was submitted."), required=True),
    Field("official_answer", "string", gettext_lazy("Text of the town's latest official answer.")),
    Field("answered_on", "date", gettext_lazy("Day of the latest official answer.")),
    Field(
        "cost_estimate",
        "number",
        gettext_lazy("Participatory budget: the cost of the proposal according to the town, in euros."),
        unit="EUR",
    ),
    Field(
        "feasibility",
        "string",
        gettext_lazy("Participatory budget: the town's verdict on the proposal."),
        categories=_choices(Feasibility.choices),
    ),
    Field(
        "votes",
        "integer",
        gettext_lazy("Votes the idea got in the process's vote, once the results are public (a sum only)."),
    ),
    Field("url", "string", gettext_lazy("Address of the idea's public page."), format="uri", required=True),
)

SURVEY_FIELDS = (
    Field(
        "id",
        "integer",
        gettext_lazy(
            "Number of the survey version, unique in the portal (in the CSV file repeated on each of its answers)."
        ),
        required=True,
    ),
    Field(
        "town",
        "string",
        gettext_lazy("The town whose process the survey belongs to (its address name)."),
        categories=_towns,
        required=True,
    ),
    Field("process", "string", gettext_lazy("The participation process (its address name)."), required=True),
    Field("title", "string", gettext_lazy("Title of the survey."), required=True),
    Field(
        "version", "integer", gettext_lazy("Version of the questionnaire (1 for the first)."), required=True
    ),
    Field(
        "responses",
        "integer",
        gettext_lazy("Number of responses, paper questionnaires included."),
        required=True,
    ),
    Field(
        "paper_responses",
        "integer",
        gettext_lazy("Of the responses, paper questionnaires typed in by the town."),
        required=True,
    ),
    Field(
        "url", "string", gettext_lazy("Address of the survey's results page."), format="uri", required=True
    ),
)
ANSWER_FIELDS = (
    Field("question_position", "integer", gettext_lazy("Number of the question in the questionnaire.")),
    Field("question", "string", gettext_lazy("Text of the question.")),
    Field(
        "question_kind",
        "string",
        gettext_lazy("Kind of question."),
        categories=_choices(QuestionKind.choices),
    ),
    Field("answered", "integer", gettext_lazy("Responses that answered the question.")),
    Field("row", "string", gettext_lazy("Matrix questions: the row the answer was given for.")),
    Field(
        "answer",
        "string",
        gettext_lazy(
            "The answer chosen (a scale: its value); empty for a free-text question, whose texts are not "
            "included."
        ),
    ),
    Field("count", "integer", gettext_lazy("How often the answer was chosen.")),
    Field(
        "share_percent",
        "number",
        gettext_lazy("Share of those who answered the question (matrix: the row), in percent."),
        unit="%",
    ),
    Field(
        "average_rank", "number", gettext_lazy("Ranking questions: the answer's average rank (1 = first).")
    ),
    Field("average", "number", gettext_lazy("Scale questions: the average value.")),
)


class Rows(Protocol):
    """Where a dataset's objects come from: a queryset, or ``selectors.SurveysWithResults``; read in chunks."""

    def iterator(self, chunk_size: int) -> Iterator[Any]: ...


@dataclass(frozen=True)
class Dataset:
    key: str
    file_stem: str  # German, for the file names
    title: "StrOrPromise"
    description: "StrOrPromise"  # with {place}
    keywords: "tuple[StrOrPromise, ...]"
    fields: tuple[Field, ...]  # the CSV columns, in order
    rows: Callable[[], Rows]
    freshness: Callable[[], selectors.Freshness]
    item: Callable[[Any, Context], dict]
    csv_rows: Callable[[dict, tuple[str, ...]], Iterator[list]] = _one_row
    primary_key: tuple[str, ...] = ("id",)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields)


DATASETS: dict[str, Dataset] = {
    dataset.key: dataset
    for dataset in (
        Dataset(
            key="projects",
            file_stem="projekte",
            title=gettext_lazy("Projects"),
            description=gettext_lazy(
                "The public projects (measures) of {place} in the Smart City model project: status, "
                "programme phase, lead and partner towns, fields of action, planned and actual "
                "dates, progress and the address of each project's page."
            ),
            keywords=(gettext_lazy("projects"), gettext_lazy("measures")),
            fields=PROJECT_FIELDS,
            primary_key=("slug",),
            rows=selectors.public_projects,
            freshness=selectors.projects_freshness,
            item=project_item,
        ),
        Dataset(
            key="indicators",
            file_stem="kennzahlen",
            title=gettext_lazy("Key performance indicators"),
            description=gettext_lazy(
                "The key performance indicators (KPIs) of the public projects of {place} with "
                "baseline, target and every measurement (in the CSV file one row per "
                "measurement)."
            ),
            keywords=(gettext_lazy("key performance indicators"), gettext_lazy("measurements")),
            fields=INDICATOR_FIELDS + MEASUREMENT_FIELDS,
            primary_key=("id", "measured_on"),
            rows=selectors.public_indicators,
            freshness=selectors.indicators_freshness,
            item=indicator_item,
            csv_rows=_measurement_rows,
        ),
        Dataset(
            key="ideas",
            file_stem="ideen",
            title=gettext_lazy("Citizens' ideas"),
            description=gettext_lazy(
                "The published ideas of the public participation processes of {place}: status, "
                "field of action, place, supports, comments, the latest official answer, in a participatory "
                "budget the town's cost and verdict, and the votes once the results are public. No personal "
                "data: authors and ballots are not included."
            ),
            keywords=(gettext_lazy("citizen participation"), gettext_lazy("ideas")),
            fields=IDEA_FIELDS,
            rows=selectors.published_ideas,
            freshness=selectors.ideas_freshness,
            item=idea_item,
        ),
        Dataset(
            key="surveys",
            file_stem="umfrageergebnisse",
            title=gettext_lazy("Survey results"),
            description=gettext_lazy(
                "The results of the surveys of the public participation processes of {place} whose results are "
                "public: per question how often each answer was chosen, with shares, average ranks and "
                "averages (in the CSV file one row per answer). Figures only: no free-text answers and "
                "nothing about who answered."
            ),
            keywords=(gettext_lazy("citizen participation"), gettext_lazy("surveys")),
            fields=SURVEY_FIELDS + ANSWER_FIELDS,
            primary_key=("id", "question_position", "row", "answer"),
            rows=selectors.public_survey_results,
            freshness=selectors.surveys_freshness,
            item=survey_item,
            csv_rows=_answer_rows,
        ),
    )
}
FORMATS = ("csv", "json")


def file_name(dataset: Dataset, municipality: Municipality | None, file_format: str) -> str:
    return f"{municipality.slug if municipality else 'region'}-{dataset.file_stem}-{timezone.localdate().isoformat()}.{file_format}"


def download_url(request, dataset: str, file_format: str, municipality: Municipality | None = None) -> str:
    if municipality is None:
        address = reverse(f"api:opendata-{file_format}", kwargs={"dataset": dataset})
    else:
        address = reverse(
            f"api:town-opendata-{file_format}", kwargs={"dataset": dataset, "town_slug": municipality.slug}
        )
    return request.build_absolute_uri(address) if request is not None else address


def site_url(path: str = "") -> str:
    """An absolute address on the portal for files built without a request (``SITE_HOST``, as in mails)."""
    return f"{settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL}://{settings.SITE_HOST}{path}"


def page_url() -> str:
    return site_url(reverse("opendata:index"))


def dataset_iri(dataset: Dataset, municipality: Municipality | None) -> str:
    """The dataset's IRI (also its ``dct:identifier``): on the open data page under ``SITE_HOST``, where the
    table cell of the dataset carries the fragment as its id."""
    return f"{page_url()}#{municipality.slug if municipality else 'region'}-{dataset.key}"


def datapackage_url(dataset: str, municipality: Municipality | None) -> str:
    if municipality is None:
        return site_url(reverse("api:opendata-datapackage", kwargs={"dataset": dataset}))
    return site_url(
        reverse("api:town-opendata-datapackage", kwargs={"dataset": dataset, "town_slug": municipality.slug})
    )
