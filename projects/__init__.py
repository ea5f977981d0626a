"""Strategy projects: fields of action, measures, KPIs and progress (issue: strategy projects)."""
