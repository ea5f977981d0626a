"""Fault tests: what the portal does when Redis or PostgreSQL fails, with private servers (tests/servers.py)."""

from tests.servers import PrivateRedis


def use_as_cache(settings, server: PrivateRedis, *, retry_seconds: float) -> None:
    """Point the default cache (rate limits, allauth, DRF's throttles) at ``server``, as production does with
    REDIS_URL; the settings change makes Django build new cache connections."""
    settings.CACHES = {
        "default": {
            "BACKEND": "smartcity5.cache.FallbackRedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "sc5",
            "RETRY_SECONDS": retry_seconds,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
