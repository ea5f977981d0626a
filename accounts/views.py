"""The personal account page and the town team page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import permissions, selectors, services
from .decorators import personal, town_permission_required
from .forms import ProfileForm, TeamAddForm, TeamRoleForm
from .models import Membership


@personal
def overview(request):
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=request.user)
        if form.is_valid():
            form.save()
            messages.success(request, _("Your profile has been saved."))
            return redirect("accounts:overview")
    else:
        form = ProfileForm(instance=request.user)
    return render(request, "accounts/overview.html", {
        "form": form,
        "memberships": selectors.user_memberships(user=request.user),
        "has_totp": permissions.has_totp(request.user),
        "needs_mfa": permissions.needs_mfa_setup(request.user),
        "mfa_next": request.session.get("mfa_next"),
    })


@town_permission_required("town.manage")
def team(request, town: str):
    municipality = request.municipality
    form = TeamAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.membership_grant(municipality=municipality, user=form.cleaned_data["user"],
                                  role=form.cleaned_data["role"], by=request.user)
        messages.success(request, _("%(name)s now has the role %(role)s.") % {
            "name": form.cleaned_data["user"], "role": dict(form.fields["role"].choices)[form.cleaned_data["role"]]})
        return redirect("team:list", town=municipality.slug)
    return render(request, "accounts/team.html",
                  {"form": form, "members": selectors.team_members(municipality=municipality)})


def _membership_or_404(request, pk: int) -> Membership:
    membership = selectors.team_members(municipality=request.municipality).filter(pk=pk).first()
    if membership is None:
        raise Http404
    return membership


@require_POST
@town_permission_required("town.manage")
def team_change_role(request, town: str, pk: int):
    membership = _membership_or_404(request, pk)
    form = TeamRoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_grant(municipality=request.municipality, user=membership.user,
                                      role=form.cleaned_data["role"], by=request.user)
            messages.success(request, _("The role has been changed."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, _("Please choose a valid role."))
    return redirect("team:list", town=request.municipality.slug)


@require_POST
@town_permission_required("town.manage")
def team_remove(request, town: str, pk: int):
    membership = _membership_or_404(request, pk)
    try:
        services.membership_revoke(membership=membership, by=request.user)
        messages.success(request, _("%(name)s no longer belongs to the team.") % {"name": membership.user})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("team:list", town=request.municipality.slug)
