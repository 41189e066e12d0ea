"""Authentication, CSRF protection and security headers, as one pure ASGI middleware.

When ``ACME_API_TOKEN`` is empty everything is open (the embedded default) and only the
security headers are added. When it is set:

- every ``/api`` request needs ``Authorization: Bearer <token>`` or a valid session cookie,
  else 401 ``{"detail": ...}``; pages without a session redirect to ``/login``;
- the session cookie (``acme_session``: HttpOnly, SameSite=Strict, Secure behind TLS) is an
  HMAC-signed, expiring value; the signing key is derived from the token, so changing the
  token ends every session;
- a state-changing request authenticated by the cookie must carry ``X-CSRF-Token`` equal to
  the ``acme_csrf`` cookie (readable by the page's JS, signed and bound to the session);
  bearer-authenticated requests need no CSRF token (browsers never add that header by
  themselves);
- ``/healthz``, ``/readyz``, ``/login``, ``/static/`` and the API docs stay open.

All comparisons of secrets are constant-time (``hmac.compare_digest``). Routes hold no auth
logic: they are reached only once this middleware let the request through.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from base64 import b64encode
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from acme.entrypoints.api.errors import INTERNAL_ERROR

log = logging.getLogger(__name__)

SESSION_COOKIE = "acme_session"
CSRF_COOKIE = "acme_csrf"
CSRF_HEADER = "x-csrf-token"
SESSION_MAX_AGE = 12 * 3600  # seconds; the user types the token again after this
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_PATHS = frozenset(
    {"/healthz", "/readyz", "/login", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
)
OPEN_PREFIXES = ("/static/",)
DOCS_PATHS = frozenset({"/docs", "/redoc"})

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def docs_csp(body: bytes) -> str:
    """The CSP for the Swagger UI page (vendored assets): its one inline bootstrap script is
    allowed by its hash, never by ``'unsafe-inline'``; Swagger UI styles elements inline."""
    hashes = " ".join(
        f"'sha256-{b64encode(hashlib.sha256(m).digest()).decode()}'"
        for m in _INLINE_SCRIPT.findall(body)
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


class SessionSigner:
    """Issues and checks session and CSRF values, signed with a key derived from the token."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()
        self._key = hmac.new(self._token, b"acme-session-key-v1", hashlib.sha256).digest()

    def _sign(self, message: str) -> str:
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()

    def check_token(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self._token)

    def new_session(self, now: float | None = None) -> str:
        payload = f"{int(now if now is not None else time.time())}.{secrets.token_hex(16)}"
        return f"{payload}.{self._sign(payload)}"

    def session_id(self, cookie: str, now: float | None = None) -> str | None:
        """The session's random id if the cookie is genuine and unexpired, else None."""
        issued, _, rest = cookie.partition(".")
        sid, _, signature = rest.partition(".")
        if not (issued.isdigit() and sid and signature):
            return None
        if not hmac.compare_digest(signature, self._sign(f"{issued}.{sid}")):
            return None
        age = (now if now is not None else time.time()) - int(issued)
        return sid if 0 <= age <= SESSION_MAX_AGE else None

    def csrf_token(self, session_cookie: str) -> str:
        sid = self.session_id(session_cookie) or ""
        return self._sign(f"csrf:{sid}")

    def check_csrf(self, session_cookie: str, candidate: str) -> bool:
        return bool(candidate) and hmac.compare_digest(candidate, self.csrf_token(session_cookie))


def session_cookies(signer: SessionSigner, secure: bool) -> list[str]:
    """``Set-Cookie`` values that start a session."""
    session = signer.new_session()
    flags = f"Path=/; Max-Age={SESSION_MAX_AGE}; SameSite=Strict" + ("; Secure" if secure else "")
    return [
        f"{SESSION_COOKIE}={session}; {flags}; HttpOnly",
        f"{CSRF_COOKIE}={signer.csrf_token(session)}; {flags}",
    ]


def clear_cookies(secure: bool) -> list[str]:
    flags = "Path=/; Max-Age=0; SameSite=Strict" + ("; Secure" if secure else "")
    return [f"{SESSION_COOKIE}=; {flags}; HttpOnly", f"{CSRF_COOKIE}=; {flags}"]


