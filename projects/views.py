"""Pages of the projects app: public town and region pages, and the staff pages of a town."""

import hashlib

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import permissions
from accounts.decorators import public, town_permission_required
from knowledge import selectors as knowledge_selectors
from municipalities import freshness
from municipalities import selectors as town_selectors
from municipalities.models import Municipality
from municipalities.scoping import public_region_scope
from participation.selectors import ideas as ideas_selectors
from smartcity5.charts import kpi_chart_svg, kpi_summary
from smartcity5.forms import add_errors
from smartcity5.maps import MapPoints
from smartcity5.numbers import plain_decimal
from smartcity5.page_cache import anonymous_page_cache
from smartcity5.pagination import COUNT_CAP, MAP_POINT_LIMIT, CountedPaginator
from smartcity5.ratelimit import too_many, upload_refused
from smartcity5.responses import file_response
from smartcity5.search import MATCHES_SECONDS, Matches
from smartcity5.templatetags.maps import project_map

from . import services
from .forms import (
    IndicatorForm,
    MeasurementForm,
    ProgressUpdateForm,
    ProjectFileForm,
    ProjectFilterForm,
    ProjectForm,
    StrategyForm,
    TransitionForm,
)
from .models import Indicator, Measurement, ProgressUpdate, Project, ProjectFile, Strategy
from .selectors import common as common_selectors
from .selectors import lists as lists_selectors
from .selectors import progress as progress_selectors
from .selectors import similarity as similarity_selectors

PER_PAGE = 20


# --- Helpers ---------------------------------------------------------------------------------------------


def _project_or_404(request, slug: str, *, staff: bool = False) -> Project:
    """The project in the request's town scope; internal ones only for people who may see them."""
    try:
        return lists_selectors.project_for(slug=slug, user=request.user, staff=staff)
    except Project.DoesNotExist:
        raise Http404 from None


#: The projects' map: points link to the project's page (by its slug).
PROJECT_MAP = MapPoints(url_name="projects:detail", key="slug", statuses=Project.Status.choices)
#: How long an unfiltered public list's count and map points stay in the cache; a change of what the list shows
#: makes a new key (the towns' stored versions, municipalities/freshness.py) long before.
LIST_CACHE_SECONDS = 3600


def _list_version(stored: str, filters: lists_selectors.ProjectFilters) -> str | None:
    """The cache version of a public list: the stored version of what it shows and its (validated) filters (a text
    search's words too: its entries are kept for minutes only, ``smartcity5.search.MATCHES_SECONDS``)."""
    return f"{stored}:{hashlib.sha256(repr(filters).encode()).hexdigest()[:16]}"


def _list_context(
    request,
    qs,
    municipality: Municipality | None,
    filter_form,
    *,
    version: str | None = None,
    with_map: bool = True,
    pages: Matches | None = None,
) -> dict:
    """One page of ``qs`` with its map (``map_html``, the rendered places; up to MAP_POINT_LIMIT, by title). ``version``: given
    for a public list, the stored version of what it shows and its filters (see :func:`_list_version`); the list's
    count and rendered map are then kept in the cache under it instead of being counted, read and rendered for
    every request (at 20,000 projects, 75 ms of the region list's SQL; rendering 500 places, about 10 ms of CPU).
    ``pages``: a town's search (``selectors.project_pages``), whose first COUNT_CAP + 1 (201) matches give the capped count, the
    page and the map's points (the map is cached like a list's, under the version and the words)."""
    query = request.GET.copy()
    query.pop("page", None)
    key = None
    if version is not None:
        key = f"projects:list:{version}:{get_language()}"
    cached = cache.get(key) if key is not None else None
    if pages is not None:
        paginator = CountedPaginator(pages, PER_PAGE, cap=COUNT_CAP)
    else:
        paginator = CountedPaginator(qs, PER_PAGE, count=cached["count"] if cached else None)
    page = paginator.get_page(request.GET.get("page"))
    if cached:
        map_html = cached["map_html"]
    elif not with_map:
        map_html = ""
    else:
        if pages is not None:
            paginator.count  # noqa: B018  # reads the matches (the map's points are among them)
            qs = Project.objects.filter(pk__any_of=pages.located(MAP_POINT_LIMIT + 1))  # the matches, by id
        # By title; up to one place more than the map shows, which it then says (smartcity5.maps).
        points = PROJECT_MAP.points(
            qs.order_by("title"), town_slug=municipality.slug if municipality is not None else None
        )
        map_html = render_to_string("components/map.html", project_map({"request": request}, points))
        if key is not None:
            seconds = MATCHES_SECONDS if request.GET.get("q") else LIST_CACHE_SECONDS  # (a search: its words)
            cache.set(key, {"count": paginator.count, "map_html": map_html}, seconds)
    return {
        "page_obj": page,
        "projects": list(page.object_list),
        "filter_form": filter_form,
        "map_html": mark_safe(map_html),
        "querystring": query.urlencode(),
    }


