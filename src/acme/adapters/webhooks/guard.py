"""The SSRF guard: refuse webhook URLs whose host resolves to a non-public address."""

from __future__ import annotations

import socket
from collections.abc import Callable
from urllib.parse import urlsplit

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
        for address in addresses:
            why = address_refusal(address)
            if why is not None:
                return (
                    f"webhook URL host '{host}' resolves to {why}; webhooks to loopback, "
                    "private, link-local and other non-public addresses are refused "
                    "(set ACME_WEBHOOK_ALLOW_PRIVATE=true to allow them)"
                )
        return None
