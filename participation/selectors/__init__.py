"""Reads of the participation app. Everything public goes through ``visible()``: hidden, reported and waiting
contributions never reach a list, a search, a map or a count."""

# The functions live in the submodules (facts, processes, ideas, idea_page, moderation, ballots, people,
# figures); callers import the submodule they need (docs/ARCHITECTURE.md, "Apps' inner shape").
