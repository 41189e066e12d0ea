"""The SSRF guard: refuse webhook URLs whose host resolves to a non-public address, both
when a URL is checked and when a connection is made."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import httpcore

from acme.application.ports import AddressGuard
from acme.domain.webhook import address_refusal

Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


class DnsAddressGuard(AddressGuard):
    """Resolves the URL's host and refuses loopback, private, link-local, multicast, reserved
    and unspecified addresses (any of them, if the name has several), unless
    ``allow_private``. A name that does not resolve is not refused here: sending will fail
    with a DNS error and be retried."""

    def __init__(self, allow_private: bool, resolver: Resolver = system_resolver) -> None:
        self.allow_private = allow_private
        self._resolve = resolver

    def refusal(self, url: str) -> str | None:
        if self.allow_private:
            return None
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            addresses = self._resolve(host, port)
        except (OSError, UnicodeError, ValueError):
            return None
        return refusal_of(host, addresses)


def refusal_of(host: str, addresses: Iterable[str]) -> str | None:
    """Why ``host``, resolved to ``addresses``, is refused; None when all are public."""
    for address in addresses:
        why = address_refusal(address)
        if why is not None:
            return (
                f"webhook URL host '{host}' resolves to {why}; webhooks to loopback, "
                "private, link-local and other non-public addresses are refused "
                "(set ACME_WEBHOOK_ALLOW_PRIVATE=true to allow them)"
            )
    return None


class AddressRefused(httpcore.ConnectError):
    """A connection the guard refused at connect time."""


class GuardedNetworkBackend(httpcore.NetworkBackend):
    """httpcore's network backend, resolving each host itself and connecting only to the
    addresses it has just checked (unless ``allow_private``).

    Checking a URL and then letting the HTTP client resolve the name again leaves a window
    in which a DNS answer can change (DNS rebinding: public at the check, 169.254.169.254 at
    the connection). Here the check and the connection use one resolution, so there is no
    such window. Connection pooling is unchanged: the pool still keys connections by host
    name, and TLS still verifies the certificate against it."""

    def __init__(self, allow_private: bool, resolver: Resolver = system_resolver) -> None:
        self.allow_private = allow_private
        self._resolve = resolver
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self._resolve(host, port)
        except OSError as exc:  # socket.gaierror: described as a DNS failure by the sender
            raise httpcore.ConnectError(str(exc)) from exc
        if not self.allow_private:
            why = refusal_of(host, addresses)
            if why is not None:
                raise AddressRefused(why)
        failure: httpcore.ConnectError | None = None
        for address in addresses:  # each in turn, as socket.create_connection would
            try:
                return self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"no address for '{host}'")

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("webhooks are sent over TCP only")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
