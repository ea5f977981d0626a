"""Display helpers for participation pages: ``{% load participation_tags %}``."""

from django import template
from django.db import connection
from django.template.defaulttags import CsrfTokenNode
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from participation.models import Feasibility, VoteMode
from participation.selectors import processes as processes_selectors
from smartcity5 import fragments

register = template.Library()

_STATUS_TONES = {
    "submitted": "info",
    "under_review": "warning",
    "accepted": "success",
    "rejected": "danger",
    "implemented": "success",
    "merged": "info",
}
_MODERATION_TONES = {"published": "success", "pending": "warning", "reported": "danger", "hidden": "danger"}


@register.filter
def idea_tone(status: str) -> str:
    """The KERN badge variant of an idea status."""
    return _STATUS_TONES.get(status, "info")


@register.filter
def feasibility_tone(verdict: str) -> str:
    """The badge variant of a participatory budget's feasibility verdict."""
    return {"feasible": "success", "not_feasible": "danger"}.get(verdict, "info")


@register.filter
def moderation_tone(state: str) -> str:
    return _MODERATION_TONES.get(state, "info")


@register.filter
def phase_tone(kind: str) -> str:
    """The badge variant of a process phase: the phases people can take part in stand out."""
    return "success" if kind in ("survey", "ideas", "vote") else "info"


@register.filter
def author_name(contribution) -> str:
    """How a contribution's author appears in public: the display name only, never the e-mail address."""
    if getattr(contribution, "is_offline", False):
        return _("Offline contribution")
    author = getattr(contribution, "author", None)
    if author is None:
        return _("Deleted account")
    return author.display_name or _("Anonymous")


def _card_author_name(idea) -> str:
    """:func:`author_name` of an idea read by ``selectors.idea_cards`` (its author's name as ``card_author``)."""
    if idea.is_offline:
        return _("Offline contribution")
    if idea.author_id is None:
        return _("Deleted account")
    return idea.card_author or _("Anonymous")


@register.filter
def phase_state(phase, today) -> str:
    """past / current / future, for the timeline."""
    if phase.contains(today):
        return "current"
    return "past" if phase.ends_on is not None and phase.ends_on < today else "future"


_REPORT_URL = "participation_tags.report_url"
_PK_SLOT = 987654321987


@register.simple_tag(takes_context=True)
def comment_html(context, comment) -> SafeString:
    """One comment of the idea page: what everyone sees of it, a fragment kept per worker and rendered from plain
    values only (``participation/_comment.html``, smartcity5.fragments), then what only this viewer sees (the link
    to report it, or that they did) and the end of the comment. Replaces an include per comment: an idea with 200
    comments spent most of its rendering time in them (bench/README.md, "Rendering")."""
    shown = fragments.render(
        "participation/_comment.html",
        pk=comment.pk,
        official=comment.is_official,
        by=author_name(comment),
        town=context["idea"].municipality.name if comment.is_official else "",
        created_at=comment.created_at,
        body=comment.body,
    )
    user = context["user"]
    if not (user.is_authenticated and context.get("may_participate")):
        return format_html("{}  \n</article>", shown)
    if comment.pk in context.get("reported_comments", ()):
        note = _("You have reported this comment.")
    elif comment.author_id != user.pk:
        # reverse() once per page, not per comment (200 of them): the address with a stand-in number.
        pattern = context.render_context.get(_REPORT_URL)
        if pattern is None:
            pattern = context.render_context[_REPORT_URL] = reverse(
                "participation:comment-flag",
                kwargs={"town_slug": context["municipality"].slug, "pk": _PK_SLOT},
            )
        url = pattern.replace(str(_PK_SLOT), str(comment.pk))
        note = format_html('<a href="{}">{}</a>', url, _("Report comment"))
    else:
        note = ""
    return format_html('{}  <p class="kern-body kern-body--small">{}</p>\n</article>', shown, note)


@register.simple_tag
def idea_card(idea, show_process: bool = False) -> SafeString:
    """An idea in a list (the idea list, a process's page), as read by ``selectors.idea_cards``:
    ``participation/_idea_card.html`` rendered from plain values only and kept per worker (smartcity5.fragments);
    nothing on it depends on the viewer. A participatory budget's proposal shows its cost (:attr:`Idea.shown_cost`,
    labelled whose) and, once checked, the town's verdict."""
    budget = idea.card_vote_mode == VoteMode.BUDGET
    cost, cost_by_town = idea.shown_cost if budget else (None, False)
    return fragments.render(
        "participation/_idea_card.html",
        town_slug=idea.card_town,
        pk=idea.pk,
        title=idea.title,
        status=idea.status,
        status_label=idea.get_status_display(),
        shortlisted=idea.is_shortlisted,
        offline=idea.is_offline,
        body=idea.body,
        by=_card_author_name(idea),
        created_at=idea.created_at,
        field=idea.card_field or "",
        place=idea.location_label,
        show_process=bool(show_process),
        process=idea.card_process if show_process else "",
        supports=idea.support_count,
        comments=idea.comment_count,
        budget=budget,
        cost=cost,
        cost_by_town=cost_by_town,
        verdict=idea.feasibility if budget and idea.feasibility != Feasibility.PENDING else "",
        verdict_label=idea.get_feasibility_display() if budget else "",
    )


