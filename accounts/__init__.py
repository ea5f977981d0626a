"""People: the user model, town staff memberships and roles, and the one module of permission rules."""
