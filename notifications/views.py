"""A person's own notifications (from every town) and their e-mail settings."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.decorators import personal, public

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
    form = PreferencesForm(
        request.POST or None, user=request.user, current=selectors.user_preferences(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        services.preferences_save(user=request.user, choices=form.choices())
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})


def _unsubscribe_target(token: str):
    """The person and plan a digest's unsubscribe token names, or ``None`` for a broken or foreign token."""
    from django.contrib.auth import get_user_model
    from django.core import signing

    from .kinds import DIGEST_PLANS
    from .tasks import UNSUBSCRIBE_SALT

    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("p") not in DIGEST_PLANS:
        return None
    user = get_user_model().objects.filter(pk=data.get("u"), is_active=True).first()  # type: ignore[misc]  # None: no one
    return (user, data["p"]) if user is not None else None


# The link in a digest works without signing in, and mail programs POST to it without cookies (RFC 8058 one-click
# unsubscribe), so no CSRF token can come: the signed token is the proof, and it only ever switches mails off.
@public
@csrf_exempt
def digest_unsubscribe(request, token: str):
    """Stop the daily or weekly summary by e-mail: GET asks (a link checker must not unsubscribe anybody), POST
    does it, from the page's button or from the mail program's one-click request."""
    target = _unsubscribe_target(token)
    if target is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=404)
    user, plan = target
    if request.method == "POST":
        services.digest_unsubscribe(user=user, plan=plan)
        return render(request, "notifications/unsubscribe.html", {"done": True, "plan": plan})
    return render(request, "notifications/unsubscribe.html", {"plan": plan, "token": token})
