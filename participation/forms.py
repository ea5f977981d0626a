"""Forms of the participation app: validation and widgets only; saving goes through ``participation.services``."""

from typing import cast

from django import forms
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from municipalities.models import Municipality
from projects.forms import DateInput, FieldsetsMixin
from projects.models import FieldOfAction, Project
from projects.uploads import IMAGE_TYPES, check_upload
from smartcity5 import fragments, numbers
from smartcity5.forms import HoneypotForm, needed_sometimes
from smartcity5.money import format_eur

from .models import (
    MAX_CODES_PER_BATCH,
    CodePurpose,
    Feasibility,
    FlagReason,
    Idea,
    IdeaStatus,
    ParticipationSettings,
    Phase,
    Process,
    VoteMode,
)
from .selectors import idea_page as idea_page_selectors
from .selectors import ideas as ideas_selectors
from .selectors import processes as processes_selectors

IMAGE_CONTENT_TYPES = {content_type for content_type, _suffix in IMAGE_TYPES.values()}
SORT_CHOICES = [("new", _("Newest")), ("supported", _("Most supported")), ("discussed", _("Most discussed"))]


def _fields_of_action():
    return FieldOfAction.objects.order_by("position", "name")


class IdeaFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + list(IdeaStatus.choices)
    )
    field_of_action = forms.ModelChoiceField(
        label=_("Field of action"), required=False, queryset=None, empty_label=_("All"), to_field_name="slug"
    )
    process = forms.ModelChoiceField(
        label=_("Process"), required=False, queryset=None, empty_label=_("All"), to_field_name="slug"
    )
    answered = forms.ChoiceField(
        label=_("Answer from the town"),
        required=False,
        choices=[("", _("All")), ("yes", _("with an answer")), ("no", _("without an answer yet"))],
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(
        self,
        *args,
        with_process: bool = True,
        staff: bool = False,
        municipality=None,
        choices_version: str | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        querysets = {"field_of_action": _fields_of_action}
        if with_process:
            querysets["process"] = lambda: processes_selectors.process_choices(include_unpublished=staff)
        else:
            del self.fields["process"]
        for name, queryset in querysets.items():
            # An unbound form with kept options validates nothing: its querysets are only built to read them.
            if choices_version is None or self.is_bound:
                self.fields[name].queryset = queryset()
        if choices_version is not None:
            self._keep_choices(choices_version, querysets, staff=staff)
        if (
            staff and municipality is not None
        ):  # a town's staff list: its own processes apart from the joint ones
            self.fields["lead"] = forms.ChoiceField(
                label=_("Lead town"),
                required=False,
                choices=[
                    ("", _("All")),
                    ("ja", _("In processes of %(town)s") % {"town": municipality.name}),
                    ("nein", _("In joint processes a partner town runs")),
                ],
            )

    def _keep_choices(self, version: str, querysets: dict, *, staff: bool) -> None:
        """The options of the fields of action and the published processes, read once per worker under ``version``
        (the public pages' version: ``municipalities.freshness.town_page_version``, which moves with any change of a
        field of action and of the scope's processes) instead of two queries and their rows on every page. Only
        what is shown: a chosen value is still looked up in the field's queryset."""

        def read(field, queryset) -> list[tuple[str, str]]:
            if field.queryset is None:
                field.queryset = queryset()
            return [(str(value), str(label)) for value, label in field.choices]

        for name, queryset in querysets.items():
            field = self.fields[name]
            choices = fragments.kept_value(
                ("idea_filter_choices", connection.alias, name, staff, version, get_language()),
                lambda field=field, queryset=queryset: read(field, queryset),
            )
            field.widget.choices = list(choices)

    def filters(self, **extra) -> ideas_selectors.IdeaFilters:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return ideas_selectors.IdeaFilters(
            q=data.get("q", ""),
            status=data.get("status", ""),
            field_of_action=data.get("field_of_action"),
            process=extra.get("process") or data.get("process"),
            sort=data.get("sort") or "new",
            answered={"yes": True, "no": False}.get(data.get("answered", "")),
            lead={"ja": True, "nein": False}.get(data.get("lead", "")),
            lead_town=self.municipality.pk if self.municipality is not None else None,
        )

    def is_filtered(self) -> bool:
        if not self.is_bound or not self.is_valid():
            return self.is_bound
        return any(value for name, value in self.cleaned_data.items() if name != "sort")


class IdeaForm(HoneypotForm, forms.ModelForm):
    image_upload = forms.FileField(
        label=_("Image file"),
        required=False,
        help_text=_(
            "JPEG, PNG or WebP up to 5 MB. Location data and other metadata are removed from the image."
        ),
    )
    consent = forms.BooleanField(
        label=_("I agree that my idea is published under my display name."), required=True
    )

    class Meta:
        model = Idea
        fields = [
            "title",
            "body",
            "field_of_action",
            "location_label",
            "latitude",
            "longitude",
            "image_alt",
            "estimated_cost",
        ]
        formfield_callback = numbers.formfield  # every number read by the one rule (smartcity5.numbers)
        field_classes = {
            "latitude": numbers.CoordinateField,
            "longitude": numbers.CoordinateField,
            "estimated_cost": numbers.MoneyField,
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, process: Process, municipality: Municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.process = process
        self.fields["field_of_action"].queryset = _fields_of_action()
        needed_sometimes(self.fields["image_alt"])
        self.fields["image_alt"].help_text = _(
            "Needed when you add an image: say in a few words what it shows, for people who cannot see it."
        )
        self.fields["consent"].help_text = format_html(
            gettext(
                'Please read the <a href="{}">privacy notice of {}</a>. You can delete your account and your '
                "data at any time."
            ),
            reverse("municipalities:privacy", kwargs={"town_slug": municipality.slug}),
            municipality.name,
        )
        for name in ("latitude", "longitude"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "data-sc5-pick": name})
        if settings.MAP_TILE_URL:
            self.fields["latitude"].help_text = _(
                "Choose the place on the map or type its coordinates, e.g. "
                "51.3960. Leave empty for ideas without a place."
            )
        else:  # no map: the description says where; coordinates are an optional detail for those who have them
            self.fields["location_label"].label = _("Description of the place")
            self.fields["location_label"].help_text = _(
                "Describe the place: an address, a street or a "
                "landmark, e.g. “Marktplatz, near the fountain”."
            )
            self.fields["latitude"].help_text = _(
                "In decimal degrees, e.g. 51.3960 and 8.0640. Only if you know "
                "them; the description above is enough."
            )
        if not process.allow_location:
            for name in ("location_label", "latitude", "longitude"):
                del self.fields[name]
        if not process.is_budget:  # only a participatory budget's proposals have costs
            del self.fields["estimated_cost"]

    def clean(self):
        cleaned = super().clean()
        if "latitude" in self.fields and (cleaned.get("latitude") is None) != (
            cleaned.get("longitude") is None
        ):
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        upload = cleaned.get("image_upload")
        self.checked_image = None
        if upload is not None:
            try:
                self.checked_image = check_upload(upload, allowed=IMAGE_CONTENT_TYPES)
            except forms.ValidationError as error:
                self.add_error("image_upload", error)
            else:
                if not (cleaned.get("image_alt") or "").strip():
                    self.add_error("image_alt", _("Please describe the image in a few words."))
        return cleaned

    def service_fields(self) -> dict:
        return {
            name: self.cleaned_data[name] for name in self._meta.fields or () if name in self.cleaned_data
        }


class OfflineIdeaForm(IdeaForm):
    """Staff enter an idea from paper or an event: where it came from instead of consent and an account."""

    offline_source = forms.CharField(
        label=_("Collected at"),
        max_length=200,
        help_text=_("E.g. “postcard from the participation kit” or “workshop on 12 May”. No names, please."),
    )
    collected_on = forms.DateField(label=_("Collected on"), required=False, widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["consent"]
        del self.fields["homepage"]


class CommentForm(HoneypotForm):
    """A comment or a reply, for the idea page and the API alike: ``parent_comment`` is the published comment a
    reply answers, and :meth:`official_town` decides whether it is written for the town."""

    body = forms.CharField(
        label=_("Your comment"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Simple Markdown is supported (lists, **bold**, links)."),
    )
    parent = forms.IntegerField(label=_("Reply to"), required=False, widget=forms.HiddenInput)

    def __init__(self, *args, idea=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.idea = idea
        self.parent_comment = None

    def clean(self):
        cleaned = super().clean()
        if self.idea is not None and cleaned.get("parent"):
            self.parent_comment = idea_page_selectors.comment_parent(idea=self.idea, pk=cleaned["parent"])
            if self.parent_comment is None:
                self.add_error("parent", _("The comment you wanted to reply to is no longer there."))
        return cleaned

    def official_town(self, user, municipality: Municipality) -> Municipality | None:
        """``municipality`` when the comment is to be written for it (the page's checkbox ``official``, ``"official":
        true`` in the API), else None. Whether ``user`` may write for it is the service's question
        (``services.comment_post`` refuses others with ``PermissionDenied``)."""
        if str(self.data.get("official", "")).lower() not in ("1", "true", "on"):
            return None
        return municipality


class FlagForm(HoneypotForm):
    reason = forms.ChoiceField(
        label=_("Why should a moderator look at this?"),
        choices=FlagReason.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Anything the moderators should know."),
    )


class MergeSearchInput(forms.TextInput):
    """The search for a merge target, with its own submit button: without JavaScript the answer form is sent back
    to be shown again with the matches, everything typed kept (``participation.views.staff_idea_answer``)."""

    template_name = "participation/widgets/merge_search.html"


class MergeTargetField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return _("%(title)s (no. %(number)s · supports: %(supports)s)") % {
            "title": obj.title,
            "number": obj.pk,
            "supports": obj.support_count,
        }


class AnswerForm(forms.Form):
    to = forms.ChoiceField(label=_("New status"), widget=forms.RadioSelect)
    body = needed_sometimes(
        forms.CharField(
            label=_("Official answer"),
            required=False,
            max_length=6000,
            widget=forms.Textarea(attrs={"rows": 6}),
            help_text=_(
                "Published with the idea; the author and the supporters are told. "
                "Required when the idea is rejected or merged."
            ),
        )
    )
    merge_search = forms.CharField(
        label=_("Find the idea to merge into"),
        required=False,
        max_length=100,
        widget=MergeSearchInput,
        help_text=_("Words of its title or its number (the number in its address after “ideen/”)."),
    )
    merged_into = needed_sometimes(
        MergeTargetField(
            label=_("Merge into"),
            required=False,
            queryset=Idea.objects.none(),
            help_text=_(
                "Only when merging: the idea this one becomes part of. Up to 30 open ideas of the process are "
                "offered, the most supported first; search above for the others."
            ),
            error_messages={
                "invalid_choice": _(
                    "There is no open idea with this number in this process. Search for it by its title."
                )
            },
        )
    )

    def __init__(self, *args, idea: Idea, **kwargs):
        super().__init__(*args, **kwargs)
        self.idea = idea
        self.fields["to"].choices = [
            (
                idea.status,
                _("Keep the status (“%(status)s”), answer only") % {"status": idea.get_status_display()},
            )
        ] + [(s, IdeaStatus(s).label) for s in idea.allowed_transitions()]
        self.fields["to"].initial = idea.status
        # Any open idea of the process is a valid target; the select offers a few (the search finds the rest).
        field = self.fields["merged_into"]
        field.queryset = idea_page_selectors.merge_candidates(idea=idea)
        values = self.data if self.is_bound else self.initial
        shown = idea_page_selectors.merge_choices(
            idea=idea, query=str(values.get("merge_search") or ""), keep=values.get("merged_into")
        )
        field.widget.choices = [
            ("", field.empty_label),
            *((row.pk, field.label_from_instance(row)) for row in shown),
        ]


class ProjectSearchInput(MergeSearchInput):
    """The search for a project to link, with its own submit button (``participation.views.staff_idea_project``
    shows the page again with the matches, without JavaScript)."""


class ProjectLinkForm(forms.Form):
    project_search = forms.CharField(
        label=_("Find the project"),
        required=False,
        max_length=100,
        widget=ProjectSearchInput,
        help_text=_("Words of its title, or its address (the part after “projekte/”)."),
    )
    project = forms.ModelChoiceField(
        label=_("Project that came from this idea"),
        required=False,
        queryset=Project.objects.none(),
        empty_label=_("– no project –"),
        help_text=_(
            "Up to 30 projects of the towns that run the process are offered: the newest, by title; search above for "
            "the others."
        ),
        error_messages={
            "invalid_choice": _(
                "This project does not belong to a town that runs this process. Search for it by its title."
            )
        },
    )

    def __init__(self, *args, idea: Idea, **kwargs):
        super().__init__(*args, **kwargs)
        # Any project of the process's towns is valid; the select offers a few (the search finds the rest).
        field = self.fields["project"]
        field.queryset = idea_page_selectors.project_choices(idea=idea)
        field.initial = idea.project_id
        values = self.data if self.is_bound else self.initial
        keep = values.get("project") if "project" in values else idea.project_id
        query = str(values.get("project_search") or "").strip()
        shown = idea_page_selectors.project_link_choices(
            idea=idea, query=query, keep=keep, candidates=field.queryset
        )
        if query and all(str(row.pk) == str(keep) for row in shown):
            field.help_text = _("No project matches “%(query)s”. Try other words of its title.") % {
                "query": query
            }
        field.widget.choices = [
            ("", field.empty_label),
            *((row.pk, field.label_from_instance(row)) for row in shown),
        ]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class PrivacyEditForm(forms.Form):
    """A moderator's edit of what a contribution says, for privacy: an idea's title and text, or a comment's
    text (``target``), always with a reason."""

    title = forms.CharField(label=_("Title"), max_length=150)
    body = forms.CharField(
        label=_("Text"),
        max_length=6000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Replace only what has to go, e.g. a name with “[Name entfernt]”."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the history; the removed wording is not. The author is not told."),
    )

    def __init__(self, *args, target, **kwargs):
        kwargs.setdefault("initial", {"title": getattr(target, "title", ""), "body": target.body})
        super().__init__(*args, **kwargs)
        self.target = target
        if not isinstance(target, Idea):
            del self.fields["title"]
            self.fields["body"].max_length = 3000
            self.fields["body"].widget.attrs["maxlength"] = "3000"


class ProcessForm(FieldsetsMixin, forms.ModelForm):
    partner_towns = forms.ModelMultipleChoiceField(
        label=_("Partner towns"),
        queryset=Municipality.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A joint process appears on each partner town's pages; their editors answer ideas too."),
    )

    fieldsets = [
        (_("Description"), ["title", "summary", "description", "field_of_action", "partner_towns"]),
        (
            _("What citizens can do"),
            [
                "is_published",
                "allow_comments",
                "allow_supports",
                "allow_location",
            ],
        ),
        (_("Vote"), ["vote_mode", "votes_per_person", "votes_per_idea", "budget_cap", "vote_by_codes"]),
    ]

    class Meta:
        model = Process
        formfield_callback = numbers.formfield  # every number read by the one rule (smartcity5.numbers)
        fields = [
            "title",
            "summary",
            "description",
            "field_of_action",
            "is_published",
            "allow_comments",
            "allow_supports",
            "allow_location",
            "votes_per_person",
            "votes_per_idea",
            "vote_by_codes",
            "vote_mode",
            "budget_cap",
        ]
        field_classes = {"budget_cap": numbers.MoneyField}
        widgets = {
            "vote_mode": forms.RadioSelect,
            "summary": forms.Textarea(attrs={"rows": 2}),
            "description": forms.Textarea(attrs={"rows": 10}),
        }

    def __init__(self, *args, municipality: Municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.municipality = municipality
        self.fields["field_of_action"].queryset = _fields_of_action()
        self.fields["votes_per_person"].help_text = _(
            "How many votes each verified citizen can distribute over the shortlist (vote by numbers of votes)."
        )
        needed_sometimes(self.fields["budget_cap"])
        # Always one chosen on the page; a post without it (an older form, a script) keeps the process's kind.
        self.fields["vote_mode"].required = False
        needed_sometimes(self.fields["vote_mode"])
        self.fields["partner_towns"].queryset = (
            Municipality.objects.active().exclude(pk=municipality.pk).order_by("name")
        )
        if self.instance.pk:
            self.fields["partner_towns"].initial = list(self.instance.partner_towns.all())
        # The phases are set in their own fieldset below the form (PhaseFormSet).

    def clean_vote_mode(self) -> str:
        return self.cleaned_data.get("vote_mode") or self.instance.vote_mode or VoteMode.VOTES

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}


class PhaseForm(forms.Form):
    kind = forms.CharField(widget=forms.HiddenInput)
    use = forms.BooleanField(label=_("This process has this phase"), required=False)
    # Needed when the process has the phase (the phases' hint says so; the results phase may stay open-ended).
    starts_on = needed_sometimes(forms.DateField(label=_("From"), required=False, widget=DateInput))
    ends_on = needed_sometimes(forms.DateField(label=_("Until"), required=False, widget=DateInput))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What was posted names the phase of a bound form; the initial plan, that of a new one.
        kind = self.data.get(self.add_prefix("kind")) if self.is_bound else self.initial.get("kind")
        self.label = Phase(kind).label if kind in Phase.values else ""

    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        if kind not in Phase.values:
            raise forms.ValidationError(_("Unknown phase."))
        return kind

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("use"):
            if not cleaned.get("starts_on"):
                self.add_error("starts_on", _("Please give the first day of the phase."))
            if not cleaned.get("ends_on") and cleaned.get("kind") != Phase.RESULTS:
                self.add_error("ends_on", _("Please give the last day of the phase."))
        return cleaned


class BasePhaseFormSet(forms.BaseFormSet):
    def phases(self) -> list[dict]:
        return [
            {
                "kind": f.cleaned_data["kind"],
                "starts_on": f.cleaned_data["starts_on"],
                "ends_on": f.cleaned_data.get("ends_on"),
            }
            for f in self.forms
            if f.cleaned_data.get("use")
        ]


# formset_factory makes a subclass of the ``formset`` it is given; its stub returns the plain BaseFormSet.
PhaseFormSet = cast(
    type[BasePhaseFormSet],
    forms.formset_factory(
        PhaseForm,
        formset=BasePhaseFormSet,
        extra=0,
        min_num=len(Phase.values),
        max_num=len(Phase.values),
        validate_max=True,
    ),
)


def phase_initial(process: Process | None) -> list[dict]:
    existing = {p.kind: p for p in process.phases.all()} if process is not None else {}
    return [
        {
            "kind": kind,
            "use": kind in existing or (process is None and kind in (Phase.INFORMATION, Phase.IDEAS)),
            "starts_on": getattr(existing.get(kind), "starts_on", None),
            "ends_on": getattr(existing.get(kind), "ends_on", None),
        }
        for kind in Phase.values
    ]


class ParticipationSettingsForm(forms.ModelForm):
    class Meta:
        model = ParticipationSettings
        formfield_callback = numbers.formfield  # every number read by the one rule (smartcity5.numbers)
        fields = ["moderation", "report_threshold"]
        widgets = {"moderation": forms.RadioSelect}


class BallotForm(forms.Form):
    """One number field per shortlisted idea: how many of one's votes it gets."""

    def __init__(self, *args, ideas, process: Process, current: dict[int, int], **kwargs):
        super().__init__(*args, **kwargs)
        self.ideas = list(ideas)
        for idea in self.ideas:
            field = self._vote_field(idea, process, current)
            field.idea = idea
            self.fields[f"idea_{idea.pk}"] = field

    @staticmethod
    def _vote_field(idea, process: Process, current: dict[int, int]) -> forms.Field:
        """A tick box when each idea takes one vote, else the number of votes."""
        if process.votes_per_idea == 1:
            return forms.BooleanField(label=idea.title, required=False, initial=bool(current.get(idea.pk)))
        return forms.IntegerField(
            label=idea.title,
            required=False,
            min_value=0,
            max_value=process.votes_per_idea,
            initial=current.get(idea.pk, 0),
        )

    def votes(self) -> dict[int, int]:
        result = {}
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            count = (1 if value else 0) if isinstance(field, forms.BooleanField) else (value or 0)
            if count:
                result[field.idea.pk] = count
        return result


# --- Voting codes --------------------------------------------------------------------------------------------


class VotingCodeField(forms.CharField):
    """The code from a letter: its form (length, characters, check character) is checked before any lookup, so a
    typing error is named as such (``services.codes.code_normalise``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Your code from the letter"))
        kwargs.setdefault(
            "help_text",
            _("12 characters, e.g. ABCD-EFGH-JKLM; capital or small letters and hyphens do not matter."),
        )
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("error_messages", {"required": _("Please enter the code from your letter.")})
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        )

    def clean(self, value):
        from .services.codes import code_format, code_normalise

        return code_format(code_normalise(super().clean(value)))


class CodeBallotForm(HoneypotForm, BallotForm):
    """The vote of a process whose vote is by codes: the code from the letter, then the shortlist."""

    code = VotingCodeField()

    field_order = ["code"]

    def votes(self) -> dict[int, int]:
        """The shortlist's votes, as :meth:`BallotForm.votes` reads them from the idea fields alone."""
        others = {name: self.fields.pop(name) for name in ("code", "homepage")}
        try:
            return super().votes()
        finally:
            self.fields.update(others)


class VotingCodeBatchForm(forms.Form):
    """Staff order a batch of codes (``services.codes.voting_code_batch_order``)."""

    purpose = forms.ChoiceField(
        label=_("The codes are for"),
        choices=CodePurpose.choices,
        widget=forms.RadioSelect,
        initial=CodePurpose.VOTE,
    )
    count = numbers.WholeNumberField(label=_("Number of codes"), min_value=1, max_value=MAX_CODES_PER_BATCH)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The limit as a number of the page's language (5.000, or 5,000 in English).
        self.fields["count"].help_text = gettext(
            "One letter is printed per code; at most %(max)s at a time; order several batches for more residents."
        ) % {"max": number_format(MAX_CODES_PER_BATCH, force_grouping=True)}


class AssessmentForm(forms.Form):
    """The town's check of a participatory budget's proposal: cost, verdict and the published reason."""

    cost_estimate = numbers.MoneyField(
        label=_("Cost according to the town (euros)"),
        required=False,
        min_value=0,
        help_text=_("The binding cost: the ballot adds it up and the results spend it. Needed if feasible."),
    )
    feasibility = forms.ChoiceField(
        label=_("Feasibility"), choices=Feasibility.choices, widget=forms.RadioSelect
    )
    feasibility_reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Published with the proposal; the author is told. Needed for a verdict."),
    )

    def __init__(self, *args, idea: Idea, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "cost_estimate": idea.cost_estimate
                if idea.cost_estimate is not None
                else idea.estimated_cost,
                "feasibility": idea.feasibility,
                "feasibility_reason": idea.feasibility_reason,
            },
        )
        super().__init__(*args, **kwargs)


class BudgetBallotForm(BallotForm):
    """A participatory budget's ballot: a tick box per feasible proposal, with its cost (``data-cost`` for the
    running total of ``static/js/budget-ballot.js``)."""

    @staticmethod
    def _vote_field(idea, process: Process, current: dict[int, int]) -> forms.Field:
        field = forms.BooleanField(
            label=idea.title,
            required=False,
            initial=bool(current.get(idea.pk)),
            help_text=_("Cost: %(cost)s") % {"cost": format_eur(idea.cost_estimate or 0, places=0)},
        )
        field.widget.attrs["data-cost"] = str(idea.cost_estimate or 0)
        return field

    def chosen(self) -> list:
        """The ticked proposals, as sent (also when the form is not valid: for the running total)."""
        boxes = [(name, f) for name, f in self.fields.items() if hasattr(f, "idea")]
        if not self.is_bound:
            return [f.idea for name, f in boxes if self[name].initial]
        return [f.idea for name, f in boxes if self[name].data]


class CodeBudgetBallotForm(CodeBallotForm, BudgetBallotForm):
    """The vote of a participatory budget whose vote is by codes: the code from the letter, then a tick box per
    feasible proposal with its cost."""


class PaperBallotForm(BallotForm):
    """A paper ballot typed in by staff: the same fields as online, nothing ticked."""

    def __init__(self, *args, ideas, process: Process, **kwargs):
        super().__init__(*args, ideas=ideas, process=process, current={}, **kwargs)

    @staticmethod
    def _vote_field(idea, process: Process, current: dict[int, int]) -> forms.Field:
        if process.is_budget:
            return BudgetBallotForm._vote_field(idea, process, current)
        return BallotForm._vote_field(idea, process, current)
