"""Forms of the projects app: validation and widgets only; saving goes through ``projects.services``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from municipalities.models import Municipality
from smartcity5 import numbers
from smartcity5.forms import needed_sometimes

from .models import Bundle, Indicator, ProgressUpdate, Project, Strategy
from .selectors import lists as lists_selectors
from .uploads import check_upload


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class FieldsetsMixin:
    """Group fields into labelled ``<fieldset>``s: ``fieldsets = [(legend, [field names])]``."""

    fieldsets: list = []

    def grouped_fields(self):
        return [
            (legend, [self[name] for name in names if name in self.fields])
            for legend, names in self.fieldsets
        ]


class ProjectForm(FieldsetsMixin, forms.ModelForm):
    # Declared here so that the scoped manager is not queried at import; the choices are set per town.
    parent = forms.ModelChoiceField(
        label=_("Part of project"),
        queryset=Project.objects.none(),
        required=False,
        help_text=_("Make this a sub-project of another project of your town."),
    )
    tags_text = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separate keywords with commas, e.g. “LoRaWAN, sensors”."),
    )
    partner_towns = forms.ModelMultipleChoiceField(
        label=_("Partner towns"),
        queryset=Municipality.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Joint projects appear on each partner town's pages; its staff may post updates."),
    )

    fieldsets = [
        (_("Description"), ["title", "summary", "description", "fields_of_action", "tags_text"]),
        (_("Programme"), ["phase", "bundle", "parent", "weight", "partner_towns", "visibility"]),
        (
            _("Schedule and budget"),
            ["planned_start", "planned_end", "actual_start", "actual_end", "planned_budget"],
        ),
        (
            _("Contact and re-use"),
            ["contact_name", "contact_email", "open_source_url", "transferability", "transferability_note"],
        ),
        (_("Place"), ["location_label", "latitude", "longitude"]),
    ]

    class Meta:
        model = Project
        fields = [
            "title",
            "summary",
            "description",
            "fields_of_action",
            "phase",
            "bundle",
            "parent",
            "weight",
            "visibility",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "planned_budget",
            "contact_name",
            "contact_email",
            "open_source_url",
            "transferability",
            "transferability_note",
            "location_label",
            "latitude",
            "longitude",
        ]
        formfield_callback = numbers.formfield  # every number read by the one rule (smartcity5.numbers)
        field_classes = {
            "planned_budget": numbers.MoneyField,
            "latitude": numbers.CoordinateField,
            "longitude": numbers.CoordinateField,
        }
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "description": forms.Textarea(attrs={"rows": 10}),
            "transferability_note": forms.Textarea(attrs={"rows": 3}),
            "fields_of_action": forms.CheckboxSelectMultiple,
            "planned_start": DateInput,
            "planned_end": DateInput,
            "actual_start": DateInput,
            "actual_end": DateInput,
        }

    def __init__(self, *args, municipality: Municipality, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.instance.municipality = municipality
        self.fields["fields_of_action"].queryset = lists_selectors.fields_of_action()
        self.fields["bundle"].queryset = Bundle.objects.filter(consortium=municipality.consortium_id)
        self.fields["parent"].queryset = lists_selectors.parent_choices(
            municipality=municipality, exclude=self.instance if self.instance.pk else None
        )
        self.fields["partner_towns"].queryset = (
            Municipality.objects.active().exclude(pk=municipality.pk).order_by("name")
        )
        if self.instance.pk:
            self.fields["partner_towns"].initial = list(self.instance.partner_towns.all())
            self.fields["tags_text"].initial = ", ".join(t.name for t in self.instance.tags.all())
        self.fields["latitude"].help_text = _(
            "Decimal degrees, e.g. 51.3960 (Arnsberg). Leave both empty for projects without a place."
        )

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("latitude") is None) != bool(cleaned.get("longitude") is None):
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        return cleaned

    def service_fields(self) -> dict:
        return {
            name: self.cleaned_data[name] for name in self._meta.fields or () if name != "fields_of_action"
        }


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("New status"), widget=forms.RadioSelect)
    reason = needed_sometimes(
        forms.CharField(
            label=_("Reason"),
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=_(
                "Required when a project is paused, cancelled or steps back. Shown on the public page."
            ),
        )
    )
    on = forms.DateField(
        label=_("Effective date"),
        required=False,
        widget=DateInput,
        help_text=_("Used as actual start or end date; today if empty."),
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["to"].choices = [(s, Project.Status(s).label) for s in project.allowed_transitions()]

    def clean(self):
        cleaned = super().clean()
        to = cleaned.get("to")
        if (
            to
            and Project.reason_required(self.project.status, to)
            and not (cleaned.get("reason") or "").strip()
        ):
            self.add_error("reason", _("Please give a reason; it is shown with the new status."))
        return cleaned


class ProgressUpdateForm(forms.ModelForm):
    class Meta:
        model = ProgressUpdate
        formfield_callback = numbers.formfield  # every number read by the one rule (smartcity5.numbers)
        fields = ["published_on", "title", "body", "progress_percent", "is_public"]
        widgets = {"published_on": DateInput, "body": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["progress_percent"].widget.attrs.update({"min": 0, "max": 100})
        if project.pk and project.children.exists():
            del self.fields["progress_percent"]

    def service_fields(self) -> dict:
        return dict(self.cleaned_data)


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = Indicator
        fields = [
            "name",
            "unit",
            "description",
            "baseline",
            "baseline_date",
            "target",
            "target_date",
            "position",
        ]
        formfield_callback = numbers.formfield  # every number read by the one rule (smartcity5.numbers)
        widgets = {
            "baseline_date": DateInput,
            "target_date": DateInput,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("target") is not None
            and cleaned.get("baseline") is not None
            and cleaned["target"] == cleaned["baseline"]
        ):
            self.add_error("target", _("The target must differ from the baseline."))
        if (
            cleaned.get("baseline_date")
            and cleaned.get("target_date")
            and cleaned["target_date"] < cleaned["baseline_date"]
        ):
            self.add_error("target_date", _("The target date cannot be before the baseline date."))
        return cleaned

    def service_fields(self) -> dict:
        return dict(self.cleaned_data)


class MeasurementForm(forms.Form):
    measured_on = forms.DateField(label=_("Date"), widget=DateInput)
    value = numbers.NumberField(label=_("Value"), max_digits=16, decimal_places=4)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class ProjectFileForm(forms.Form):
    upload = forms.FileField(
        label=_("File"),
        help_text=_(
            "Images: JPEG, PNG or WebP up to 5 MB. Documents: PDF, ODT, DOCX, ODS or XLSX up to 20 MB."
        ),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    alt_text = forms.CharField(
        label=_("Text alternative (images)"),
        required=False,
        max_length=300,
        help_text=_("Describe what the image shows, for people who cannot see it. Required for images."),
    )
    is_public = forms.BooleanField(label=_("Public"), required=False, initial=True)

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("upload")
        if upload is not None:
            try:
                self.checked = check_upload(upload)
            except forms.ValidationError as error:
                self.add_error("upload", error)
                return cleaned
            if self.checked.kind == "image" and not (cleaned.get("alt_text") or "").strip():
                self.add_error("alt_text", _("Images need a text alternative."))
        return cleaned


class StrategyForm(forms.ModelForm):
    document_upload = forms.FileField(
        label=_("Document (PDF)"),
        required=False,
        help_text=_("The strategy as adopted, as a PDF up to 20 MB."),
    )
    remove_document = forms.BooleanField(label=_("Remove the current document"), required=False)

    class Meta:
        model = Strategy
        fields = ["title", "adopted_on", "resolution_url", "summary", "fields_of_action"]
        widgets = {
            "adopted_on": DateInput,
            "summary": forms.Textarea(attrs={"rows": 8}),
            "fields_of_action": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fields_of_action"].queryset = lists_selectors.fields_of_action()
        if not (self.instance.pk and self.instance.document):
            del self.fields["remove_document"]

    def clean_document_upload(self):
        upload = self.cleaned_data.get("document_upload")
        if upload:
            checked = check_upload(upload, allowed={"application/pdf"})
            if checked.kind != "document":
                raise forms.ValidationError(_("Please upload a PDF."))
        return upload


class ProjectFilterForm(forms.Form):
    """The filters of every project list; invalid values are ignored rather than failing the page."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    field = forms.ChoiceField(label=_("Field of action"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + list(Project.Status.choices)
    )
    phase = forms.ChoiceField(
        label=_("Phase"), required=False, choices=[("", _("All"))] + list(Project.Phase.choices)
    )
    joint = forms.ChoiceField(
        label=_("Joint projects"),
        required=False,
        choices=[("", _("All")), ("ja", _("Only joint projects")), ("nein", _("Only single-town projects"))],
    )
    bundle = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, towns=None, staff: bool = False, municipality=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.fields["field"].choices = [("", _("All"))] + [
            (f.slug, f.name) for f in lists_selectors.fields_of_action()
        ]
        if towns is not None:
            self.fields["town"] = forms.ChoiceField(
                label=_("Town"), required=False, choices=[("", _("All"))] + [(t.slug, t.name) for t in towns]
            )
        if staff:
            self.fields["visibility"] = forms.ChoiceField(
                label=_("Visibility"),
                required=False,
                choices=[("", _("All"))] + list(Project.Visibility.choices),
            )
        if (
            municipality is not None
        ):  # a town's staff list: its own projects apart from the joint ones it joins
            self.fields["lead"] = forms.ChoiceField(
                label=_("Lead town"),
                required=False,
                choices=[
                    ("", _("All")),
                    ("ja", _("Led by %(town)s") % {"town": municipality.name}),
                    ("nein", _("Joint projects led by a partner town")),
                ],
            )

    def filters(self) -> lists_selectors.ProjectFilters:
        self.is_valid()
        data = self.cleaned_data  # only the values that passed; a bad one is dropped, not the rest
        joint = {"ja": True, "nein": False}.get(data.get("joint", ""))
        lead = {"ja": True, "nein": False}.get(data.get("lead", ""))
        return lists_selectors.ProjectFilters(
            q=data.get("q", "").strip(),
            field=data.get("field", ""),
            status=data.get("status", ""),
            phase=data.get("phase", ""),
            joint=joint,
            town=data.get("town", ""),
            visibility=data.get("visibility", ""),
            bundle=data.get("bundle"),
            lead=lead,
            lead_town=self.municipality.pk if self.municipality is not None else None,
        )

    def is_filtered(self) -> bool:
        return self.is_bound and (self.is_valid() or True) and any(self.cleaned_data.values())
