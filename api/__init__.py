"""The REST API under /api/v1/: a second door into the same selectors, services and permission rules."""