def _chart_rows(indicators) -> list[dict]:
    rows = []
    for indicator in indicators:
        indicator.baseline, indicator.target = (
            plain_decimal(indicator.baseline),
            plain_decimal(indicator.target),
        )
        measurements = [(m.measured_on, plain_decimal(m.value)) for m in indicator.measurements.all()]
        rows.append(
            {
                "indicator": indicator,
                "measurements": list(indicator.measurements.all()),
                "summary": kpi_summary(
                    measurements=measurements, baseline=indicator.baseline, target=indicator.target
                ),
                "chart": kpi_chart_svg(
                    measurements=measurements,
                    unit=indicator.unit,
                    baseline=indicator.baseline,
                    baseline_date=indicator.baseline_date,
                    target=indicator.target,
                    target_date=indicator.target_date,
                    title=indicator.name,
                    description=indicator.description,
                ),
            }
        )
    return rows


# --- Public pages ----------------------------------------------------------------------------------------


@public
@anonymous_page_cache(freshness.town_page_version, shared_content=True)
def project_list(request, town_slug: str):
    form = ProjectFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else lists_selectors.ProjectFilters()
    municipality = request.municipality
    version = _list_version(f"t{municipality.pk}.{municipality.content_version}", filters)
    qs = lists_selectors.project_cards(lists_selectors.project_list(filters=filters))
    pages = (
        lists_selectors.project_pages(qs, version=f"t{municipality.pk}.{municipality.content_version}")
        if filters.q
        else None
    )
    return render(
        request,
        "projects/list.html",
        _list_context(request, qs, municipality, form, version=version, pages=pages),
    )


@public
@anonymous_page_cache(freshness.region_page_version)
def region_project_list(request):
    towns = list(Municipality.objects.active().order_by("name"))
    form = ProjectFilterForm(request.GET or None, towns=towns)
    filters = form.filters() if form.is_bound else lists_selectors.ProjectFilters()
    version = _list_version(f"r{common_selectors.towns_version(towns)}", filters)
    with public_region_scope():
        qs = lists_selectors.project_cards(lists_selectors.project_list(filters=filters))
        context = _list_context(request, qs, None, form, version=version)
    return render(request, "projects/region_list.html", context)


@public
@anonymous_page_cache(freshness.region_page_version)
def project_detail(request, town_slug: str, slug: str):
    project = _project_or_404(request, slug)
    related = lists_selectors.project_detail_related(project=project, include_internal=False)
    return render(
        request,
        "projects/detail.html",
        {
            "project": project,
            **related,
            "kpis": _chart_rows(related["indicators"]),
            "source_ideas": ideas_selectors.ideas_for_project(project=project),
            "similar_projects": similarity_selectors.similar_projects(project=project),
            "lesson_notes": knowledge_selectors.notes_for_project(project=project, public_only=True),
            "map_points": PROJECT_MAP.points([project], town_slug=request.municipality.slug),
        },
    )


