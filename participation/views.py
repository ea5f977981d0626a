"""Pages of the participation app: processes, ideas, comments, supports, reports and the vote for citizens;
the moderation queue, the answer and status workflow and the process editor for staff."""

import csv
import hashlib
import json

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import CITIZEN, personal, public, town_permission_required
from municipalities.models import Municipality
from municipalities.scoping import public_region_scope
from smartcity5.forms import add_errors
from smartcity5.jobs import job_download
from smartcity5.maps import MapPoints
from smartcity5.numbers import format_number
from smartcity5.page_cache import anonymous_page_cache
from smartcity5.pagination import COUNT_CAP, MAP_POINT_LIMIT, CountedPaginator
from smartcity5.ratelimit import RateLimited, check_rate, too_many, upload_refused
from smartcity5.responses import file_response
from smartcity5.spreadsheets import csv_text

from .forms import (
    AnswerForm,
    AssessmentForm,
    BallotForm,
    BudgetBallotForm,
    CodeBallotForm,
    CodeBudgetBallotForm,
    CommentForm,
    FlagForm,
    IdeaFilterForm,
    IdeaForm,
    OfflineIdeaForm,
    PaperBallotForm,
    ParticipationSettingsForm,
    PhaseFormSet,
    PrivacyEditForm,
    ProcessForm,
    ProjectLinkForm,
    ReasonForm,
    VotingCodeBatchForm,
    phase_initial,
)
from .models import CodePurpose, Comment, Idea, Moderation, Process, VotingCodeBatch
from .selectors import ballots as ballots_selectors
from .selectors import idea_page as idea_page_selectors
from .selectors import ideas as ideas_selectors
from .selectors import moderation as moderation_selectors
from .selectors import people as people_selectors
from .selectors import processes as processes_selectors
from .services import answers as answers_services
from .services import ballots as ballots_services
from .services import budget as budget_services
from .services import codes as codes_services
from .services import comments as comments_services
from .services import flags as flags_services
from .services import ideas as ideas_services
from .services import moderation as moderation_services
from .services import privacy as privacy_services
from .services import processes as processes_services
from .services import supports as supports_services

PER_PAGE = 20
#: How long an unfiltered list's map points stay in the cache (a change of the ideas makes a new key anyway).
MAP_CACHE_SECONDS = 3600
#: The ideas' map: points link to the idea's page (by its number).
IDEA_MAP = MapPoints(url_name="participation:idea", key="pk", statuses=Idea.Status.choices)


# --- Helpers ---------------------------------------------------------------------------------------------


def _process_or_404(request, slug: str, *, staff: bool = False) -> Process:
    try:
        return processes_selectors.process_for(slug=slug, user=request.user, staff=staff)
    except Process.DoesNotExist:
        raise Http404 from None


def _idea_or_404(request, pk: int) -> Idea:
    try:
        return ideas_selectors.idea_for(pk=pk, user=request.user)
    except Idea.DoesNotExist:
        raise Http404 from None


def _staff_idea_or_404(request, pk: int) -> Idea:
    try:
        return ideas_selectors.idea_get(pk=pk, include_hidden=True)
    except Idea.DoesNotExist:
        raise Http404 from None


def _rate_limited(request, error: RateLimited, template: str, context: dict) -> HttpResponse:
    messages.error(request, str(error))
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response


def _list_map(qs, municipality: Municipality | None, cache_key: str | None) -> list[dict]:
    """The map's points of the list: up to MAP_POINT_LIMIT + 1, with a few columns (not texts, authors and processes). An
    unfiltered list's points are kept in the cache under a key holding the stored version of what they show
    (``cache_key``, see :func:`_map_key`), so that a change of the ideas makes a new key."""
    if cache_key is not None:
        points = cache.get(cache_key)
        if points is not None:
            return points
    points = IDEA_MAP.points(qs, town_slug=municipality.slug if municipality is not None else None)
    if cache_key is not None:
        cache.set(cache_key, points, MAP_CACHE_SECONDS)
    return points


def _map_key(municipality: Municipality | None, filters: ideas_selectors.IdeaFilters, version) -> str | None:
    """The cache key of an unfiltered list's map points (``None``: filtered, built per request): per town,
    process (or the whole town), sort and language, and the stored version of the processes (``version``)."""
    if municipality is None or version is None or not ideas_selectors.is_unfiltered(filters):
        return None
    process = filters.process.pk if filters.process is not None else "all"
    return f"participation:map:{municipality.pk}:{process}:{filters.sort}:{get_language()}:{version}"


def _list_context(
    request,
    qs,
    municipality: Municipality | None,
    form,
    filters: ideas_selectors.IdeaFilters | None = None,
    *,
    processes: list[int],
    total: int | None = None,
    version=None,
    search_version: str | None = None,
) -> dict:
    # ``total``: the stored count when the list is not filtered (selectors.stored_total), so that no page counts
    # every idea of the town; a filtered list counts up to COUNT_CAP ("more than 200 ideas found", pages up to
    # the cap). ``version``: the stored version of what the list shows (the map's cache key); ``search_version``
    # the same for a search, whose first COUNT_CAP + 1 (201) matches are cached under it (deeper pages read no idea). The pages are read
    # by selectors.IdeaPages; an unfiltered list's "next page" link carries the position of the page's last idea
    # (``?nach=``), so that any page costs what the first one does.
    filters = filters or ideas_selectors.IdeaFilters()
    pages = ideas_selectors.IdeaPages(
        qs,
        processes=processes,
        sort=filters.sort,
        version=search_version,
        cards=True,
        # An unfiltered list's first page (the page most people see): its SQL compiled once per worker.
        compiled_key=f"{filters.process.pk if filters.process else '-'}:{','.join(map(str, processes))}"
        if total is not None
        else None,
    )
    paginator = CountedPaginator(pages, PER_PAGE, count=total, cap=COUNT_CAP if total is None else None)
    # Positions only for unfiltered lists: a filtered one reads its first COUNT_CAP + 1 (201) matches anyway (for the count and
    # the map; its pages end there), and takes any of its pages from them.
    page = (total is not None and _cursor_page(request, paginator, pages)) or paginator.get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop(CURSOR_PARAM, None)
    map_key = _map_key(municipality, filters, version)
    ideas = list(page.object_list)
    located = pages.located(MAP_POINT_LIMIT + 1)  # a filtered list's: among its first COUNT_CAP + 1 matches
    return {
        "page_obj": page,
        "ideas": ideas,
        "next_cursor": ideas_selectors.IdeaPages.cursor(ideas[-1], pages.sort)
        if ideas and page.has_next() and total is not None
        else "",
        "filter_form": form,
        "map_points": _list_map(qs if located is None else pages.by_ids(located), municipality, map_key),
        "querystring": query.urlencode(),
    }