def safe_next(target: str | None) -> str:
    """Only a local path may follow the login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    cookies: dict[str, str]
    tls: bool
    query: str


def _parse(scope: Scope) -> _Request:
    headers: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}; {text}" if key == "cookie" and key in headers else text
    cookies: dict[str, str] = {}
    if "cookie" in headers:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(headers["cookie"])
        except Exception:  # a malformed cookie header is just no cookie
            jar = SimpleCookie()
        cookies = {k: m.value for k, m in jar.items()}
    tls = scope.get("scheme") in ("https", "wss") or (
        headers.get("x-forwarded-proto", "").split(",")[0].strip().lower() == "https"
    )
    return _Request(
        method=scope.get("method", "GET").upper(),
        path=scope.get("path", "/"),
        headers=headers,
        cookies=cookies,
        tls=tls,
        query=scope.get("query_string", b"").decode("latin-1"),
    )


def is_open_path(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


class SecurityMiddleware:
    """Adds the security headers to every response and enforces the token when one is set.

    ``token`` is a callable so the container's settings are read on first request, not when
    the app is built.
    """

    def __init__(self, app: ASGIApp, token: Callable[[], str]) -> None:
        self.app = app
        self._token = token
        self._signer: SessionSigner | None = None
        self._resolved = False

    def signer(self) -> SessionSigner | None:
        if not self._resolved:
            token = self._token()
            self._signer = SessionSigner(token) if token else None
            self._resolved = True
        return self._signer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = _parse(scope)
        scope.setdefault("state", {})["tls"] = request.tls
        signer = self.signer()
        if signer is not None and not is_open_path(request.path):
            refusal = self._refusal(signer, request)
            if refusal is not None:
                await self._respond(send, request, *refusal)
                return
        if request.path in DOCS_PATHS:
            await self._docs(scope, receive, send, request)
            return
        started = False
        with_headers = self._with_headers(send, request)

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await with_headers(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception:
            # An unexpected error would otherwise reach Starlette's outermost handler, whose
            # 500 carries none of the headers above; answered here, it has them all.
            if started:
                raise
            log.exception("unexpected error in %s %s", request.method, request.path)
            await self._respond(send, request, 500, INTERNAL_ERROR, [])

    def _refusal(
        self, signer: SessionSigner, request: _Request
    ) -> tuple[int, dict[str, Any] | None, list[tuple[bytes, bytes]]] | None:
        """None if the request may pass, else (status, JSON body or None, extra headers)."""
        authorization = request.headers.get("authorization", "")
        scheme, _, credentials = authorization.partition(" ")
        if authorization:
            if scheme.lower() == "bearer" and signer.check_token(credentials.strip()):
                return None
            return 401, {"detail": "The API token is wrong."}, _challenge()
        session = request.cookies.get(SESSION_COOKIE, "")
        if session and signer.session_id(session) is not None:
            if request.method in SAFE_METHODS:
                return None
            if signer.check_csrf(session, request.headers.get(CSRF_HEADER, "")):
                return None
            return 403, {"detail": "Missing or invalid CSRF token; reload the page."}, []
        is_page = (
            not request.path.startswith("/api")
            and request.method in SAFE_METHODS
            and "text/html" in request.headers.get("accept", "")
        )
        if is_page:
            target = request.path + (f"?{request.query}" if request.query else "")
            location = f"/login?next={quote(target, safe='')}"
            return 303, None, [(b"location", location.encode())]
        return (
            401,
            {"detail": "Authentication required: send Authorization: Bearer <token>."},
            (_challenge()),
        )

    def _with_headers(self, send: Send, request: _Request, csp: str | None = None) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in _OWNED_HEADER_NAMES
                ]
                headers.extend(security_headers(request.tls, csp))
                message = {**message, "headers": headers}
            await send(message)

        return wrapped

    async def _respond(
        self,
        send: Send,
        request: _Request,
        status: int,
        body: dict[str, Any] | None,
        extra: Iterable[tuple[bytes, bytes]],
    ) -> None:
        payload = json.dumps(body).encode() if body is not None else b""
        headers = [*extra, (b"content-length", str(len(payload)).encode())]
        if body is not None:
            headers.append((b"content-type", b"application/json"))
        send = self._with_headers(send, request)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def _docs(self, scope: Scope, receive: Receive, send: Send, request: _Request) -> None:
        """Buffer the (small) docs page to allow exactly its inline script by hash."""
        start: Message = {}
        body = b""

        async def capture(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                body += message.get("body", b"")

        await self.app(scope, receive, capture)
        send = self._with_headers(send, request, csp=docs_csp(body))
        await send(start)
        await send({"type": "http.response.body", "body": body})


_OWNED_HEADER_NAMES = frozenset(
    {b"content-security-policy", b"strict-transport-security"} | {k for k, _ in SECURITY_HEADERS}
)


def _challenge() -> list[tuple[bytes, bytes]]:
    return [(b"www-authenticate", b'Bearer realm="acme"')]


def security_headers(tls: bool, csp: str | None = None) -> list[tuple[bytes, bytes]]:
    headers = [
        *SECURITY_HEADERS,
        (b"content-security-policy", (csp or CONTENT_SECURITY_POLICY).encode()),
    ]
    if tls:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


def document_bearer_auth(app: FastAPI) -> None:
    """Declare the bearer token in the OpenAPI schema, so /docs offers "Authorize" and clients
    see it; it is optional in the schema because it is required only when the server sets it."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearerAuth"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "ACME_API_TOKEN; required when the server sets one.",
        }
        for path, operations in schema.get("paths", {}).items():
            if path.startswith("/api"):
                for operation in operations.values():
                    operation.setdefault("security", [{"bearerAuth": []}, {}])
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