@public
def project_file(request, town_slug: str, slug: str, pk: int):
    project = _project_or_404(request, slug)
    include_internal = permissions.can_view_internal_project(request.user, project)
    try:
        item = lists_selectors.file_get(project=project, pk=pk, include_internal=include_internal)
    except ProjectFile.DoesNotExist:
        raise Http404 from None
    return file_response(
        item.file, item.content_type, private=not permissions.is_project_file_for_everyone(project, item)
    )


@public
@anonymous_page_cache(freshness.region_page_version)
def town_strategy(request, town_slug: str):
    municipality = request.municipality
    consortium = municipality.consortium
    return render(
        request,
        "projects/strategy.html",
        {
            "strategy": lists_selectors.strategy_for(municipality=municipality),
            "joint": lists_selectors.joint_strategy(consortium=consortium),
            "bundles": progress_selectors.bundles_with_progress(consortium=consortium),
        },
    )


@public
@anonymous_page_cache(freshness.region_page_version)
def region_strategy(request):
    consortium = town_selectors.consortium_get()
    if consortium is None:
        raise Http404
    return render(
        request,
        "projects/region_strategy.html",
        {
            "consortium": consortium,
            "joint": lists_selectors.joint_strategy(consortium=consortium),
            "bundles": progress_selectors.bundles_with_progress(consortium=consortium),
        },
    )


@public
def strategy_document(request, town_slug: str, kind: str):
    municipality = request.municipality
    if kind == Strategy.Kind.JOINT:
        strategy = lists_selectors.joint_strategy(consortium=municipality.consortium)
    else:
        strategy = lists_selectors.strategy_for(municipality=municipality)
    if strategy is None or not strategy.document:
        raise Http404
    return file_response(strategy.document, "application/pdf", private=False)


# --- Staff: lists and project pages ----------------------------------------------------------------------


@town_permission_required("town.view_staff_area")
def staff_list(request, town_slug: str):
    form = ProjectFilterForm(request.GET or None, staff=True, municipality=request.municipality)
    qs = lists_selectors.project_list(
        filters=form.filters() if form.is_bound else lists_selectors.ProjectFilters(), include_internal=True
    )
    context = _list_context(request, qs, request.municipality, form, with_map=False)
    return render(request, "projects/staff/list.html", context)


def _staff_project_context(request, project: Project) -> dict:
    return {
        "project": project,
        "is_partner_view": project.municipality_id != request.municipality.pk,
    }


@town_permission_required("town.view_staff_area")
def staff_detail(request, town_slug: str, slug: str):
    project = _project_or_404(request, slug, staff=True)
    related = lists_selectors.project_detail_related(project=project, include_internal=True)
    return render(
        request,
        "projects/staff/detail.html",
        {
            **_staff_project_context(request, project),
            **related,
            "kpis": _chart_rows(related["indicators"]),
            "transition_form": TransitionForm(project=project),
            "similar_projects": similarity_selectors.similar_projects(project=project),
            "lesson_notes": knowledge_selectors.notes_for_project(project=project),
        },
    )


@town_permission_required("town.view_staff_area")
def staff_history(request, town_slug: str, slug: str):
    project = _project_or_404(request, slug, staff=True)
    page = Paginator(lists_selectors.project_history(project=project), 50).get_page(request.GET.get("page"))
    return render(
        request, "projects/staff/history.html", {**_staff_project_context(request, project), "page_obj": page}
    )


def _save_project(request, form: ProjectForm, project: Project | None):
    """Validate with the form, save through the service; model errors go back onto the form."""
    if not form.is_valid():
        return None
    tags = services.tags_from_text(form.cleaned_data["tags_text"])
    try:
        if project is None:
            return services.project_create(
                municipality=request.municipality,
                by=request.user,
                fields=form.service_fields(),
                partner_towns=form.cleaned_data["partner_towns"],
                fields_of_action=form.cleaned_data["fields_of_action"],
                tags=tags,
            )
        return services.project_change(
            project=project,
            by=request.user,
            acting_town=request.municipality,
            fields=form.service_fields(),
            partner_towns=form.cleaned_data["partner_towns"],
            fields_of_action=form.cleaned_data["fields_of_action"],
            tags=tags,
        )
    except ValidationError as error:
        add_errors(form, error)
        return None


