"""The cache backend: Redis, falling back to this process's memory while Redis is down or frozen.

Rate limits (ours, allauth's login limits, DRF's throttles) live in the cache. Without this backend an
unreachable Redis turned every write, login and API request into a 500, and a frozen one held each of them for
redis-py's default 5 s socket timeout. Here a failing Redis opens a circuit breaker: for ``RETRY_SECONDS`` every
call of every thread in the process goes to a local-memory cache (so limits keep counting, per process), then
one call tries Redis again with short socket timeouts. A WARNING is logged when Redis fails (at most once per
``RETRY_SECONDS`` while it stays down) and an INFO line when it answers again.

Settings: ``CACHES["default"]`` with ``"BACKEND": "smartcity5.cache.FallbackRedisCache"``, ``"RETRY_SECONDS"``
(default 5) and the socket timeouts in ``OPTIONS`` (``socket_connect_timeout``, ``socket_timeout``).
"""

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


class _Breaker:
    """Per process and Redis location: is Redis to be asked, and has its failure been told?"""

    def __init__(self, retry_seconds: float):
        self.retry_seconds = retry_seconds
        self.lock = threading.Lock()
        self.down_since: float | None = None
        self.retry_at = 0.0
        self.warned_at = 0.0

    def allow(self) -> bool:
        """True when Redis may be asked now: it is up, or it is time for one trial (the other threads keep
        using the local cache until that trial has ended)."""
        with self.lock:
            if self.down_since is None:
                return True
            now = time.monotonic()
            if now >= self.retry_at:
                self.retry_at = now + self.retry_seconds
                return True
            return False

    def failed(self, location: str, error: Exception) -> None:
        with self.lock:
            now = time.monotonic()
            if self.down_since is None:
                self.down_since = now
            self.retry_at = now + self.retry_seconds
            tell = now - self.warned_at >= self.retry_seconds
            if tell:
                self.warned_at = now
        if tell:
            logger.warning(
                "Redis cache at %s unreachable (%s: %s); using this process's memory for the cache "
                "and rate limits, next try in %s s.",
                _without_password(location),
                type(error).__name__,
                error,
                self.retry_seconds,
            )

    def succeeded(self, location: str) -> None:
        if self.down_since is None:  # the usual case, without taking the lock
            return
        with self.lock:
            if self.down_since is None:
                return
            seconds = time.monotonic() - self.down_since
            self.down_since = None
            self.warned_at = 0.0
        logger.info(
            "Redis cache at %s reachable again after %.0f s; the shared cache is used again.",
            _without_password(location),
            seconds,
        )

    @property
    def is_down(self) -> bool:
        return self.down_since is not None


_breakers: dict[str, _Breaker] = {}
_breakers_lock = threading.Lock()


def _breaker(location: str, retry_seconds: float) -> _Breaker:
    with _breakers_lock:
        breaker = _breakers.get(location)
        if breaker is None or breaker.retry_seconds != retry_seconds:
            breaker = _breakers[location] = _Breaker(retry_seconds)
        return breaker


def _without_password(location: str) -> str:
    scheme, sep, rest = location.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return scheme + sep + rest


def _guarded(name: str):
    redis_method = getattr(RedisCache, name)

    def method(self, *args, **kwargs):
        if self._breaker.allow():
            try:
                result = redis_method(self, *args, **kwargs)
            except self._redis_errors as error:
                self._breaker.failed(self._location, error)
            else:
                self._breaker.succeeded(self._location)
                return result
        return getattr(self._local, name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"RedisCache.{name}, or the local cache while Redis is unreachable."
    return method


class FallbackRedisCache(RedisCache):
    """Django's RedisCache that never raises a connection error: see the module docstring."""

    def __init__(self, server, params):
        params = dict(params)
        retry_seconds = float(params.pop("RETRY_SECONDS", 5))
        options = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, **params.get("OPTIONS", {})}
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._location = server if isinstance(server, str) else ",".join(server)
        self._breaker = _breaker(self._location, retry_seconds)
        # LocMemCache keeps its entries per name at module level, so every thread of the process shares them.
        self._local = LocMemCache(
            f"smartcity5-fallback:{self._location}",
            {
                "TIMEOUT": params.get("TIMEOUT", 300),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
                "OPTIONS": {"MAX_ENTRIES": 10000},
            },
        )
        import redis

        # Down, frozen, still loading its data, full (maxmemory) or a read-only replica after a failover.
        self._redis_errors = (
            redis.exceptions.ConnectionError,
            redis.exceptions.TimeoutError,
            redis.exceptions.OutOfMemoryError,
            redis.exceptions.ReadOnlyError,
        )

    @property
    def redis_is_down(self) -> bool:
        """True while this process uses its local cache instead of Redis."""
        return self._breaker.is_down

    add = _guarded("add")
    get = _guarded("get")
    set = _guarded("set")
    touch = _guarded("touch")
    delete = _guarded("delete")
    get_many = _guarded("get_many")
    has_key = _guarded("has_key")
    incr = _guarded("incr")
    set_many = _guarded("set_many")
    delete_many = _guarded("delete_many")

    def clear(self):
        self._local.clear()
        return _guarded("clear")(self)
