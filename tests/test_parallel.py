"""What keeps the workers of a parallel run (pytest-xdist, `make test`) apart: each has its own Redis database and
its own share of the private servers' ports (tests/conftest.py, tests/servers.py; docs/ARCHITECTURE.md "Tests")."""

import os

import pytest
from django.conf import settings
from django.core.cache import caches

from smartcity5.celery import app as celery_app

from .conftest import REDIS_URL_OF_THE_RUN, worker_redis_url
from .servers import ALL_PORTS, PORTS, worker_ports


def test_each_worker_gets_the_next_redis_database():
    assert worker_redis_url("redis://127.0.0.1:6379/1", "gw0") == "redis://127.0.0.1:6379/1"
    assert worker_redis_url("redis://127.0.0.1:6379/1", "gw1") == "redis://127.0.0.1:6379/2"
    assert worker_redis_url("redis://:secret@redis:6379", "gw2") == "redis://:secret@redis:6379/2"
    assert worker_redis_url("redis://127.0.0.1:6379/2", "") == "redis://127.0.0.1:6379/2"  # no xdist
    assert worker_redis_url("", "gw1") == ""  # no Redis: local-memory cache
    with pytest.raises(pytest.UsageError, match="Redis has 0-15"):
        worker_redis_url("redis://127.0.0.1:6379/14", "gw2")


def test_this_process_uses_its_own_redis_database_everywhere():
    own = worker_redis_url(REDIS_URL_OF_THE_RUN, os.environ.get("PYTEST_XDIST_WORKER", ""))
    assert own == settings.REDIS_URL
    if own:
        assert settings.CELERY_BROKER_URL == own == celery_app.conf.broker_url == os.environ["REDIS_URL"]
        assert settings.CACHES["default"]["LOCATION"] == own
        assert caches["default"]._servers == [own]


def test_the_workers_share_the_private_servers_ports_without_overlap():
    assert worker_ports("", "1") == ALL_PORTS
    for count in (2, 3, 4):
        shares = [set(worker_ports(f"gw{index}", str(count))) for index in range(count)]
        assert all(share and share <= set(ALL_PORTS) for share in shares)
        assert sum(map(len, shares)) == len(set().union(*shares))  # no port in two shares
    with pytest.raises(RuntimeError):
        worker_ports("gw0", "40")
    assert set(PORTS) <= set(ALL_PORTS)