#: The query parameter of a "next page" link's position (selectors.IdeaPages.cursor).
CURSOR_PARAM = "nach"


def _cursor_page(request, paginator: CountedPaginator, pages: ideas_selectors.IdeaPages):
    """The page a "next page" link asks for (``?page=N&nach=<position>``): the rows after the position, numbered
    N. ``None`` without a position, or with one that is not valid (an edited or truncated link): the page number
    alone then gives the page, as every link before the positions did."""
    text = request.GET.get(CURSOR_PARAM)
    after = ideas_selectors.IdeaPages.parse_cursor(text, pages.sort) if text else None
    if after is None:
        return None
    try:
        number = paginator.validate_number(request.GET.get("page"))
    except (EmptyPage, PageNotAnInteger):
        return None
    pages.after = after
    try:
        rows = pages[0 : paginator.per_page]
    finally:
        pages.after = None
    return paginator._get_page(rows, number, paginator)  # type: ignore[attr-defined]  # Django's, not in django-stubs


# --- Public pages ----------------------------------------------------------------------------------------


def _town_version(request) -> str | None:
    """The stored version of everything the town's public participation pages show (one query over its
    processes): the anonymous page cache's key (smartcity5/page_cache.py)."""
    # With the town's own version (its projects, its name…), see municipalities.freshness.
    from municipalities.freshness import town_page_version

    return town_page_version(request)


cached_for_anonymous = anonymous_page_cache(_town_version)
#: For pages whose main content depends on nothing about the visitor: signed-in people get it from the cache too.
cached_content = anonymous_page_cache(_town_version, shared_content=True)


@public
@cached_content
def process_list(request, town_slug: str):
    processes = list(processes_selectors.process_list())
    return render(request, "participation/process_list.html", {"processes": processes})


@public
def region_process_list(request):
    # Paginated: the region of 50 seeded towns has 300 processes, and rendering every card took half a second.
    with public_region_scope():
        page = CountedPaginator(processes_selectors.process_list(), PER_PAGE).get_page(
            request.GET.get("page")
        )
        processes = list(page.object_list)
    return render(
        request, "participation/region_process_list.html", {"processes": processes, "page_obj": page}
    )


@public
@cached_content
def process_detail(request, town_slug: str, slug: str):
    process = _process_or_404(request, slug)
    # Its only options from the database are the fields of action, which move the town's version.
    form = IdeaFilterForm(
        request.GET or None, with_process=False, choices_version=f"t{request.municipality.content_version}"
    )
    filters = form.filters(process=process)
    qs = ideas_selectors.idea_list(filters=filters)
    today = timezone.localdate()
    return render(
        request,
        "participation/process_detail.html",
        {
            "process": process,
            "phases": sorted(process.phases.all(), key=lambda p: p.starts_on),
            "current_phase": process.current_phase(today),
            "today": today,
            "shortlist": (
                _ballot_list(process) if process.is_budget else ballots_selectors.shortlist(process=process)
            )
            if process.phase("vote")
            else [],
            **_list_context(
                request,
                qs,
                request.municipality,
                form,
                filters,
                processes=[process.pk],
                total=ideas_selectors.stored_total(filters),
                version=process.content_version,
            ),
            # Unfiltered, the map fetches the process's points when it opens instead of carrying them in the page.
            "map_geojson": reverse(
                "participation:process-map",
                kwargs={"town_slug": request.municipality.slug, "slug": process.slug},
            )
            if ideas_selectors.is_unfiltered(filters)
            else "",
        },
    )


