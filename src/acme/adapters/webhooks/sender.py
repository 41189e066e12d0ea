"""WebhookSender on httpx: one shared connection pool, a per-request timeout, no redirects,
signed per Standard Webhooks, errors turned into plain words."""

from __future__ import annotations

import socket
import ssl
import time
from urllib.parse import urlsplit

import httpcore
import httpx

from acme.adapters.webhooks.guard import AddressRefused
from acme.adapters.webhooks.signing import sign
from acme.application.ports import WebhookSender
from acme.domain.webhook import SendError, SendResult

USER_AGENT = "AcmeImporter-Webhooks/0.1"
MAX_ANSWER_BYTES = 64 * 1024


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def describe_error(exc: httpx.HTTPError, url: str) -> str:
    """A sentence a person understands: connection refused, DNS failure, TLS error, ..."""
    parts = urlsplit(url)
    where = parts.hostname or url
    text = " ".join(str(c) for c in _causes(exc))
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLError):
            reason = getattr(cause, "verify_message", None) or getattr(cause, "reason", None)
            return f"TLS error: {reason or cause}"
        if isinstance(cause, socket.gaierror):
            return f"DNS failure: the host '{where}' could not be resolved"
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused: nothing accepts connections at {parts.netloc}"
    lowered = text.lower()
    if "ssl" in lowered or "certificate" in lowered:
        return f"TLS error: {exc}"
    if (
        "name or service not known" in lowered
        or "nodename nor servname" in lowered
        or ("temporary failure in name resolution" in lowered)
    ):
        return f"DNS failure: the host '{where}' could not be resolved"
    if "connection refused" in lowered or "errno 111" in lowered:
        return f"connection refused: nothing accepts connections at {parts.netloc}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "connection error: the receiver closed the connection without answering"
    return f"connection error: {exc or type(exc).__name__}"


class _Transport(httpx.HTTPTransport):
    """httpx's transport (requests, responses and errors as httpx makes them) over a
    connection pool that connects through ``backend``; httpx has no parameter for that."""

    def __init__(self, backend: httpcore.NetworkBackend, max_connections: int) -> None:
        super().__init__(retries=0)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            retries=0,
            network_backend=backend,
        )


class HttpxWebhookSender(WebhookSender):
    """``backend``: how connections are made. The container passes GuardedNetworkBackend,
    which resolves each new connection's host, refuses non-public addresses and connects to
    one it has checked: the SSRF check of every send, with no second DNS lookup to race."""

    def __init__(
        self,
        backend: httpcore.NetworkBackend,
        timeout_seconds: float = 10.0,
        max_connections: int = 32,
    ) -> None:
        self.timeout_seconds = timeout_seconds
        # the transport alone: no cookies, auth, redirects or proxies from the environment,
        # just a keep-alive connection pool, which also keeps the CPU cost per send low
        self._transport = _Transport(backend, max_connections)
        self._timeout = httpx.Timeout(timeout_seconds).as_dict()

    def close(self) -> None:
        self._transport.close()

    def send(self, url: str, secret: str, message_id: str, body: str) -> SendResult:
        content = body.encode("utf-8")
        timestamp = int(time.time())
        headers = {
            "user-agent": USER_AGENT,
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, message_id, timestamp, content),
        }
        started = time.perf_counter()
        try:
            request = httpx.Request(
                "POST", url, content=content, headers=headers, extensions={"timeout": self._timeout}
            )
            response = self._transport.handle_request(request)
            try:  # read a bounded answer, so the connection can go back to the pool
                size = 0
                for chunk in response.iter_raw():
                    size += len(chunk)
                    if size > MAX_ANSWER_BYTES:
                        break
            finally:
                response.close()
        except httpx.TimeoutException:
            return SendResult(
                None,
                _ms(started),
                f"timeout: no response within {self.timeout_seconds:g} s",
                SendError.TIMEOUT,
            )
        except httpx.HTTPError as exc:
            refused = next((c for c in _causes(exc) if isinstance(c, AddressRefused)), None)
            if refused is not None:  # a non-public address: nothing was sent
                return SendResult(None, _ms(started), str(refused), SendError.REFUSED)
            return SendResult(None, _ms(started), describe_error(exc, url), SendError.CONNECTION)
        return SendResult(response.status_code, _ms(started))


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
