"""The form of a person's notification settings: one choice of e-mail delivery per kind they can receive."""

from django import forms

from .kinds import Delivery, kinds_for


def _field_name(key: str) -> str:
    return key.replace(".", "_")


class PreferencesForm(forms.Form):
    def __init__(self, *args, user, current: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.kind_keys = {}
        for kind in kinds_for(user):
            name = _field_name(kind.key)
            self.kind_keys[name] = kind.key
            self.fields[name] = forms.ChoiceField(
                label=kind.label,
                help_text=kind.help_text,
                choices=Delivery.choices,
                initial=current[kind.key],
            )

    def choices(self) -> dict[str, str]:
        """The cleaned choices by kind key, for ``services.preferences_save``."""
        return {self.kind_keys[name]: value for name, value in self.cleaned_data.items()}
