"""Citizen participation: processes, ideas, comments, supports, moderation (issue: participation)."""