def _geojson_entry(request, process: Process) -> dict:
    """The process's map as GeoJSON (RFC 7946, longitude first): its published ideas with a place, up to MAP_POINT_LIMIT, with
    links in the request's town (a partner town of a joint process keeps its own address). Kept in the cache under
    the stored versions of the process and the town, so that any change of an idea or the process makes a new key
    (see "Stored freshness" in docs/ARCHITECTURE.md); the entry holds the body, its ETag and Last-Modified."""
    municipality = request.municipality
    updated = process.updated_at.timestamp() if process.updated_at else 0
    key = (
        f"participation:geojson:{municipality.pk}:{process.pk}:{get_language()}:{process.content_version}:{updated}:"
        f"{municipality.content_version}"
    )
    entry = cache.get(key)
    if entry is None:
        located = ideas_selectors.idea_list(filters=ideas_selectors.IdeaFilters(process=process))
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [point["lon"], point["lat"]]},
                "properties": {
                    "title": point["title"],
                    "url": point["url"],
                    "place": point["place"] or "",
                    "meta": str(point["meta"]),
                },
            }
            for point in IDEA_MAP.points(located, town_slug=municipality.slug)[:MAP_POINT_LIMIT]
        ]
        body = json.dumps(
            {"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":")
        ).encode()
        changed = max(
            moment for moment in (process.content_changed_at, process.updated_at) if moment is not None
        )
        entry = {
            "body": body,
            "etag": f'"{hashlib.sha256(body).hexdigest()[:32]}"',
            "last_modified": http_date(changed.timestamp()),
        }
        cache.set(key, entry, MAP_CACHE_SECONDS)
    return entry


@public
def process_map(request, town_slug: str, slug: str):
    """``/<town>/beteiligung/<process>/karte.geojson``: the points the process page's map fetches when it opens
    (the page itself lists the same places as links, for everyone without the map)."""
    process = _process_or_404(request, slug)
    entry = _geojson_entry(request, process)
    response = get_conditional_response(request, etag=entry["etag"], last_modified=entry["last_modified"])
    if response is None:
        response = HttpResponse(entry["body"], content_type="application/geo+json")
    response["ETag"] = entry["etag"]
    response["Last-Modified"] = entry["last_modified"]
    # A browser asks again each time and gets 304 while nothing changed.
    response["Cache-Control"] = "no-cache" if process.is_published else "private, no-cache"
    return response


@public
@cached_content
def idea_list(request, town_slug: str):
    # The scope's processes and their stored version from one query: the filter's options (kept under the town's
    # and the processes' versions), an unfiltered list's total and map key, a search's cached matches
    # (smartcity5.search.capped_matches).
    fresh = processes_selectors.scope_freshness()
    form = IdeaFilterForm(
        request.GET or None, choices_version=f"t{request.municipality.content_version}.{fresh.version}"
    )
    filters = form.filters()
    total: int | None = None
    version: int | str | None = None
    search_version: str | None = None
    if filters.process is not None:
        processes = [filters.process.pk]
        if ideas_selectors.is_unfiltered(filters):
            total, version = ideas_selectors.stored_total(filters), filters.process.content_version
        elif filters.q:
            search_version = f"p{filters.process.content_version}.{filters.process.updated_at.timestamp()}"
    else:
        processes = list(fresh.published)
        if filters.q:
            search_version = str(fresh.version)
        elif ideas_selectors.is_unfiltered(filters):
            total, version = fresh.shown_ideas, fresh.version
    qs = ideas_selectors.idea_list(
        filters=filters, processes=None if filters.process is not None else processes
    )
    return render(
        request,
        "participation/idea_list.html",
        _list_context(
            request,
            qs,
            request.municipality,
            form,
            filters,
            processes=processes,
            total=total,
            version=version,
            search_version=search_version,
        ),
    )


def _idea_context(request, idea: Idea, **extra) -> dict:
    process = processes_selectors.with_phases(idea.process)
    today = timezone.localdate()
    related = idea_page_selectors.idea_page_related(idea=idea, user=request.user)
    return {
        "idea": idea,
        "process": process,
        **related,
        "can_comment": process.accepts_comments(today) and idea.is_visible,
        "can_support": process.accepts_supports(today) and idea.is_visible,
        "comment_form": extra.pop("comment_form", None) or CommentForm(),
        "map_points": IDEA_MAP.points([idea], town_slug=request.municipality.slug),
        **extra,
    }


@public
@cached_for_anonymous
def idea_detail(request, town_slug: str, pk: int):
    idea = _idea_or_404(request, pk)
    return render(request, "participation/idea_detail.html", _idea_context(request, idea))


@public
def idea_image(request, town_slug: str, pk: int):
    idea = _idea_or_404(request, pk)
    if not idea.image:
        raise Http404
    content_type = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(
        idea.image.name.rsplit(".", 1)[-1].lower(), "application/octet-stream"
    )
    return file_response(idea.image, content_type, private=not idea.is_visible)


@town_permission_required("participation.participate")
def idea_create(request, town_slug: str, slug: str):
    process = _process_or_404(request, slug)
    if not process.accepts_ideas():
        messages.info(request, _("This process is not collecting ideas at the moment."))
        return redirect(process.get_absolute_url(request.municipality))
    form = IdeaForm(
        request.POST or None, request.FILES or None, process=process, municipality=process.municipality
    )
    context = {"process": process, "form": form, "bounds": process.municipality.map_bounds}
    if (limited := upload_refused(request, form)) is not None:
        return too_many(render(request, "participation/idea_form.html", context), limited)
    if request.method == "POST" and form.is_valid():
        try:
            check_rate(request, "idea")
            idea = ideas_services.idea_submit(
                process=process,
                author=request.user,
                fields=form.service_fields(),
                image=form.checked_image,
                consent=form.cleaned_data["consent"],
            )
        except RateLimited as error:
            return _rate_limited(request, error, "participation/idea_form.html", context)
        except ValidationError as error:
            add_errors(form, error)
        else:
            if idea.is_visible:
                messages.success(request, _("Thank you! Your idea has been published."))
            else:
                messages.success(
                    request, _("Thank you! Your idea will be published once a moderator has looked at it.")
                )
            return redirect(idea.get_absolute_url(request.municipality))
    return render(request, "participation/idea_form.html", context, status=400 if form.errors else 200)


@require_POST
@town_permission_required("participation.participate")
def idea_support(request, town_slug: str, pk: int):
    """Support or withdraw (``action``). With htmx only the action part and the live count are swapped (the focus stays on the button); without, the page reloads."""
    idea = _idea_or_404(request, pk)
    withdraw = request.POST.get("action") == "withdraw"
    status = 200
    try:
        check_rate(request, "support")
        if withdraw:
            supports_services.support_withdraw(idea=idea, user=request.user)
        else:
            supports_services.support_add(idea=idea, user=request.user)
    except (RateLimited, ValidationError) as error:
        message = str(error) if isinstance(error, RateLimited) else " ".join(error.messages)
        status = 429 if isinstance(error, RateLimited) else 400
        if not request.htmx:
            messages.error(request, message)
            return redirect(idea.get_absolute_url(request.municipality))
        request.support_error = message
    if request.htmx:
        idea = ideas_selectors.idea_get(pk=idea.pk, include_hidden=True)
        context = _idea_context(request, idea, support_error=getattr(request, "support_error", ""))
        return render(request, "participation/_support_update.html", context, status=status)
    messages.success(
        request, _("Your support has been withdrawn.") if withdraw else _("Thank you for your support!")
    )
    return redirect(idea.get_absolute_url(request.municipality))


@require_POST
@town_permission_required("participation.participate")
def comment_create(request, town_slug: str, pk: int):
    idea = _idea_or_404(request, pk)
    form = CommentForm(request.POST, idea=idea)
    if form.is_valid():
        official_for = form.official_town(request.user, request.municipality)
        try:
            check_rate(request, "comment")
            comment = comments_services.comment_post(
                idea=idea,
                author=request.user,
                body=form.cleaned_data["body"],
                parent=form.parent_comment,
                official_for=official_for,
            )
        except RateLimited as error:
            return _rate_limited(
                request,
                error,
                "participation/idea_detail.html",
                _idea_context(request, idea, comment_form=form),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            if comment.is_visible:
                messages.success(request, _("Your comment has been published."))
            else:
                messages.success(
                    request, _("Your comment will be published once a moderator has looked at it.")
                )
            return redirect(f"{idea.get_absolute_url(request.municipality)}#comment-{comment.pk}")
    return render(
        request, "participation/idea_detail.html", _idea_context(request, idea, comment_form=form), status=400
    )


def _flag(request, target, idea: Idea):
    form = FlagForm(request.POST or None)
    context = {"form": form, "target": target, "idea": idea, "is_comment": isinstance(target, Comment)}
    if request.method == "POST" and form.is_valid():
        try:
            check_rate(request, "report")
            flags_services.flag_submit(
                target=target,
                reporter=request.user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except RateLimited as error:
            return _rate_limited(request, error, "participation/flag_form.html", context)
        except ValidationError as error:
            if getattr(error, "code", None) in ("duplicate", "hidden"):
                messages.info(request, " ".join(error.messages))
                return redirect(idea.get_absolute_url(request.municipality))
            add_errors(form, error)
        else:
            messages.success(request, _("Thank you. A moderator will look at it."))
            return redirect(idea.get_absolute_url(request.municipality))
    return render(request, "participation/flag_form.html", context, status=400 if form.errors else 200)


@town_permission_required("participation.participate")
def idea_flag(request, town_slug: str, pk: int):
    try:
        idea = moderation_selectors.flag_target_idea(pk=pk, user=request.user)
    except Idea.DoesNotExist:
        raise Http404 from None
    return _flag(request, idea, idea)


@town_permission_required("participation.participate")
def comment_flag(request, town_slug: str, pk: int):
    try:
        comment = moderation_selectors.flag_target_comment(pk=pk, user=request.user)
    except Comment.DoesNotExist:
        raise Http404 from None
    return _flag(request, comment, comment.idea)


def _ballot_list(process: Process):
    """What the vote is about, as the pages list it: the shortlist by supports, or a budget's feasible proposals."""
    if process.is_budget:
        return list(
            ballots_selectors.ballot_ideas(process=process)
            .select_related("municipality")
            .order_by("title", "pk")
        )
    return list(
        ideas_selectors.idea_list(
            filters=ideas_selectors.IdeaFilters(process=process, shortlisted=True, sort="supported")
        )
    )


def _budget_sum(process: Process, form: BudgetBallotForm) -> dict:
    """The running total of a budget ballot as sent (or as stored): what the ticked proposals cost, and what
    is left of the budget (negative: over it)."""
    chosen = form.chosen()
    total = ballots_services.budget_total(process=process, chosen=chosen)
    cap = process.budget_cap or 0
    return {
        "chosen_count": len(chosen),
        "total": total,
        "left": max(cap - total, 0),
        "over_by": max(total - cap, 0),
        "over": total > cap,
    }


def process_vote(request, town_slug: str, slug: str):
    """The vote's address. A vote by codes needs no account: it leads anyone, signed in or not, to the code page
    (a resident typing the address from the process page is not sent to the sign-in first); any other vote is
    the signed-in citizens' (:func:`_account_vote`)."""
    process = _process_or_404(request, slug)
    if process.vote_by_codes:
        return redirect("participation:vote-code", town_slug=town_slug, slug=slug)
    return _account_vote(request, town_slug, slug, process=process)


# Labelled by hand, not by a decorator: the route is the citizens' (what the cross-town matrix reads), since a vote
# by accounts asks to sign in (:func:`_account_vote`); only a vote by codes leads anyone on, to its public code page.
process_vote.access = CITIZEN  # type: ignore[attr-defined]  # a plain function, labelled as the decorators label


@town_permission_required("participation.participate")
def _account_vote(request, town_slug: str, slug: str, *, process: Process):
    if not process.accepts_votes():
        messages.info(request, _("The vote is not open."))
        return redirect(process.get_absolute_url(request.municipality))
    ideas = (
        ballots_selectors.ballot_ideas(process=process).select_related("municipality").order_by("title", "pk")
    )
    current = ballots_selectors.ballot_votes(process=process, user=request.user)
    form_class = BudgetBallotForm if process.is_budget else BallotForm
    form = form_class(request.POST or None, ideas=ideas, process=process, current=current)
    context = {"process": process, "form": form, "given": sum(current.values())}
    if process.is_budget:
        context.update(_budget_sum(process, form))  # type: ignore[arg-type]  # a BudgetBallotForm here
        if request.method == "POST" and "recalculate" in request.POST:
            # "Summe berechnen" without JavaScript: the ballot again with the total of what is ticked; nothing saved.
            context["recalculated"] = True
            return render(request, "participation/vote.html", context)
    if request.method == "POST" and form.is_valid():
        try:
            check_rate(request, "vote")
            ballots_services.ballot_cast(process=process, user=request.user, votes=form.votes())
        except RateLimited as error:
            return _rate_limited(request, error, "participation/vote.html", context)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, _("Your votes have been saved. You can change them until the vote ends.")
            )
            return redirect("participation:vote", town_slug=town_slug, slug=slug)
    return render(request, "participation/vote.html", context, status=400 if form.errors else 200)


@public
def process_results(request, town_slug: str, slug: str):
    process = _process_or_404(request, slug)
    if not process.results_public():
        raise Http404
    return render(
        request,
        "participation/results.html",
        {"process": process, **ballots_selectors.vote_results(process=process)},
    )


@public
def process_results_csv(request, town_slug: str, slug: str):
    process = _process_or_404(request, slug)
    if not process.results_public():
        raise Http404
    results = ballots_selectors.vote_results(process=process)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ergebnis-{process.slug}.csv"'
    response.write("\ufeff")  # so that spreadsheet programs read UTF-8
    writer = csv.writer(response, delimiter=";")
    budget = process.is_budget
    head = [_("Rank"), _("Idea"), _("Votes"), _("Share (%)")]
    if budget:
        head += [_("Cost (EUR)"), _("Wins")]
    writer.writerow([*head, _("Address")])
    for idea in results["ideas"]:
        row = [idea.rank, csv_text(idea.title), idea.vote_total, str(idea.share).replace(".", ",")]
        if budget:
            row += [format_number(idea.cost_estimate, decimal_places=2), _("yes") if idea.wins else _("no")]
        writer.writerow([*row, request.build_absolute_uri(idea.get_absolute_url(request.municipality))])
    writer.writerow([])
    writer.writerow([_("Ballots"), results["ballots"]])
    if budget:
        writer.writerow([_("Budget (EUR)"), format_number(results["budget"], decimal_places=2)])
        writer.writerow([_("Spent on the winners (EUR)"), format_number(results["spent"], decimal_places=2)])
    return response


@personal
def my_participation(request):
    return render(request, "participation/mine.html", people_selectors.user_contributions(user=request.user))


# --- Staff pages -----------------------------------------------------------------------------------------


@town_permission_required("town.view_staff_area")
def staff_overview(request, town_slug: str):
    return render(
        request,
        "participation/staff/overview.html",
        {
            "processes": list(processes_selectors.process_list(include_unpublished=True)),
            "waiting": moderation_selectors.moderation_count(),
        },
    )


def _process_form(request, process: Process | None):
    municipality = request.municipality
    form = ProcessForm(request.POST or None, instance=process, municipality=municipality)
    phases = PhaseFormSet(request.POST or None, initial=phase_initial(process), prefix="phase")
    if request.method == "POST" and form.is_valid() and phases.is_valid():
        try:
            if process is None:
                process = processes_services.process_create(
                    municipality=municipality,
                    by=request.user,
                    fields=form.service_fields(),
                    phases=phases.phases(),
                    partner_towns=form.cleaned_data["partner_towns"],
                )
            else:
                processes_services.process_change(
                    process=process,
                    by=request.user,
                    acting_town=municipality,
                    fields=form.service_fields(),
                    phases=phases.phases(),
                    partner_towns=form.cleaned_data["partner_towns"],
                )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "phases" in error.error_dict:
                phases_errors = error.error_dict.pop("phases")
                form.add_error(None, [e for err in phases_errors for e in err.messages])
            if not hasattr(error, "error_dict") or error.error_dict:
                add_errors(form, error)
        else:
            messages.success(request, _("The process has been saved."))
            return redirect("participation:staff-process", town_slug=municipality.slug, slug=process.slug)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "participation/staff/process_form.html",
        {"form": form, "phases": phases, "process": process},
        status=status,
    )


@town_permission_required("town.edit_content")
def staff_process_create(request, town_slug: str):
    return _process_form(request, None)


@town_permission_required("town.edit_content")
def staff_process_edit(request, town_slug: str, slug: str):
    process = processes_services.process_for_change(
        process=_process_or_404(request, slug, staff=True), by=request.user
    )
    return _process_form(request, process)


def _staff_idea_table(request, process: Process | None) -> dict:
    """The filtered, paginated idea table of the staff pages: all ideas whatever their moderation state."""
    form = IdeaFilterForm(
        request.GET or None,
        with_process=process is None,
        staff=True,
        municipality=request.municipality if process is None else None,
    )
    moderation = request.GET.get("moderation", "")
    qs = ideas_selectors.staff_idea_list(
        filters=form.filters(process=process),
        moderation=moderation if moderation in Moderation.values else "",
    )
    page = CountedPaginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    ideas = list(page.object_list)
    return {
        "page_obj": page,
        "ideas": ideas,
        # A budget's cost and verdict: the process's table if it is a budget, the town's if a budget is on the page.
        "budget_columns": process.is_budget if process else any(idea.process.is_budget for idea in ideas),
        "filter_form": form,
        "querystring": query.urlencode(),
        "moderation": moderation,
        "moderation_choices": Moderation.choices,
    }


@town_permission_required("town.view_staff_area")
def staff_ideas(request, town_slug: str):
    """Every idea of the town's processes (joint ones included), for staff and the Agentur's dashboard links."""
    return render(
        request,
        "participation/staff/ideas.html",
        {
            **_staff_idea_table(request, None),
        },
    )


@town_permission_required("town.view_staff_area")
def staff_process(request, town_slug: str, slug: str):
    process = _process_or_404(request, slug, staff=True)
    return render(
        request,
        "participation/staff/process.html",
        {
            "process": process,
            **_staff_idea_table(request, process),
            "results": ballots_selectors.vote_results(process=process) if process.results_public() else None,
            "has_vote": process.phase("vote") is not None,
            "history": list(processes_selectors.process_history(process=process)[:30]),
        },
    )


@town_permission_required("town.edit_content")
def staff_offline_idea(request, town_slug: str, slug: str):
    process = _process_or_404(request, slug, staff=True)
    form = OfflineIdeaForm(
        request.POST or None, request.FILES or None, process=process, municipality=process.municipality
    )
    context = {"form": form, "process": process, "bounds": process.municipality.map_bounds}
    if (limited := upload_refused(request, form)) is not None:
        return too_many(render(request, "participation/staff/offline_form.html", context), limited)
    if request.method == "POST" and form.is_valid():
        try:
            idea = ideas_services.idea_enter_offline(
                process=process,
                by=request.user,
                acting_town=request.municipality,
                fields=form.service_fields(),
                image=form.checked_image,
                source=form.cleaned_data["offline_source"],
                created_on=form.cleaned_data.get("collected_on"),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The idea “%(title)s” has been entered.") % {"title": idea.title})
            if "another" in request.POST:
                return redirect("participation:staff-offline", town_slug=town_slug, slug=slug)
            return redirect("participation:staff-idea", town_slug=town_slug, pk=idea.pk)
    return render(
        request, "participation/staff/offline_form.html", context, status=400 if form.errors else 200
    )


def _staff_idea_context(request, idea: Idea, **forms) -> dict:
    process = processes_selectors.process_get(slug=idea.process.slug)
    return {
        "idea": idea,
        "process": process,
        "answers": list(idea.answers.select_related("answering_town", "author").order_by("created_at")),
        "history": list(ideas_selectors.idea_history(idea=idea)[:50]),
        "answer_form": forms.get("answer_form") or AnswerForm(idea=idea),
        "project_form": forms.get("project_form") or ProjectLinkForm(idea=idea),
        "hide_form": forms.get("hide_form") or ReasonForm(),
        "staff_comments": idea_page_selectors.staff_comments(
            idea=idea,
            everything=request.GET.get("kommentare") == "alle",
            page=request.GET.get("page"),
        ),
        "shortlist_open": process.shortlist_open(),
        "assessment_form": (forms.get("assessment_form") or AssessmentForm(idea=idea))
        if process.is_budget
        else None,
        "is_winner": process.is_budget and idea.pk in budget_services.winner_ids(process=process),
    }


@town_permission_required("town.view_staff_area")
def staff_idea(request, town_slug: str, pk: int):
    idea = _staff_idea_or_404(request, pk)
    return render(request, "participation/staff/idea.html", _staff_idea_context(request, idea))


def _idea_action(request, pk: int, form_name: str, form_class, run, success: str):
    """POST handlers of the staff idea page: validate, call the service (which checks who may), or show the page
    with the errors."""
    idea = _staff_idea_or_404(request, pk)
    form = (
        form_class(request.POST, idea=idea)
        if form_class in (AnswerForm, ProjectLinkForm, AssessmentForm)
        else form_class(request.POST)
    )
    if form.is_valid():
        try:
            run(idea, form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, success)
            return redirect("participation:staff-idea", town_slug=request.municipality.slug, pk=idea.pk)
    idea = _staff_idea_or_404(request, pk)
    return render(
        request,
        "participation/staff/idea.html",
        _staff_idea_context(request, idea, **{form_name: form}),
        status=400,
    )


@require_POST
@town_permission_required("town.edit_content")
def staff_idea_answer(request, town_slug: str, pk: int):
    searched = request.POST.get("merge_search", "").strip()
    if (
        request.POST.get("merge_search_submit")
        or searched != request.POST.get("merge_search_shown", "").strip()
    ):
        # The merge target search ("Suchen", or Enter in its field, which sends the form with a new search text):
        # the page again, with the matches and everything typed; nothing is saved.
        idea = _staff_idea_or_404(request, pk)
        typed = {name: request.POST.get(name, "") for name in ("to", "body", "merge_search", "merged_into")}
        form = AnswerForm(idea=idea, initial=typed)
        return render(
            request, "participation/staff/idea.html", _staff_idea_context(request, idea, answer_form=form)
        )

    def run(idea, data):
        answers_services.idea_answer(
            idea=idea,
            by=request.user,
            acting_town=request.municipality,
            body=data["body"],
            to=data["to"],
            merged_into=data.get("merged_into"),
        )

    return _idea_action(request, pk, "answer_form", AnswerForm, run, _("The answer has been published."))


@require_POST
@town_permission_required("town.edit_content")
def staff_idea_project(request, town_slug: str, pk: int):
    searched = request.POST.get("project_search", "").strip()
    if (
        request.POST.get("project_search_submit")
        or searched != request.POST.get("project_search_shown", "").strip()
    ):
        # The project search ("Suchen", or Enter in its field with a new search text): the page again with the
        # matches and the choice kept; nothing is saved.
        idea = _staff_idea_or_404(request, pk)
        typed = {name: request.POST.get(name, "") for name in ("project_search", "project")}
        form = ProjectLinkForm(idea=idea, initial=typed)
        return render(
            request, "participation/staff/idea.html", _staff_idea_context(request, idea, project_form=form)
        )

    def run(idea, data):
        ideas_services.idea_link_project(
            idea=idea, project=data["project"], by=request.user, acting_town=request.municipality
        )

    return _idea_action(
        request, pk, "project_form", ProjectLinkForm, run, _("The project link has been saved.")
    )


@require_POST
@town_permission_required("town.edit_content")
def staff_idea_shortlist(request, town_slug: str, pk: int):
    idea = _staff_idea_or_404(request, pk)
    try:
        ideas_services.idea_set_shortlisted(
            idea=idea,
            shortlisted=request.POST.get("shortlisted") == "1",
            by=request.user,
            acting_town=request.municipality,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The shortlist has been changed."))
    if request.POST.get("next") == "process":
        return redirect("participation:staff-process", town_slug=town_slug, slug=idea.process.slug)
    return redirect("participation:staff-idea", town_slug=town_slug, pk=idea.pk)


@require_POST
@town_permission_required("town.edit_content")
def staff_idea_assess(request, town_slug: str, pk: int):
    def run(idea, data):
        budget_services.idea_assess(
            idea=idea,
            by=request.user,
            acting_town=request.municipality,
            cost_estimate=data["cost_estimate"],
            feasibility=data["feasibility"],
            reason=data["feasibility_reason"],
        )

    return _idea_action(
        request,
        pk,
        "assessment_form",
        AssessmentForm,
        run,
        _("The check of costs and feasibility has been saved."),
    )


@require_POST
@town_permission_required("town.edit_content")
def staff_idea_make_project(request, town_slug: str, pk: int):
    idea = _staff_idea_or_404(request, pk)
    try:
        project = budget_services.project_from_proposal(
            idea=idea, by=request.user, acting_town=request.municipality
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("participation:staff-idea", town_slug=town_slug, pk=idea.pk)
    messages.success(
        request, _("The project “%(title)s” has been created from the proposal.") % {"title": project.title}
    )
    return redirect("projects:staff-detail", town_slug=project.municipality.slug, slug=project.slug)


@town_permission_required("town.edit_content")
def staff_paper_ballot(request, town_slug: str, slug: str):
    """Staff type in a paper ballot (sent by post or from a ballot box), one after the other."""
    process = _process_or_404(request, slug, staff=True)
    ideas = (
        ballots_selectors.ballot_ideas(process=process).select_related("municipality").order_by("title", "pk")
    )
    form = PaperBallotForm(request.POST if request.method == "POST" else None, ideas=ideas, process=process)
    context = {
        "process": process,
        "form": form,
        "paper_count": ballots_selectors.paper_ballot_count(process=process),
    }
    if request.method == "POST" and form.is_valid():
        try:
            ballots_services.paper_ballot_enter(
                process=process, by=request.user, acting_town=request.municipality, votes=form.votes()
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The paper ballot has been counted. You can enter the next one."))
            return redirect("participation:staff-paper-ballot", town_slug=town_slug, slug=slug)
    return render(
        request, "participation/staff/paper_ballot.html", context, status=400 if form.errors else 200
    )


# --- Moderation ------------------------------------------------------------------------------------------


@town_permission_required("town.moderate")
def staff_moderation(request, town_slug: str):
    return render(request, "participation/staff/moderation.html", moderation_selectors.moderation_queue())


MODERATION_DONE = {
    "approve": gettext_lazy("The contribution is published."),
    "hide": gettext_lazy("The contribution is hidden; its author has been told why."),
    "retitle": gettext_lazy("The title has been changed."),
    "edit": gettext_lazy("The contribution has been changed."),
}


def _moderate(request, target, idea: Idea):
    action = request.POST.get("action", "")
    try:
        moderation_services.moderation_act(
            target=target,
            action=action,
            by=request.user,
            acting_town=request.municipality,
            reason=request.POST.get("reason", ""),
            title=request.POST.get("title", ""),
            body=request.POST.get("body") or None,
        )
    except ValidationError as error:
        if "action" in getattr(error, "error_dict", {}):
            return HttpResponse(
                _("Unknown moderation action."), status=400, content_type="text/plain; charset=utf-8"
            )
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, MODERATION_DONE[action])
    target_url = request.POST.get("next", "")
    if target_url == "idea":
        return redirect("participation:staff-idea", town_slug=request.municipality.slug, pk=idea.pk)
    return redirect("participation:staff-moderation", town_slug=request.municipality.slug)


@require_POST
@town_permission_required("town.moderate")
def staff_moderate_idea(request, town_slug: str, pk: int):
    idea = _staff_idea_or_404(request, pk)
    return _moderate(request, idea, idea)


@require_POST
@town_permission_required("town.moderate")
def staff_moderate_comment(request, town_slug: str, pk: int):
    try:
        comment = moderation_selectors.moderation_comment(pk=pk)
    except Comment.DoesNotExist:
        raise Http404 from None
    return _moderate(request, comment, comment.idea)


def _privacy_edit(request, target, idea: Idea):
    """The moderators' page for editing a contribution for privacy: the form, or the form with its errors."""
    form = PrivacyEditForm(request.POST or None, target=target)
    if request.method == "POST" and form.is_valid():
        try:
            privacy_services.privacy_edit(
                target=target,
                by=request.user,
                acting_town=request.municipality,
                reason=form.cleaned_data["reason"],
                title=form.cleaned_data.get("title"),
                body=form.cleaned_data["body"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "The contribution has been changed; the history records who did it and "
                    "why, without the removed wording."
                ),
            )
            return redirect("participation:staff-idea", town_slug=request.municipality.slug, pk=idea.pk)
    return render(
        request,
        "participation/staff/privacy_edit.html",
        {"form": form, "target": target, "idea": idea, "is_comment": isinstance(target, Comment)},
        status=400 if form.errors else 200,
    )


@town_permission_required("town.moderate")
def staff_privacy_edit_idea(request, town_slug: str, pk: int):
    idea = _staff_idea_or_404(request, pk)
    return _privacy_edit(request, idea, idea)


@town_permission_required("town.moderate")
def staff_privacy_edit_comment(request, town_slug: str, pk: int):
    try:
        comment = moderation_selectors.moderation_comment(pk=pk)
    except Comment.DoesNotExist:
        raise Http404 from None
    return _privacy_edit(request, comment, comment.idea)


@town_permission_required("town.manage")
def staff_settings(request, town_slug: str):
    current = processes_services.settings_for(municipality=request.municipality)
    form = ParticipationSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            processes_services.settings_change(
                municipality=request.municipality, by=request.user, fields=form.cleaned_data
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The moderation settings have been saved."))
            return redirect("participation:staff-settings", town_slug=town_slug)
    return render(
        request, "participation/staff/settings.html", {"form": form}, status=400 if form.errors else 200
    )


# --- Voting codes: the vote by code, the staff's batches and letters ---------------------------------------------


@public
def process_vote_code(request, town_slug: str, slug: str):
    """A vote by codes (the address the letters print): the code from the letter and the shortlist in one form,
    for anyone; the code is used with the ballot (``ballots.ballot_cast``), so a wrong or used code is a form
    error and nothing is stored. Any other vote is the signed-in citizens' (:func:`process_vote`)."""
    process = _process_or_404(request, slug)
    if not process.vote_by_codes:
        return redirect("participation:vote", town_slug=town_slug, slug=slug)
    if not process.accepts_votes():
        messages.info(request, _("The vote is not open."))
        return redirect(process.get_absolute_url(request.municipality))
    # The same list as the vote page's (ballots_selectors.ballot_ideas): the shortlist, or a budget's feasible
    # proposals (the shortlist of a budget is always empty).
    ideas = (
        ballots_selectors.ballot_ideas(process=process).select_related("municipality").order_by("title", "pk")
    )
    form_class = CodeBudgetBallotForm if process.is_budget else CodeBallotForm
    form = form_class(
        request.POST if request.method == "POST" else None,
        ideas=ideas,
        process=process,
        current={},
    )
    context = {"process": process, "form": form}
    if process.is_budget:
        context.update(_budget_sum(process, form))  # type: ignore[arg-type]  # a CodeBudgetBallotForm here
        if request.method == "POST" and "recalculate" in request.POST:
            context["recalculated"] = True  # the total without JavaScript; nothing saved, no code used
            return render(request, "participation/vote_code.html", context)
    if request.method == "POST" and form.is_valid():
        try:
            check_rate(request, "voting_code")
            ballots_services.ballot_cast(
                process=process,
                user=None,
                votes=form.votes(),
                code=form.cleaned_data["code"],
                code_town=request.municipality,
            )
        except RateLimited as error:
            return _rate_limited(request, error, "participation/vote_code.html", context)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Thank you! Your votes have been saved. Your code is now used up."))
            return redirect("participation:vote-code", town_slug=town_slug, slug=slug)
    return render(request, "participation/vote_code.html", context, status=400 if form.errors else 200)


def _code_batch_or_404(request, process: Process, pk: int) -> VotingCodeBatch:
    try:
        return VotingCodeBatch.objects.select_related("process", "municipality").get(
            pk=pk, process=process, municipality=request.municipality
        )
    except VotingCodeBatch.DoesNotExist:
        raise Http404 from None


@town_permission_required("town.view_staff_area")
def staff_voting_codes(request, town_slug: str, slug: str):
    """The town's voting codes for a process: order a batch (editors of a town of the process), each batch with
    how many codes it made and how many were used, its letters to download or delete. Which code voted what is
    nowhere to be seen."""
    process = _process_or_404(request, slug, staff=True)
    # Codes for the vote only where the vote is by codes (the service refuses the others): offer the survey first.
    form = VotingCodeBatchForm(
        request.POST if request.method == "POST" else None,
        initial=None if process.vote_by_codes else {"purpose": CodePurpose.SURVEY},
    )
    if request.method == "POST":
        if request.POST.get("action") == "delete_letters":
            try:
                batch = _code_batch_or_404(request, process, int(request.POST.get("batch", "")))
            except ValueError:
                raise Http404 from None
            codes_services.voting_code_letters_delete(batch=batch, by=request.user)
            messages.success(request, _("The letters have been deleted. The codes stay valid."))
            return redirect("participation:staff-voting-codes", town_slug=town_slug, slug=slug)
        if form.is_valid():
            try:
                codes_services.voting_code_batch_order(
                    process=process,
                    purpose=form.cleaned_data["purpose"],
                    count=form.cleaned_data["count"],
                    by=request.user,
                    acting_town=request.municipality,
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(
                    request, _("The codes are being generated. The letters appear here when they are ready.")
                )
                return redirect("participation:staff-voting-codes", town_slug=town_slug, slug=slug)
    batches = ballots_selectors.voting_code_batches(process=process, municipality=request.municipality)
    context = {
        "process": process,
        "form": form,
        "batches": batches,
        "polling": any(batch.is_open for batch in batches),
        "lifetime_days": VotingCodeBatch.lifetime().days,
    }
    return render(
        request, "participation/staff/voting_codes.html", context, status=400 if form.errors else 200
    )


@town_permission_required("town.edit_content")
def staff_voting_code_letters(request, town_slug: str, slug: str, pk: int):
    """The letters of one batch (the only copy of its plain codes): the town's editors."""
    process = _process_or_404(request, slug, staff=True)
    batch = _code_batch_or_404(request, process, pk)
    codes_services.voting_code_letters_access(batch=batch, by=request.user)
    return job_download(batch, attachment=True)
