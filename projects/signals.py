"""Signals of the projects app, for apps that build on projects without projects knowing them."""

from django.dispatch import Signal

#: Sent by ``services.project_transition`` inside its transaction, with ``project`` and ``event``
#: (the :class:`ProjectEvent` of the change). Receivers schedule their work with ``on_commit``.
project_status_changed = Signal()

#: Sent for every :class:`ProjectEvent` written (``ProjectEvent.recorded``) (a project or what hangs off it changed:
#: updates, KPIs, measurements, partners, files), inside its transaction, with ``project``. Receivers schedule their
#: work with ``on_commit`` (the open data files are rebuilt from it).
project_changed = Signal()
