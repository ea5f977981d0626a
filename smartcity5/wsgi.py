"""WSGI entry point (gunicorn smartcity5.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcity5.settings")
application = get_wsgi_application()
