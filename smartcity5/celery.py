"""The Celery application; tasks are found in each app's tasks.py."""

import os

from celery import Celery, signals

from smartcity5 import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartcity5.settings")

# Every task's base: delay_on_commit hands over through the transactional outbox (outbox.base).
app = Celery("smartcity5", task_cls="outbox.base:PortalTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# smartcity5 itself is no installed app: its tasks module (the worker heartbeat) is named here.
app.autodiscover_tasks(["smartcity5"])

# Lines logged by a task carry its id (smartcity5.logs).
signals.task_prerun.connect(logs.task_started, weak=False)
signals.task_postrun.connect(logs.task_finished, weak=False)


@signals.setup_logging.connect(weak=False)
def use_django_logging(**kwargs):
    """The worker and beat log as the web processes do (Django's LOGGING: JSON lines in production), instead of
    Celery replacing the root logger's handler with its own format."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
