"""Signals of the participation app, for apps that build on participation without participation knowing them."""

from django.dispatch import Signal

#: Sent inside the transaction of every write of ``services`` that may change what the public sees of participation
#: (each history event, each recount of supports and comments), and by account deletion when it takes a person's
#: contributions with it; with ``municipality_id`` (``None``: several towns). Receivers schedule their work with
#: ``on_commit`` (the open data files are rebuilt from it).
participation_changed = Signal()
