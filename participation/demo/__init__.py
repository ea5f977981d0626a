"""Demo data: participation processes of the five towns with ideas, comments, supports, answers and a vote."""
