"""The questionnaire as a form: one field per question, or for a ranking one field per answer (its rank) and for
a matrix one field per row, so that every question works without JavaScript and with a keyboard. The form only
reads the values; what counts as an answer (conditions, required questions, ranks 1 … n) is decided once, by
``services.response_submit``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.forms import BoundField
from django.utils.translation import gettext_lazy as _

from smartcity5 import numbers
from smartcity5.forms import HoneypotForm

from .models import Question, QuestionKind, Survey
from .services import QuestionInput


@dataclass
class QuestionGroup:
    """One question as the page shows it: its number, its fields, the hint of its condition and its errors."""

    number: int
    question: Question
    fields: list[BoundField]
    condition: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return self.question.kind in (QuestionKind.RANKING, QuestionKind.MATRIX)

    @property
    def anchor(self) -> str:
        return f"frage-{self.number}"


class ResponseForm(HoneypotForm, forms.Form):
    """Fields ``q<pk>`` (single, multiple, scale, text), ``q<pk>_o<option pk>`` (a ranking's rank of one answer)
    and ``q<pk>_r<row pk>`` (a matrix row's choice)."""

    def __init__(self, *args: Any, questions: Sequence[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        self._names: dict[int, list[str]] = {}
        #: A ranking's or a matrix's errors, which concern the question as a whole (``add_question_errors``).
        self.question_errors: dict[int, list[str]] = {}
        labels = {o.pk: (q, o.label) for q in self.questions for o in q.options.all()}
        self.conditions: dict[int, str] = {}
        numbers = {q.pk: n for n, q in enumerate(self.questions, start=1)}
        for question in self.questions:
            if question.shown_if_id is not None and question.shown_if_id in labels:
                parent, label = labels[question.shown_if_id]
                self.conditions[question.pk] = str(
                    _("Only if you chose “%(answer)s” in question %(number)d.")
                    % {"answer": label, "number": numbers[parent.pk]}
                )
            self._add(question, numbers[question.pk])

    def _add(self, question: Question, number: int) -> None:
        columns = [(str(o.pk), o.label) for o in question.options.all() if not o.is_row]
        rows = [o for o in question.options.all() if o.is_row]
        needed = question.is_required and question.shown_if_id is None
        conditional_need = question.is_required and question.shown_if_id is not None
        key = f"q{question.pk}"
        made: dict[str, forms.Field] = {}
        if question.kind == QuestionKind.SINGLE:
            made[key] = forms.ChoiceField(choices=columns, widget=forms.RadioSelect)
        elif question.kind == QuestionKind.MULTIPLE:
            made[key] = forms.MultipleChoiceField(choices=columns, widget=forms.CheckboxSelectMultiple)
        elif question.kind == QuestionKind.SCALE:
            made[key] = forms.ChoiceField(choices=self._scale_choices(question), widget=forms.RadioSelect)
        elif question.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
            made[key] = forms.CharField(
                max_length=question.text_length,
                widget=forms.Textarea(attrs={"rows": 5}) if question.kind == QuestionKind.LONG_TEXT else None,
            )
        elif question.kind == QuestionKind.RANKING:
            places = [("", _("no rank"))] + [(str(n), str(n)) for n in range(1, len(columns) + 1)]
            for pk, label in columns:
                made[f"{key}_o{pk}"] = forms.ChoiceField(choices=places, label=label)
        else:  # matrix
            for row in rows:
                made[f"{key}_r{row.pk}"] = forms.ChoiceField(
                    choices=columns, widget=forms.RadioSelect, label=row.label
                )
        for name, item in made.items():
            item.required = needed
            if conditional_need or name != key:
                # Needed when its condition is met (the hint says so); a ranking's or a matrix's own fields carry
                # no mark of their own: the question's legend says whether it is optional.
                item.required_when = True  # read by smartcity5.forms.is_marked_optional
            if name == key:
                item.label = f"{number}. {question.text}"
                item.help_text = " ".join(
                    filter(None, [question.help_text, self.conditions.get(question.pk, "")])
                )
            self.fields[name] = item
        self._names[question.pk] = list(made)

    @staticmethod
    def _scale_choices(question: Question) -> list[tuple[str, str]]:
        choices = []
        for value in range(question.scale_min, question.scale_max + 1):
            label = str(value)
            if value == question.scale_min and question.scale_min_label:
                label = f"{value} – {question.scale_min_label}"
            elif value == question.scale_max and question.scale_max_label:
                label = f"{value} – {question.scale_max_label}"
            choices.append((str(value), label))
        return choices

    def values(self) -> dict[int, Any]:
        """The answers in the shape ``services.response_submit`` takes."""
        data = self.cleaned_data
        values: dict[int, Any] = {}
        for question in self.questions:
            key = f"q{question.pk}"
            if question.kind == QuestionKind.RANKING:
                values[question.pk] = {
                    int(name.rsplit("_o", 1)[1]): data.get(name)
                    for name in self._names[question.pk]
                    if data.get(name)
                }
            elif question.kind == QuestionKind.MATRIX:
                values[question.pk] = {
                    int(name.rsplit("_r", 1)[1]): data.get(name)
                    for name in self._names[question.pk]
                    if data.get(name)
                }
            else:
                values[question.pk] = data.get(key)
        return values

    def groups(self) -> list[QuestionGroup]:
        """The questions in order with their bound fields and errors (a ranking's and a matrix's errors, which
        concern the question as a whole, are shown once above its fields)."""
        found = []
        for number, question in enumerate(self.questions, start=1):
            bound = [self[name] for name in self._names[question.pk]]
            errors = self.question_errors.get(question.pk, [])
            found.append(QuestionGroup(number, question, bound, self.conditions.get(question.pk, ""), errors))
        return found

    def add_question_errors(self, error_dict: dict[str, list[str]]) -> None:
        """A service's errors (keyed ``q<pk>``) on the question's field, or for a ranking or a matrix on the
        question as a whole."""
        for key, messages in error_dict.items():
            if key in self.fields:
                self.add_error(key, messages)
            elif key.startswith("q") and key[1:].isdigit() and int(key[1:]) in self._names:
                pk = int(key[1:])
                self.question_errors.setdefault(pk, []).extend(messages)
                number = next(n for n, q in enumerate(self.questions, start=1) if q.pk == pk)
                # In the error summary too, named by the question's number.
                self.add_error(None, [f"{_('Question')} {number}: {message}" for message in messages])
                for name in self._names[pk]:
                    self.fields[name].widget.attrs["aria-invalid"] = "true"
            else:
                self.add_error(None, messages)


class SurveySettingsForm(forms.ModelForm):
    """The survey's own settings (``services.survey_create`` / ``survey_change``)."""

    class Meta:
        model = Survey
        fields = ["title", "intro", "audience", "is_anonymous", "results_shown"]
        widgets = {
            "intro": forms.Textarea(attrs={"rows": 4}),
            "audience": forms.RadioSelect,
            "results_shown": forms.RadioSelect,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        survey = self.instance
        if survey.pk and survey.is_locked:
            # Promised to those who answered: fixed once the first response arrived.
            for name in ("audience", "is_anonymous"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Fixed since the first response.")


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class QuestionForm(forms.Form):
    """One question of the builder. Answers and matrix rows are written one per line; a condition names an answer
    of an earlier single or multiple choice question."""

    kind = forms.ChoiceField(label=_("Kind of question"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("Question"), max_length=500)
    help_text = forms.CharField(label=_("Explanation"), max_length=500, required=False)
    is_required = forms.BooleanField(label=_("An answer is required"), required=False)
    options = forms.CharField(
        label=_("Answers to choose from"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One answer per line. For single and multiple choice, ranking and the matrix's columns."),
    )
    rows = forms.CharField(
        label=_("Rows of the matrix"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One row per line; each row is answered with one of the answers above."),
    )
    scale_min = numbers.WholeNumberField(
        label=_("Lowest value"), initial=1, required=False, min_value=-10, max_value=10
    )
    scale_max = numbers.WholeNumberField(
        label=_("Highest value"), initial=5, required=False, min_value=-10, max_value=10
    )
    scale_min_label = forms.CharField(label=_("Label of the lowest value"), max_length=60, required=False)
    scale_max_label = forms.CharField(label=_("Label of the highest value"), max_length=60, required=False)
    shown_if = forms.TypedChoiceField(
        label=_("Ask only after the answer"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Leave empty to ask everyone."),
    )

    def __init__(self, *args: Any, survey: Survey, question: Question | None = None, **kwargs: Any) -> None:
        if question is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "kind": question.kind,
                "text": question.text,
                "help_text": question.help_text,
                "is_required": question.is_required,
                "options": "\n".join(o.label for o in question.options.all() if not o.is_row),
                "rows": "\n".join(o.label for o in question.options.all() if o.is_row),
                "scale_min": question.scale_min,
                "scale_max": question.scale_max,
                "scale_min_label": question.scale_min_label,
                "scale_max_label": question.scale_max_label,
                "shown_if": question.shown_if_id,
            }
        super().__init__(*args, **kwargs)
        for name in ("options", "rows", "scale_min", "scale_max", "scale_min_label", "scale_max_label"):
            self.fields[name].required_when = True  # the hint says when
        before = question.position if question is not None else None
        self.conditions = {
            option.pk: option
            for earlier in survey.questions.prefetch_related("options").order_by("position", "pk")
            if earlier.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
            and (before is None or earlier.position < before)
            for option in earlier.options.all()
        }
        self.fields["shown_if"].choices = [("", _("Everyone"))] + [
            (str(pk), f"{option.question.text} → {option.label}") for pk, option in self.conditions.items()
        ]

    def values(self) -> QuestionInput:
        data = self.cleaned_data
        return QuestionInput(
            kind=data["kind"],
            text=data["text"],
            help_text=data.get("help_text", ""),
            is_required=data.get("is_required", False),
            scale_min=1 if data.get("scale_min") is None else int(data["scale_min"]),
            scale_max=5 if data.get("scale_max") is None else int(data["scale_max"]),
            scale_min_label=data.get("scale_min_label", ""),
            scale_max_label=data.get("scale_max_label", ""),
            options=_lines(data.get("options", "")),
            rows=_lines(data.get("rows", "")),
            shown_if=self.conditions.get(data["shown_if"]) if data.get("shown_if") else None,
        )


class PaperResponseForm(ResponseForm):
    """A paper questionnaire: the questionnaire's fields and the day it arrived."""

    received_on = forms.DateField(label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"}))
