"""Pages of the knowledge app: lessons-learned notes in every town's staff area
(/<town>/verwaltung/wissen/…), the public notes (/wissen/…) and the catalogue of transferable projects
(/projekte/katalog/)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import permissions
from accounts.decorators import public, town_permission_required
from municipalities import freshness
from projects import services as project_services
from projects.selectors import similarity as similarity_selectors
from smartcity5.page_cache import anonymous_page_cache

from . import selectors, services
from .forms import CatalogueFilterForm, LessonNoteForm, NoteFilterForm
from .models import LessonNote

PER_PAGE = 20


def _querystring(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _note_or_404(pk: int, *, public_only: bool = False) -> LessonNote:
    try:
        return selectors.note_get(pk=pk, public_only=public_only)
    except LessonNote.DoesNotExist:
        raise Http404 from None


def _show_projects(notes, request, *, public_page: bool) -> None:
    """Set ``shown_project`` (None if the reader may not see it) and ``project_url`` on each note."""
    municipality = getattr(request, "municipality", None)
    for note in notes:
        project = note.shown_project = selectors.visible_project(note, request.user, public_page=public_page)
        if project is None:
            note.project_url = ""
        elif permissions.can_open_public_project_page(request.user, project):
            note.project_url = project.get_absolute_url()
        else:  # internal: staff page, in this town if it takes part, else the lead town's (moderators)
            towns = {project.municipality_id, *(t.pk for t in project.partner_towns.all())}
            note.project_url = project.get_staff_url(
                municipality if municipality is not None and municipality.pk in towns else None
            )


# --- Staff: every town's notes, in each town's staff area --------------------------------------------------


@town_permission_required("town.view_staff_area")
def note_list(request, town_slug: str):
    form = NoteFilterForm(request.GET or None)
    page = selectors.note_page(
        filters=form.filters() if form.is_bound else selectors.NoteFilters(),
        page=request.GET.get("page"),
        per_page=PER_PAGE,
    )
    _show_projects(page.object_list, request, public_page=False)
    return render(
        request,
        "knowledge/staff/list.html",
        {
            "page_obj": page,
            "notes": page.object_list,
            "filter_form": form,
            "querystring": _querystring(request),
        },
    )


@town_permission_required("town.view_staff_area")
def note_detail(request, town_slug: str, pk: int):
    note = _note_or_404(pk)
    _show_projects([note], request, public_page=False)
    return render(request, "knowledge/staff/detail.html", {"note": note})


def _save(request, form: LessonNoteForm, note: LessonNote | None) -> LessonNote | None:
    if not form.is_valid():
        return None
    tags = project_services.tags_from_text(form.cleaned_data["tags_text"])
    if note is None:
        return services.lesson_note_write(
            by=request.user,
            in_town=request.municipality,
            fields=form.service_fields(),
            project=form.chosen_project(),
            fields_of_action=form.cleaned_data["fields_of_action"],
            tags=tags,
        )
    return services.lesson_note_change(
        note=note,
        by=request.user,
        fields=form.service_fields(),
        project=form.chosen_project(),
        fields_of_action=form.cleaned_data["fields_of_action"],
        tags=tags,
    )


@town_permission_required("knowledge.write")
def note_create(request, town_slug: str):
    projects = selectors.project_choices(user=request.user, municipality=request.municipality)
    initial = {}
    if request.GET.get("project", "").isdigit() and int(request.GET["project"]) in projects:
        initial["project"] = int(request.GET["project"])  # "write down what you learned" on a project page
    form = LessonNoteForm(request.POST or None, projects=projects, initial=initial)
    if request.method == "POST":
        note = _save(request, form, None)
        if note is not None:
            messages.success(request, _("The note “%(title)s” has been saved.") % {"title": note.title})
            return redirect(note.get_staff_url(request.municipality))
    return render(request, "knowledge/staff/form.html", {"form": form, "note": None})


@town_permission_required("knowledge.write")
def note_edit(request, town_slug: str, pk: int):
    note = services.lesson_note_for_change(note=_note_or_404(pk), by=request.user)
    projects = selectors.project_choices(user=request.user, municipality=request.municipality)
    form = LessonNoteForm(request.POST or None, instance=note, projects=projects)
    if request.method == "POST":
        saved = _save(request, form, note)
        if saved is not None:
            messages.success(request, _("Your changes have been saved."))
            return redirect(saved.get_staff_url(request.municipality))
    return render(request, "knowledge/staff/form.html", {"form": form, "note": note})


# --- Public region pages -------------------------------------------------------------------------------------


@public
@anonymous_page_cache(freshness.region_page_version)
def public_note_list(request):
    form = NoteFilterForm(request.GET or None)
    page = selectors.note_page(
        filters=form.filters() if form.is_bound else selectors.NoteFilters(),
        page=request.GET.get("page"),
        per_page=PER_PAGE,
        public_only=True,
    )
    _show_projects(page.object_list, request, public_page=True)
    return render(
        request,
        "knowledge/public_list.html",
        {
            "page_obj": page,
            "notes": page.object_list,
            "filter_form": form,
            "querystring": _querystring(request),
        },
    )


@public
@anonymous_page_cache(freshness.region_page_version)
def public_note_detail(request, pk: int):
    note = _note_or_404(pk, public_only=True)
    _show_projects([note], request, public_page=True)
    return render(request, "knowledge/public_detail.html", {"note": note})


@public
@anonymous_page_cache(freshness.region_page_version)
def transfer_catalogue(request):
    form = CatalogueFilterForm(request.GET or None)
    page = similarity_selectors.transfer_catalogue(
        filters=form.filters() if form.is_bound else similarity_selectors.CatalogueFilters(),
        page=request.GET.get("page"),
        per_page=PER_PAGE,
    )
    return render(
        request,
        "knowledge/catalogue.html",
        {
            "page_obj": page,
            "projects": page.object_list,
            "filter_form": form,
            "querystring": _querystring(request),
        },
    )
