"""The Celery application; tasks are found in each app's tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcity5.settings")

app = Celery("smartcity5")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# smartcity5 itself is no installed app: its tasks module (the worker heartbeat) is named here.
app.autodiscover_tasks(["smartcity5"])
