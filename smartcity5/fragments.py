"""Rendered template fragments kept in the worker's memory, keyed on everything they show (issue 16, branch
``render``: the CPU a page costs to build).

A fragment template is rendered from plain values only (strings, numbers, booleans, dates, ``None``): no model
instance, no request, no user, no context processor. What it shows is therefore a function of those values, the
active language and time zone, the script prefix of the URLs and the template's text, and that is exactly the key
its HTML is kept under (a least-recently-used memory per worker process, like the Markdown of
``smartcity5.markdown``). An edited comment, a renamed or deleted author, a new support count or status give other
values and so another entry: nothing ever has to be deleted or invalidated, the old entry just ages out. Moderation
needs nothing either: a hidden comment or idea is not selected for the page, so its fragment is not asked for.
What depends on the viewer (their support, their reports, their own comments, the CSRF token) is never passed in;
the page adds it around the fragment. A new release's templates come with new worker processes; the development
server's reloader empties the memory when a template changes.
"""

import datetime
import threading
from collections import OrderedDict
from decimal import Decimal
from pathlib import Path

from django.dispatch import receiver
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.autoreload import file_changed
from django.utils.safestring import SafeString, mark_safe

#: How many fragments a worker keeps: 8,192 comments or cards of about 1-2 KB (HTML and key) are 10-30 MB.
MAXSIZE = 8192

#: What a fragment may be rendered from. A model instance hashes by its primary key alone, so an edited object
#: would find its old HTML: passing one is an error (checked when the fragment is rendered, i.e. on a miss).
PLAIN = (str, int, float, bool, Decimal, datetime.date, datetime.datetime, type(None))


class _Kept:
    """A least-recently-used memory of rendered HTML, shared by the threads of a worker."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, key: tuple, build) -> str:
        with self._lock:
            html = self._data.get(key)
            if html is not None:
                self._data.move_to_end(key)
                return html
        html = build()  # outside the lock: two threads may build the same fragment once each, never wrongly
        with self._lock:
            self._data[key] = html
            if len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return html

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_KEPT = _Kept(MAXSIZE)


def _context_key() -> tuple:
    return translation.get_language(), timezone.get_current_timezone_name(), get_script_prefix()


def render(template_name: str, **values) -> SafeString:
    """The HTML of ``template_name`` rendered from ``values`` alone, from this worker's memory when it was
    rendered before with the same values, language, time zone and script prefix."""
    items = tuple(values.items())

    def build() -> str:
        for name, value in items:
            if not isinstance(value, PLAIN):
                raise TypeError(
                    f"fragment {template_name}: {name} is a {type(value).__name__}, not a plain value"
                )
        # Rendered under the caller's active language and time zone, which the key holds.
        return str(get_template(template_name).render(dict(items)))

    return mark_safe(_KEPT.get_or_build(("template", template_name, *_context_key(), items), build))


def kept(key: tuple, build) -> SafeString:
    """``build()``'s HTML, kept under ``key`` (plus language, time zone and script prefix): for HTML that is not
    a template of plain values (a filter form's fields: smartcity5.templatetags.ui.filter_fields), where the
    caller guarantees that ``key`` holds everything the HTML shows."""
    return mark_safe(_KEPT.get_or_build(("kept", *_context_key(), *key), lambda: str(build())))


def kept_value(key: tuple, build):
    """``build()``'s value, read once per worker under ``key``, for the rows a page reads on every request but that
    change only with a stored version (``Municipality.content_version``, ``participation.selectors.processes.scope_freshness``):
    ``key`` must hold that version, read in this request before the value (a write moves it, so the next request
    reads anew). The value is shared by the requests of the worker and must only be read; forgotten with the
    fragments (:func:`clear`)."""
    return _KEPT.get_or_build(("value", *key), build)


def clear() -> None:
    """Forget every kept fragment (tests; the development server when a template changes)."""
    _KEPT.clear()


@receiver(file_changed, dispatch_uid="smartcity5.fragments.template_changed")
def _template_changed(sender, file_path: Path, **kwargs) -> None:
    # Returns None: the reloader decides as before whether to restart (Django's own receiver keeps the process
    # for a template and resets its loaders).
    if Path(file_path).suffix == ".html":
        clear()
