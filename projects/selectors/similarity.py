"""Similar projects in other towns (full-text search with a word-overlap fallback) and the catalogue of transferable projects."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.paginator import Page
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.utils.translation import gettext, ngettext

from municipalities.scoping import public_region_scope
from projects.models import FieldOfAction, Project, ProjectPartner
from projects.selectors.common import CACHE_SECONDS, towns_version
from projects.selectors.lists import ProjectFilters, filter_projects
from smartcity5.pagination import CountedPaginator

# --- Knowledge transfer: similar projects and the catalogue of transferable projects ---------------------
# Both read published projects of every town inside public_region_scope() (public data, no audit entry) and
# only ever public rows, so an internal project of another town can never appear.
SIMILAR_LIMIT = 5


# The similarity score adds each shared field of action, each shared tag and the text similarity (0..1).
# Text weighs most: a project that describes the same thing is the most useful pointer; a shared field
# alone is a weak hint. Text similarity is PostgreSQL's ts_rank (normalised to rank / (rank + 1)) times
# SIMILAR_RANK_SCALE, capped at 1, or the word-stem overlap on SQLite; both put the same text at about 0.8,
# two shared key words at about 0.3 and one common word below SIMILAR_TEXT_MIN (measured on demo-like texts
# in tests/projects/test_knowledge.py), so the threshold means the same on both paths.
SIMILAR_FIELD_WEIGHT = 1.0


SIMILAR_TAG_WEIGHT = 0.75


SIMILAR_TEXT_WEIGHT = 3.0


SIMILAR_TEXT_MIN = 0.2  # below this the text is not named as a reason, and alone does not qualify


SIMILAR_RANK_SCALE = 6.0


SIMILAR_QUERY_WORDS = 40


SIMILAR_FALLBACK_CANDIDATES = 500


#: Full-text ranking computes each candidate's vector (to_tsvector of its texts): only the most recently changed
#: candidates are ranked, so that a project page costs the same in a region of 500 or of 20,000 public projects
#: (all of them took about 1 s of SQL per page at 20,000, bench/README.md).
SIMILAR_SEARCH_CANDIDATES = 200


_WORD = re.compile(r"\w{3,}", re.UNICODE)


# Only for the word-overlap fallback; PostgreSQL's 'german' configuration brings its own stop words.
_STOP_WORDS = frozenset(
    "aber alle allen auch auf aus bei bis das dass dem den der des die dies diese dieser durch ein eine einem "
    "einen einer eines für hat ihre ist mit nach nicht noch oder sich sie sind über und uns von vor wie wir "
    "wird werden zum zur zwischen".split()
)


@dataclass
class SimilarProject:
    """A public project of another town like the one on the page, and why it was chosen."""

    project: Project
    score: float
    shared_fields: list[FieldOfAction]
    shared_tag_count: int
    similar_text: bool

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.shared_fields:
            reasons.append(
                gettext("same field of action: %(fields)s")
                % {"fields": ", ".join(f.name for f in self.shared_fields)}
            )
        if self.shared_tag_count:
            reasons.append(
                ngettext("%(count)d shared tag", "%(count)d shared tags", self.shared_tag_count)
                % {"count": self.shared_tag_count}
            )
        if self.similar_text:
            reasons.append(gettext("similar description"))
        return reasons


def _project_text(project: Project) -> str:
    return " ".join(filter(None, (project.title, project.summary, project.description)))


def _query_words(text: str, limit: int = SIMILAR_QUERY_WORDS) -> list[str]:
    """Distinct words of a text in order of appearance (title first), for an OR search query."""
    seen, words = set(), []
    for word in _WORD.findall(text.lower()):
        if word not in seen and not word.isdigit():
            seen.add(word)
            words.append(word)
            if len(words) == limit:
                break
    return words


def _stem(word: str) -> str:
    # A crude German stemmer for the fallback only: enough to match "Sensoren" with "Sensor".
    for suffix in ("ungen", "ung", "en", "er", "es", "e", "n", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _stems(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if len(w) >= 4 and w not in _STOP_WORDS}


def _other_towns_candidates(project: Project) -> QuerySet[Project]:
    """Public projects in which none of ``project``'s towns takes part (call inside the region scope)."""
    towns = {project.municipality_id, *(t.pk for t in project.partner_towns.all())}
    partnered = ProjectPartner._base_manager.filter(municipality__in=towns).values("project")
    return (
        Project.objects.public()
        .exclude(municipality__in=towns)
        .exclude(pk__in=partnered)
        .exclude(status=Project.Status.CANCELLED)
    )


