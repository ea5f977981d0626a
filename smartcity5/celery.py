"""The Celery application; tasks are found in each app's tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcity5.settings")

# Every task's base: delay_on_commit hands over through the transactional outbox (outbox.base).
app = Celery("smartcity5", task_cls="outbox.base:PortalTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