@town_permission_required("town.edit_content")
def staff_create(request, town_slug: str):
    form = ProjectForm(request.POST or None, municipality=request.municipality)
    if request.method == "POST":
        project = _save_project(request, form, None)
        if project is not None:
            messages.success(
                request, _("The project “%(title)s” has been created.") % {"title": project.title}
            )
            return redirect(project.get_staff_url(request.municipality))
    return render(request, "projects/staff/form.html", {"form": form, "project": None})


@town_permission_required("town.edit_content")
def staff_edit(request, town_slug: str, slug: str):
    project = _project_or_404(request, slug, staff=True)
    services.project_for_change(project=project, by=request.user, acting_town=request.municipality)
    form = ProjectForm(request.POST or None, instance=project, municipality=project.municipality)
    if request.method == "POST":
        saved = _save_project(request, form, project)
        if saved is not None:
            messages.success(request, _("Your changes have been saved."))
            return redirect(saved.get_staff_url(request.municipality))
    return render(
        request, "projects/staff/form.html", {"form": form, **_staff_project_context(request, project)}
    )


@town_permission_required("town.edit_content")
def staff_transition(request, town_slug: str, slug: str):
    project = _project_or_404(request, slug, staff=True)
    services.project_for_change(project=project, by=request.user, acting_town=request.municipality)
    form = TransitionForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_transition(
                project=project,
                to=form.cleaned_data["to"],
                by=request.user,
                acting_town=request.municipality,
                reason=form.cleaned_data["reason"],
                on=form.cleaned_data["on"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request, _("The status is now “%(status)s”.") % {"status": project.get_status_display()}
            )
            return redirect(project.get_staff_url(request.municipality))
    return render(
        request, "projects/staff/transition.html", {"form": form, **_staff_project_context(request, project)}
    )


# --- Staff: progress updates -----------------------------------------------------------------------------


def _update_or_404(project: Project, pk: int) -> ProgressUpdate:
    try:
        return lists_selectors.update_get(project=project, pk=pk)
    except ProgressUpdate.DoesNotExist:
        raise Http404 from None


@town_permission_required("town.edit_content")
def staff_update_create(request, town_slug: str, slug: str):
    project = _project_or_404(request, slug, staff=True)
    services.project_for_update(project=project, by=request.user, acting_town=request.municipality)
    form = ProgressUpdateForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.progress_update_post(
                project=project,
                by=request.user,
                acting_town=request.municipality,
                fields=form.service_fields(),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The update has been published."))
            return redirect(project.get_staff_url(request.municipality))
    return render(
        request,
        "projects/staff/update_form.html",
        {"form": form, "update": None, **_staff_project_context(request, project)},
    )


@town_permission_required("town.edit_content")
def staff_update_edit(request, town_slug: str, slug: str, pk: int):
    project = _project_or_404(request, slug, staff=True)
    update = _update_or_404(project, pk)
    services.progress_update_for_change(update=update, by=request.user)
    form = ProgressUpdateForm(request.POST or None, instance=update, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.progress_update_change(
                update=update, by=request.user, acting_town=request.municipality, fields=form.service_fields()
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Your changes have been saved."))
            return redirect(project.get_staff_url(request.municipality))
    return render(
        request,
        "projects/staff/update_form.html",
        {"form": form, "update": update, **_staff_project_context(request, project)},
    )


@require_POST
@town_permission_required("town.edit_content")
def staff_update_delete(request, town_slug: str, slug: str, pk: int):
    project = _project_or_404(request, slug, staff=True)
    update = _update_or_404(project, pk)
    services.progress_update_for_change(update=update, by=request.user)
    services.progress_update_delete(update=update, by=request.user, acting_town=request.municipality)
    messages.success(request, _("The update has been deleted."))
    return redirect(project.get_staff_url(request.municipality))


# --- Staff: KPIs -----------------------------------------------------------------------------------------


def _indicator_or_404(project: Project, pk: int) -> Indicator:
    try:
        return lists_selectors.indicator_get(project=project, pk=pk)
    except Indicator.DoesNotExist:
        raise Http404 from None


@town_permission_required("town.edit_content")
def staff_indicator_create(request, town_slug: str, slug: str):
    project = _project_or_404(request, slug, staff=True)
    services.project_for_change(project=project, by=request.user, acting_town=request.municipality)
    form = IndicatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            indicator = services.indicator_create(
                project=project,
                by=request.user,
                acting_town=request.municipality,
                fields=form.service_fields(),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The KPI has been added. You can now record measurements."))
            return redirect("projects:staff-indicator", town_slug=town_slug, slug=slug, pk=indicator.pk)
    return render(
        request,
        "projects/staff/indicator_form.html",
        {"form": form, "indicator": None, **_staff_project_context(request, project)},
    )


@town_permission_required("town.view_staff_area")
def staff_indicator(request, town_slug: str, slug: str, pk: int):
    """A KPI: its chart and measurements, with forms to change it and record values (editors)."""
    project = _project_or_404(request, slug, staff=True)
    indicator = _indicator_or_404(project, pk)
    form = IndicatorForm(instance=indicator)
    measurement_form = MeasurementForm()
    if request.method == "POST":
        services.project_for_change(project=project, by=request.user, acting_town=request.municipality)
        if "record" in request.POST:
            measurement_form = MeasurementForm(request.POST)
            if measurement_form.is_valid():
                try:
                    services.measurement_record(
                        indicator=indicator,
                        by=request.user,
                        acting_town=request.municipality,
                        **measurement_form.cleaned_data,
                    )
                except ValidationError as error:
                    add_errors(measurement_form, error)
                else:
                    messages.success(request, _("The measurement has been recorded."))
                    return redirect("projects:staff-indicator", town_slug=town_slug, slug=slug, pk=pk)
        else:
            form = IndicatorForm(request.POST, instance=indicator)
            if form.is_valid():
                try:
                    services.indicator_change(
                        indicator=indicator,
                        by=request.user,
                        acting_town=request.municipality,
                        fields=form.service_fields(),
                    )
                except ValidationError as error:
                    add_errors(form, error)
                else:
                    messages.success(request, _("Your changes have been saved."))
                    return redirect("projects:staff-indicator", town_slug=town_slug, slug=slug, pk=pk)
    indicator = _indicator_or_404(project, pk)  # fresh values for the chart, whatever the form holds
    rows = _chart_rows([indicator])
    return render(
        request,
        "projects/staff/indicator.html",
        {
            **_staff_project_context(request, project),
            "indicator": indicator,
            "form": form,
            "measurement_form": measurement_form,
            "kpi": rows[0],
            "kpi_rows": rows,
        },
    )


@require_POST
@town_permission_required("town.edit_content")
def staff_indicator_delete(request, town_slug: str, slug: str, pk: int):
    project = _project_or_404(request, slug, staff=True)
    services.project_for_change(project=project, by=request.user, acting_town=request.municipality)
    indicator = _indicator_or_404(project, pk)
    services.indicator_delete(indicator=indicator, by=request.user, acting_town=request.municipality)
    messages.success(request, _("The KPI “%(name)s” has been deleted.") % {"name": indicator.name})
    return redirect(project.get_staff_url(request.municipality))


@require_POST
@town_permission_required("town.edit_content")
def staff_measurement_delete(request, town_slug: str, slug: str, pk: int, measurement: int):
    project = _project_or_404(request, slug, staff=True)
    services.project_for_change(project=project, by=request.user, acting_town=request.municipality)
    indicator = _indicator_or_404(project, pk)
    try:
        item = indicator.measurements.get(pk=measurement)
    except Measurement.DoesNotExist:
        raise Http404 from None
    services.measurement_delete(measurement=item, by=request.user, acting_town=request.municipality)
    messages.success(request, _("The measurement has been deleted."))
    return redirect("projects:staff-indicator", town_slug=town_slug, slug=slug, pk=pk)


# --- Staff: files ----------------------------------------------------------------------------------------


@town_permission_required("town.view_staff_area")
def staff_files(request, town_slug: str, slug: str):
    project = _project_or_404(request, slug, staff=True)
    form = ProjectFileForm()
    limited = None
    if request.method == "POST":
        services.project_for_change(project=project, by=request.user, acting_town=request.municipality)
        form = ProjectFileForm(request.POST, request.FILES)
        limited = upload_refused(request, form)
        if limited is None and form.is_valid():
            checked = form.checked
            services.project_file_add(
                project=project,
                by=request.user,
                acting_town=request.municipality,
                upload=checked.file,
                kind=checked.kind,
                title=form.cleaned_data["title"],
                alt_text=form.cleaned_data["alt_text"],
                is_public=form.cleaned_data["is_public"],
                content_type=checked.content_type,
            )
            messages.success(request, _("The file has been added."))
            return redirect("projects:staff-files", town_slug=town_slug, slug=slug)
        if form.errors and "upload" not in form.errors:
            messages.info(
                request,
                _(
                    "For your security, browsers forget the chosen file when a form comes back "
                    "with errors. Please choose it again."
                ),
            )
    response = render(
        request,
        "projects/staff/files.html",
        {
            **_staff_project_context(request, project),
            "form": form,
            "files": list(project.files.select_related("uploaded_by")),
        },
    )
    return response if limited is None else too_many(response, limited)


@require_POST
@town_permission_required("town.edit_content")
def staff_file_delete(request, town_slug: str, slug: str, pk: int):
    project = _project_or_404(request, slug, staff=True)
    services.project_for_change(project=project, by=request.user, acting_town=request.municipality)
    try:
        item = lists_selectors.file_get(project=project, pk=pk, include_internal=True)
    except ProjectFile.DoesNotExist:
        raise Http404 from None
    services.project_file_delete(item=item, by=request.user, acting_town=request.municipality)
    messages.success(request, _("The file has been deleted."))
    return redirect("projects:staff-files", town_slug=town_slug, slug=slug)


# --- Staff: strategy -------------------------------------------------------------------------------------


@town_permission_required("town.edit_content")
def staff_strategy(request, town_slug: str, kind: str = Strategy.Kind.TOWN):
    municipality = request.municipality
    if kind == Strategy.Kind.JOINT and not municipality.is_lead:
        raise Http404
    strategy = lists_selectors.strategy_for(municipality=municipality, kind=kind) or Strategy(
        municipality=municipality, kind=kind
    )
    form = StrategyForm(request.POST or None, request.FILES or None, instance=strategy)
    if (limited := upload_refused(request, form)) is not None:
        return too_many(
            render(
                request,
                "projects/staff/strategy_form.html",
                {"form": form, "kind": kind, "strategy": strategy},
            ),
            limited,
        )
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in services.STRATEGY_FIELDS}
        try:
            services.strategy_save(
                municipality=municipality,
                kind=kind,
                fields=fields,
                fields_of_action=form.cleaned_data["fields_of_action"],
                document=form.cleaned_data.get("document_upload"),
                remove_document=form.cleaned_data.get("remove_document", False),
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("The strategy has been saved."))
            return redirect("projects:strategy", town_slug=town_slug)
    return render(
        request, "projects/staff/strategy_form.html", {"form": form, "kind": kind, "strategy": strategy}
    )
