"""Forms for accounts: the extra sign-up fields and the profile."""

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Role, User


def _consent_label():
    return format_html(
        _(
            'I have read the <a href="{}">privacy notice</a> and agree that my data is processed as '
            "described there."
        ),
        reverse_lazy("privacy"),
    )


class SignupExtraForm(forms.Form):
    """Merged into allauth's sign-up form: a display name and explicit consent (DSGVO)."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=60,
        help_text=_("Shown with your contributions. You may use a pseudonym."),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    privacy_consent = forms.BooleanField(
        label=lazy(_consent_label, str)(),
        required=True,
        error_messages={"required": _("Please agree to the privacy notice.")},
    )

    def signup(self, request, user: User) -> None:
        user.display_name = self.cleaned_data["display_name"]
        user.privacy_consent_at = timezone.now()
        user.save(update_fields=["display_name", "privacy_consent_at"])


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name"]


class TeamInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address of the person"),
        help_text=_(
            "The person gets a link by e-mail, valid for 7 days. If they have no account "
            "yet, they create one when accepting."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class InvitationAccountForm(forms.Form):
    """The account of an invited person who has none yet: the address comes from the invitation."""

    display_name = SignupExtraForm.base_fields["display_name"]
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    privacy_consent = SignupExtraForm.base_fields["privacy_consent"]

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords are not the same."))
        return data


class TeamRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class AccountDeleteForm(forms.Form):
    """Deleting an account asks for the password again and an explicit confirmation."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("Yes, delete my account and my personal data for good."),
        required=True,
        error_messages={"required": _("Please confirm that you want to delete your account.")},
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is not correct."), code="password")
        return password
