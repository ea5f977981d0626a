"""Forms of the knowledge app: validation only; saving goes through ``knowledge.services``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from municipalities.models import Municipality
from projects.models import Project, Tag
from projects.selectors import lists as lists_selectors
from projects.selectors import similarity as similarity_selectors

from .models import LessonNote
from .selectors import AGENTUR, NoteFilters


class LessonNoteForm(forms.ModelForm):
    tags_text = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_(
            "Separate keywords with commas, e.g. “LoRaWAN, procurement”. The "
            "same tags as projects, so notes and projects find each other."
        ),
    )
    project = forms.TypedChoiceField(
        label=_("Project"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Optional: the project the note is about."),
    )

    class Meta:
        model = LessonNote
        fields = ["title", "body", "fields_of_action", "is_public"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 12}),
            "fields_of_action": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, projects: dict[int, Project], **kwargs):
        super().__init__(*args, **kwargs)
        self.projects = dict(projects)
        if self.instance.pk and self.instance.project_id:
            # The current link stays possible for whoever edits the note.
            self.projects.setdefault(self.instance.project_id, self.instance.project)
            self.fields["project"].initial = self.instance.project_id
        self.fields["project"].choices = [("", _("No project"))] + [
            (pk, f"{p.title} ({p.municipality.name})") for pk, p in self.projects.items()
        ]
        self.fields["fields_of_action"].queryset = lists_selectors.fields_of_action()
        if self.instance.pk:
            self.fields["tags_text"].initial = ", ".join(t.name for t in self.instance.tags.all())

    def chosen_project(self) -> Project | None:
        pk = self.cleaned_data.get("project")
        return self.projects.get(pk) if pk else None

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("title", "body", "is_public")}


class NoteFilterForm(forms.Form):
    """Filters of the note lists; invalid values are dropped rather than failing the page."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    field = forms.ChoiceField(label=_("Field of action"), required=False)
    town = forms.ChoiceField(label=_("Written by"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", _("All"))] + [
            (t.slug, t.name)
            for t in Tag.objects.filter(lesson_notes__isnull=False).distinct().order_by("name")
        ]
        self.fields["field"].choices = [("", _("All"))] + [
            (f.slug, f.name) for f in lists_selectors.fields_of_action()
        ]
        self.fields["town"].choices = [("", _("All")), (AGENTUR, _("Südwestfalen Agentur"))] + [
            (t.slug, t.name) for t in Municipality.objects.active().order_by("name")
        ]

    def filters(self) -> NoteFilters:
        self.is_valid()
        data = self.cleaned_data
        return NoteFilters(
            q=data.get("q", "").strip(),
            tag=data.get("tag", ""),
            field=data.get("field", ""),
            town=data.get("town", ""),
        )

    def is_filtered(self) -> bool:
        return self.is_bound and (self.is_valid() or True) and any(self.cleaned_data.values())


class CatalogueFilterForm(forms.Form):
    """Filters of the catalogue of transferable projects."""

    field = forms.ChoiceField(label=_("Field of action"), required=False)
    town = forms.ChoiceField(label=_("Town"), required=False)
    transferability = forms.ChoiceField(
        label=_("Re-use"),
        required=False,
        choices=[
            ("", _("All")),
            (Project.Transferability.YES, Project.Transferability.YES.label),
            (Project.Transferability.PARTLY, Project.Transferability.PARTLY.label),
        ],
    )
    open_source = forms.BooleanField(label=_("Only projects with open-source code"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [("", _("All"))] + [
            (f.slug, f.name) for f in lists_selectors.fields_of_action()
        ]
        self.fields["town"].choices = [("", _("All"))] + [
            (t.slug, t.name) for t in Municipality.objects.active().order_by("name")
        ]

    def filters(self) -> similarity_selectors.CatalogueFilters:
        self.is_valid()
        data = self.cleaned_data
        return similarity_selectors.CatalogueFilters(
            field=data.get("field", ""),
            town=data.get("town", ""),
            transferability=data.get("transferability", ""),
            open_source=bool(data.get("open_source")),
        )

    def is_filtered(self) -> bool:
        return self.is_bound and (self.is_valid() or True) and any(self.cleaned_data.values())
