"""The base class of every task of the portal (the Celery app's ``task_cls``)."""

from celery.contrib.django.task import DjangoTask


class PortalTask(DjangoTask):
    """``delay_on_commit`` goes through the transactional outbox (``outbox.services.enqueue``): the hand-over is
    written in the caller's transaction and handed to the broker after commit, and again by the relay until a
    worker has run it. It is the one way to start a task from a request or from another task; calling ``delay``
    or ``apply_async`` directly is left to tests and the shell (tests/test_outbox.py checks the code for it).
    """

    abstract = True

    def delay_on_commit(self, *args, **kwargs):
        if args:
            raise TypeError(f"{self.name}: tasks handed over through the outbox take keyword arguments only")
        from .services import enqueue

        return enqueue(self, **kwargs)

    def waiting_for_commit(self, **kwargs):
        """Whether the caller's transaction has this call handed over on commit already (``outbox.services``)."""
        from .services import waiting_for_commit

        return waiting_for_commit(self, **kwargs)

    def delay_many_on_commit(self, kwargs_list):
        """Several calls of this task, handed over together (one insert, one hand-over)."""
        from .services import enqueue_many

        return enqueue_many(self, list(kwargs_list))

    def apply_async_on_commit(self, args=None, kwargs=None, **options):
        if args or options:
            raise TypeError(f"{self.name}: the outbox hands over keyword arguments only, without options")
        return self.delay_on_commit(**(kwargs or {}))