def _shared_count(through: Any, column: str, ids: set[int]) -> Value | Coalesce:
    if not ids:
        return Value(0, output_field=IntegerField())
    return Coalesce(
        Subquery(
            through.objects.filter(project_id=OuterRef("pk"), **{f"{column}__in": ids})
            .order_by()
            .values("project_id")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        Value(0),
    )


def similar_projects(
    *, project: Project, limit: int = SIMILAR_LIMIT, use_search: bool | None = None
) -> list[SimilarProject]:
    """Up to ``limit`` public projects of other towns like ``project``, best first, each with its reasons.

    Ranked by shared fields of action, shared tags and text similarity: PostgreSQL full-text search with the
    'german' configuration (stemming, stop words), or on other databases the overlap of word stems
    (:func:`_similar_by_word_overlap`). ``use_search`` forces one path (tests). A bounded number of queries.
    """
    if use_search is None:
        use_search = connection.vendor == "postgresql"
    with public_region_scope() as towns:
        # Kept in the cache under the active towns' stored versions: any change of a project of any town (its
        # texts, fields, tags, status, visibility, partners) makes a new key. Ranking the candidates' texts was
        # most of the SQL of a project page (about 45 ms at 20,000 projects).
        key = f"projects:similar:{project.pk}:{limit}:{int(use_search)}:{towns_version(towns)}"
        found = cache.get(key)
        if found is None:
            found = _similar_projects(project, limit, use_search)
            cache.set(key, found, CACHE_SECONDS)
    return found


def _similar_projects(project: Project, limit: int, use_search: bool) -> list[SimilarProject]:
    """(Inside the region scope.)"""
    field_ids = {f.pk for f in project.fields_of_action.all()}
    tag_ids = set(project.tags.values_list("pk", flat=True))
    candidates = _other_towns_candidates(project)
    if use_search:
        return _similar_by_search(project, candidates, field_ids, tag_ids, limit)
    return _similar_by_word_overlap(project, candidates, field_ids, tag_ids, limit)


def _similar_by_search(
    project: Project, candidates: QuerySet[Project], field_ids: set[int], tag_ids: set[int], limit: int
) -> list[SimilarProject]:
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    words = _query_words(_project_text(project))
    recent = candidates.order_by("-updated_at").values("pk")[:SIMILAR_SEARCH_CANDIDATES]
    candidates = candidates.filter(pk__in=recent)
    rank: Value | Least = Value(0.0, output_field=FloatField())
    if words:
        vector = (
            SearchVector("title", weight="A", config="german")
            + SearchVector("summary", weight="B", config="german")
            + SearchVector("description", weight="C", config="german")
        )
        query = SearchQuery(" or ".join(words), config="german", search_type="websearch")
        rank = Least(
            SearchRank(vector, query, normalization=Value(32)) * Value(SIMILAR_RANK_SCALE), Value(1.0)
        )
    qs = candidates.annotate(
        shared_fields=_shared_count(Project.fields_of_action.through, "fieldofaction_id", field_ids),
        shared_tags=_shared_count(Project.tags.through, "tag_id", tag_ids),
        text_similarity=rank,
    ).annotate(
        score=F("shared_fields") * SIMILAR_FIELD_WEIGHT
        + F("shared_tags") * SIMILAR_TAG_WEIGHT
        + F("text_similarity") * SIMILAR_TEXT_WEIGHT
    )
    qs = (
        qs.filter(Q(shared_fields__gt=0) | Q(shared_tags__gt=0) | Q(text_similarity__gte=SIMILAR_TEXT_MIN))
        .select_related("municipality")
        .prefetch_related("fields_of_action")
        .order_by("-score", "title")[:limit]
    )
    return [
        SimilarProject(
            project=p,
            score=p.score,
            shared_tag_count=p.shared_tags,
            shared_fields=[f for f in p.fields_of_action.all() if f.pk in field_ids],
            similar_text=p.text_similarity >= SIMILAR_TEXT_MIN,
        )
        for p in qs
    ]


def _similar_by_word_overlap(
    project: Project, candidates: QuerySet[Project], field_ids: set[int], tag_ids: set[int], limit: int
) -> list[SimilarProject]:
    """The fallback without full-text search (SQLite): shared fields and tags, and the overlap of word stems
    (shared stems ÷ √(stems of one × stems of the other)), over at most SIMILAR_FALLBACK_CANDIDATES rows."""
    own = _stems(_project_text(project))
    rows = list(
        candidates.select_related("municipality")
        .prefetch_related("fields_of_action", "tags")
        .order_by("-updated_at")[:SIMILAR_FALLBACK_CANDIDATES]
    )
    found = []
    for row in rows:
        theirs = _stems(_project_text(row))
        overlap = len(own & theirs) / math.sqrt(len(own) * len(theirs)) if own and theirs else 0.0
        shared_fields = [f for f in row.fields_of_action.all() if f.pk in field_ids]
        shared_tags = sum(1 for t in row.tags.all() if t.pk in tag_ids)
        if not (shared_fields or shared_tags or overlap >= SIMILAR_TEXT_MIN):
            continue
        score = (
            len(shared_fields) * SIMILAR_FIELD_WEIGHT
            + shared_tags * SIMILAR_TAG_WEIGHT
            + overlap * SIMILAR_TEXT_WEIGHT
        )
        found.append(
            SimilarProject(
                project=row,
                score=score,
                shared_fields=shared_fields,
                shared_tag_count=shared_tags,
                similar_text=overlap >= SIMILAR_TEXT_MIN,
            )
        )
    found.sort(key=lambda s: (-s.score, s.project.title))
    return found[:limit]


@dataclass(frozen=True)
class CatalogueFilters:
    """Filters of the catalogue of transferable projects."""

    field: str = ""  # FieldOfAction.slug
    town: str = ""  # Municipality.slug (lead or partner town)
    transferability: str = ""  # "yes" or "partly"; both when empty
    open_source: bool = False  # only projects that publish their code


TRANSFERABLE = (Project.Transferability.YES, Project.Transferability.PARTLY)


def transfer_catalogue(
    *, filters: CatalogueFilters = CatalogueFilters(), page: str | int | None = None, per_page: int = 20
) -> Page[Any]:
    """One page of the public projects of all towns that others can re-use (fully or partly), fully
    re-usable ones first. Evaluated inside the region scope: the page's ``object_list`` is a list."""
    wanted = [filters.transferability] if filters.transferability in TRANSFERABLE else list(TRANSFERABLE)
    with public_region_scope() as towns:
        qs = filter_projects(
            Project.objects.public().filter(transferability__in=wanted),
            ProjectFilters(field=filters.field, town=filters.town),
        )
        if filters.open_source:
            qs = qs.exclude(open_source_url="")
        qs = (
            qs.select_related("municipality")
            .prefetch_related("fields_of_action", "partner_towns")
            .order_by(
                Case(When(transferability=Project.Transferability.YES, then=Value(0)), default=Value(1)),
                "title",
            )
        )
        # The whole catalogue's size is kept in the cache under the towns' stored version (any change of a project
        # makes a new key): counting its thousands of rows took longer than reading a page by its index.
        key = f"projects:catalogue:{towns_version(towns)}" if filters == CatalogueFilters() else None
        count = cache.get(key) if key is not None else None
        page_obj = CountedPaginator(qs, per_page, count=count).get_page(page)
        page_obj.object_list = list(page_obj.object_list)
        if key is not None and count is None:
            cache.set(key, page_obj.paginator.count, CACHE_SECONDS)
    return page_obj
