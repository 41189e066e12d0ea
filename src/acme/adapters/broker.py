"""Readiness check for the message broker named by ACME_BROKER_URL."""

from __future__ import annotations

from acme.application.ports import DependencyCheck

TIMEOUT_SECONDS = 2.0


class BrokerCheck(DependencyCheck):
    """Redis (``redis://``, ``rediss://``): a PING. Any other Celery broker URL: a kombu
    connection attempt, without retries."""

    name = "broker"

    def __init__(self, url: str) -> None:
        self._url = url

    def check(self) -> None:
        if self._url.startswith(("redis://", "rediss://", "unix://")):
            import redis

            client = redis.Redis.from_url(
                self._url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
            )
            try:
                client.ping()
            finally:
                client.close()
            return
        from kombu.connection import Connection

        with Connection(self._url, connect_timeout=TIMEOUT_SECONDS) as conn:  # type: ignore[no-untyped-call]
            conn.ensure_connection(max_retries=1)
