"""A person's own notifications (from every town) and their e-mail settings."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import personal

from . import selectors, services
from .forms import PreferencesForm


@personal
def notification_list(request):
    page = Paginator(selectors.user_notifications(user=request.user), 30).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page_obj": page})


@require_POST
@personal
def notification_open(request, pk: int):
    """Mark one notification read and go to what it is about (a form button, so a link never changes data)."""
    notification = selectors.user_notifications(user=request.user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    services.notification_open(notification=notification)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:list")


@require_POST
@personal
def notifications_read_all(request):
    count = services.notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:list")


@personal
def notification_preferences(request):
    """Per kind of notification: an e-mail at once, a daily or weekly summary, or in the app only."""
    form = PreferencesForm(request.POST or None, user=request.user,
                           current=selectors.user_preferences(user=request.user))
    if request.method == "POST" and form.is_valid():
        services.preferences_save(user=request.user, choices=form.choices())
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