#: Where ``participation/_reply_form.html`` takes the visitor's CSRF token.
CSRF_SLOT = "<!--csrf-->"


@register.simple_tag(takes_context=True)
def reply_form(context, comment) -> SafeString:
    """The reply form under a comment of the idea page (signed-in participants, while comments are open): a
    fragment kept per worker (smartcity5.fragments) with this visitor's CSRF token put in; whether it offers to
    write for the town is the viewer's ``can_answer``, part of the fragment's values."""
    municipality = context["municipality"]
    html = fragments.render(
        "participation/_reply_form.html",
        town_slug=municipality.slug,
        idea=context["idea"].pk,
        parent=comment.pk,
        official=bool(context.get("can_answer")),
        town_name=municipality.name if context.get("can_answer") else "",
    )
    return mark_safe(html.replace(CSRF_SLOT, CsrfTokenNode().render(context), 1))


@register.simple_tag(takes_context=True)
def comment_threads(context, comments) -> SafeString:
    """The idea page's comments (``selectors.comments_of``): each with its replies and, for signed-in participants
    while comments are open, a reply form. One tag instead of a template loop, whose lookups per comment were most
    of the rendering of an idea with 200 comments (bench/README.md, "Rendering")."""
    user = context["user"]
    may_reply = bool(context.get("can_comment") and user.is_authenticated and context.get("may_participate"))
    replies_label, reply_label = _("Replies"), _("Reply")
    parts: list[str] = []
    for comment in comments:
        parts.append(format_html('\n    <div class="sc5-thread">\n      {}', comment_html(context, comment)))
        if comment.shown_replies:
            parts.append(
                format_html(
                    '\n      <div class="sc5-replies" role="group" aria-label="{}">{}</div>',
                    replies_label,
                    mark_safe("".join(comment_html(context, reply) for reply in comment.shown_replies)),
                )
            )
        if may_reply:
            parts.append(
                format_html(
                    '\n      <details class="sc5-reply"><summary class="kern-body kern-body--small">{}</summary>{}'
                    "</details>",
                    reply_label,
                    reply_form(context, comment),
                )
            )
        parts.append("\n    </div>")
    return mark_safe("".join(parts))


@register.simple_tag(takes_context=True)
def running_processes_section(context) -> str:
    """``{% running_processes_section %}``: the town home's section on the published processes of the scope's town
    in which citizens can do something today, kept per worker (smartcity5.fragments) under the version the
    anonymous page cache keys the town page on (the town's ``content_version``, which also moves with a change of
    any town, field of action or the consortium, and its processes' ``scope_freshness``: every idea, comment,
    support, answer and process edit) and the day (a phase begins or ends at midnight). The town page built for
    each visitor read and rendered them every time: 40 % of its CPU on the demo (bench/README.md, "The demo's town
    page"). A tag of participation's, so that the tenancy app imports no domain."""
    municipality = context["request"].municipality
    key = (
        "town_home.running_processes",
        connection.alias,
        municipality.pk,
        municipality.content_version,
        processes_selectors.scope_freshness().version,
        timezone.localdate().isoformat(),
    )
    return fragments.kept(
        key,
        lambda: render_to_string(
            "municipalities/_running_processes.html",
            {"running_processes": processes_selectors.running_processes()},
        ),
    )


_PRIVACY_URL = "participation_tags.privacy_url"


@register.simple_tag(takes_context=True)
def staff_comment(context, comment, close: bool = True) -> SafeString:
    """One comment on the staff idea page as ``<li>``: what it shows (author, time, reply, edit, moderation state,
    text) a fragment kept per worker and rendered from plain values only (``participation/staff/_comment.html``,
    smartcity5.fragments), then, laid over per request, the moderators' link to edit it for privacy, and (with
    ``close``) the end of the item; the waiting ones get their moderation forms between (``idea.html``)."""
    by = author_name(comment)
    parts: list[str] = [
        fragments.render(
            "participation/staff/_comment.html",
            pk=comment.pk,
            by=str(by),
            created_at=comment.created_at,
            reply=comment.parent_id is not None,
            edited_at=comment.edited_at,
            moderation=comment.moderation,
            moderation_label=str(comment.get_moderation_display()),
            body=comment.body,
        )
    ]
    if context.get("can_moderate"):
        # reverse() once per page, not per comment: the address with a stand-in number.
        pattern = context.render_context.get(_PRIVACY_URL)
        if pattern is None:
            pattern = context.render_context[_PRIVACY_URL] = reverse(
                "participation:staff-privacy-edit-comment",
                kwargs={"town_slug": context["municipality"].slug, "pk": _PK_SLOT},
            )
        parts.append(
            format_html(
                '<p class="kern-body kern-body--small"><a href="{}">{}<span class="kern-sr-only"> ({})</span></a></p>',
                pattern.replace(str(_PK_SLOT), str(comment.pk)),
                _("Edit text for privacy"),
                _("comment by %(name)s") % {"name": by},
            )
        )
    if close:
        parts.append("\n  </li>")
    return mark_safe("".join(parts))


@register.simple_tag(takes_context=True)
def staff_comment_list(context, comments) -> SafeString:
    """The staff idea page's comments (:func:`staff_comment` each), one tag instead of a template loop."""
    return mark_safe("".join(str(staff_comment(context, comment)) for comment in comments))
