"""Filtering and ordering of API lists (django-filter and DRF's ordering), matched to the HTML lists.

A list's filters are validated by the HTML page's filter form and applied by the app's selector function,
so a filter means the same on the page and in the API. The declared django-filter filters describe the query
parameters (drf-spectacular reads them for the schema); :class:`FormFilterSet` routes validation and
filtering to the form and the selector. Unlike the pages, which ignore a bad value, the API answers it with
400 and the field errors."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from participation.forms import SORT_CHOICES, IdeaFilterForm
from participation.models import Idea, IdeaStatus
from participation.selectors import ideas as ideas_selectors
from projects.forms import ProjectFilterForm
from projects.models import Project
from projects.selectors import lists as lists_selectors

from .base import form_errors


class FormFilterSet(django_filters.FilterSet):
    """A FilterSet whose form is a portal filter form and whose filtering is a selector function."""

    html_form: type | None = None

    def form_kwargs(self) -> dict:
        return {}

    @property
    def form(self):
        if not hasattr(self, "_form"):
            self._form = self.html_form(self.data, **self.form_kwargs())
        return self._form

    @property
    def errors(self):
        return form_errors(self.form)

    def filter_queryset(self, queryset):
        return self.apply(queryset, self.form)

    def apply(self, queryset, form):
        raise NotImplementedError


class FormFilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend that hands the view to the FilterSet (staff lists offer more filters)."""

    def get_filterset_kwargs(self, request, queryset, view):
        return {**super().get_filterset_kwargs(request, queryset, view), "view": view}

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return filterset.qs


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=`` over the view's ``ordering_fields`` only; an unknown field is a 400, not ignored.
    Views without ``ordering_fields`` offer no ordering (the parameter is then not read)."""

    def filter_queryset(self, request, queryset, view):
        if not getattr(view, "ordering_fields", None):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [param.strip() for param in params.split(",") if param.strip()]
            allowed = set(getattr(view, "ordering_fields", None) or ())
            unknown = [field for field in fields if field.lstrip("-") not in allowed]
            if unknown:
                raise ValidationError(
                    {
                        self.ordering_param: [
                            f"Unknown ordering field: {', '.join(unknown)}. Allowed: {', '.join(sorted(allowed))}."
                        ]
                    }
                )
            # Ties keep the list's own order after the chosen one, so pages never overlap.
            return [*fields, "pk"]
        return self.get_default_ordering(view)

    def get_schema_operation_parameters(self, view):
        if not getattr(view, "ordering_fields", None):
            return []
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            allowed = sorted(getattr(view, "ordering_fields", None) or ())
            parameter["schema"] = {"type": "string"}
            parameter["description"] = f"Comma-separated fields, '-' for descending: {', '.join(allowed)}."
        return parameters


class OptionalChoiceFilter(django_filters.ChoiceFilter):
    """A choice whose empty value (``?joint=``) is no filter, as on the HTML lists, whose forms offer "All" as the
    empty choice: the schema lists the empty value among the choices and says so (drf-spectacular reads the
    enum from ``choices``). Any other value outside the choices stays a 400."""

    def __init__(self, *args, choices, empty: str = "no filter (all)", **kwargs):
        super().__init__(*args, choices=[("", empty), *choices], **kwargs)


class _ViewFilterSet(FormFilterSet):
    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, view=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.view = view


class ProjectFilterSet(_ViewFilterSet):
    """The filters of the town project list (``ProjectFilterForm``); ``visibility`` for the town's staff."""

    q = django_filters.CharFilter(help_text="Words in title, summary, description, tags or place.")
    field = django_filters.CharFilter(help_text="Slug of a field of action.")
    status = OptionalChoiceFilter(choices=Project.Status.choices)
    phase = OptionalChoiceFilter(choices=Project.Phase.choices)
    joint = OptionalChoiceFilter(choices=[("ja", "only joint projects"), ("nein", "only single-town")])
    visibility = OptionalChoiceFilter(
        choices=Project.Visibility.choices, help_text="Only for the town's staff."
    )

    html_form = ProjectFilterForm

    class Meta:
        model = Project
        fields: list = []

    def form_kwargs(self) -> dict:
        return {"staff": bool(self.view and self.view.sees_internal())}

    def apply(self, queryset, form):
        return lists_selectors.filter_projects(queryset, form.filters())


class ProcessIdeaFilterSet(_ViewFilterSet):
    """The filters of a process's idea list (``IdeaFilterForm`` without ``process``)."""

    q = django_filters.CharFilter(help_text="Words in title, description or place.")
    status = OptionalChoiceFilter(choices=IdeaStatus.choices)
    field_of_action = django_filters.CharFilter(help_text="Slug of a field of action.")
    answered = OptionalChoiceFilter(choices=[("yes", "with an answer"), ("no", "without an answer")])
    sort = OptionalChoiceFilter(choices=SORT_CHOICES, empty="the default order (newest first)")

    html_form = IdeaFilterForm

    class Meta:
        model = Idea
        fields: list = []

    def form_kwargs(self) -> dict:
        return {"with_process": getattr(self.view, "process", None) is None}

    def apply(self, queryset, form):
        return ideas_selectors.filter_ideas(
            queryset, form.filters(process=getattr(self.view, "process", None))
        )


class IdeaFilterSet(ProcessIdeaFilterSet):
    """The filters of the town's idea list (``IdeaFilterForm``)."""

    process = django_filters.CharFilter(help_text="Slug of a published process of the town.")


# The filter backends of every API list; a view names its ``filterset_class`` and ``ordering_fields``.
LIST_FILTERS = [FormFilterBackend, StrictOrderingFilter]
