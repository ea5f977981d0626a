"""Reads of the projects app: lists with filters, derived progress, and the staff dashboard figures.

A project's progress is the percentage of its latest update that gives one (100 once completed); a project with
sub-projects, and a bundle of measures, take the weighted mean of their members (cancelled ones left out). The rule
is computed in SQL (:func:`derived_facts`) when a service changes something it depends on, and stored on the
project with the other facts the lists show (``Project.stored_progress``, ``last_update_on``, ``partner_count``;
``projects.services.project_facts_refresh``): the lists read columns.
"""

# The functions live in the submodules (common, progress, lists, dashboard, similarity); callers import the
# submodule they need (docs/ARCHITECTURE.md, "Apps' inner shape").
