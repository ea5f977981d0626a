"""smartcity5: the web portal of the Smart City model project "5 für Südwestfalen"."""

from .celery import app as celery_app

__all__ = ("celery_app",)
