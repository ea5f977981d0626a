"""Mail helpers shared by everything that sends mail: one function builds every mail of the portal.

:func:`mail_send` renders a mail's subject and text from ``<template>_subject.txt`` and ``<template>_body.txt``
and wraps the text in the one branded frame (``email/base.txt`` and ``email/base.html``): the portal's name, the
town the mail speaks for (or none), and a footer that says why the recipient gets it and, for people with an
account, where they change their notification settings. Links in mails point at ``SITE_HOST``
(:func:`site_url`), never at the host of a request (a dev server's 127.0.0.1).
"""

import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

WHITESPACE = re.compile(r"\s+")


def render_subject(template_name: str, context: dict) -> str:
    """A mail subject rendered from ``template_name`` as one line: line breaks (from the template or from a
    title in it) become spaces, so Django never refuses the header (``BadHeaderError``) and the mail goes out."""
    return WHITESPACE.sub(" ", render_to_string(template_name, context)).strip()


def portal_name() -> str:
    """The portal's name as pages show it in their title, in the active language."""
    return _("Smart City Südwestfalen")


def site_url(link: str) -> str:
    """``link`` (a path, or an absolute URL built from some request) as an absolute URL on ``SITE_HOST``."""
    if not link:
        return link
    parts = urlsplit(link)
    if parts.scheme and parts.scheme not in {"http", "https"}:
        return link  # mailto: and the like
    return urlunsplit(
        (
            settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL,
            settings.SITE_HOST,
            parts.path or "/",
            parts.query,
            parts.fragment,
        )
    )


def mail_send(
    *,
    to: str | Iterable[str],
    template: str,
    context: dict,
    municipality=None,
    reason: str = "",
    settings_link: bool = True,
    headers: dict[str, str] | None = None,
    body_template: str = "",
    subject_prefix: str = "",
) -> EmailMultiAlternatives:
    """Build and send one mail of the portal (plain text with an HTML alternative) and return it.

    ``template`` names ``<template>_subject.txt`` and ``<template>_body.txt`` (plain text; the HTML part shows
    the same text with its links made clickable). ``municipality`` is the town the mail speaks for, named in the
    frame, or ``None`` for the portal as a whole. ``reason`` is the footer's sentence on why the recipient gets
    the mail; ``settings_link`` adds the link to the notification settings (only for people with an account).
    ``body_template`` and ``subject_prefix`` serve allauth's mails, whose texts are named ``…_message.txt``.
    Raises what the mail backend raises: the callers' tasks retry transient errors. A task must send inside
    ``outbox.claims.sending`` (claimed first), or the mail is refused (``UnclaimedMail``) before it is built.
    """
    from outbox.claims import require_claim

    require_claim()
    recipients = [to] if isinstance(to, str) else list(to)
    context = {**context, "municipality": municipality, "portal_name": portal_name()}
    subject = subject_prefix + render_subject(f"{template}_subject.txt", context)
    content = render_to_string(body_template or f"{template}_body.txt", context).strip()
    frame = {
        "content": content,
        "subject": subject,
        "municipality": municipality,
        "portal_name": portal_name(),
        "reason": reason,
        "portal_link": site_url("/"),
        "town_link": site_url(municipality.get_absolute_url()) if municipality is not None else "",
        "settings_link": site_url(reverse("notifications:preferences")) if settings_link else "",
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("email/base.txt", frame),
        from_email=None,
        to=recipients,
        headers=headers or {},
    )
    message.attach_alternative(render_to_string("email/base.html", frame), "text/html")
    message.send()
    return message
