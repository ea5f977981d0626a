"""Demo data: the five towns from municipalities.json and one account per role."""
