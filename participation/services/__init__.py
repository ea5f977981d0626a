"""Writes of the participation app. Each one checks the process's phase, saves, writes the history and
schedules its notifications after the transaction commits, in one place.

The staff's writes check who may call them themselves (``accounts.permissions``; ``by=None`` is the portal:
demo data, commands) and refuse others with ``PermissionDenied`` — a 403 on pages and in the API — so views,
the API, admin actions and commands need not repeat the rule. Further, these functions enforce the rules of the
domain: phases, one support / one ballot per person (by the database), moderation states, the status workflow
with its official answers.
"""

# The functions live in the submodules (common, processes, ideas, answers, privacy, comments, supports, flags,
# moderation, ballots); callers import the submodule they need (docs/ARCHITECTURE.md, "Apps' inner shape").
