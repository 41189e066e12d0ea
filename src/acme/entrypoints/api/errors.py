"""One place that maps domain errors (and malformed requests) to HTTP responses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from acme.adapters.secret_box import SecretUnreadable
from acme.domain.errors import (
    ConfirmationRequiredError,
    ConflictError,
    DomainError,
    InvalidStateError,
    NotFoundError,
    TooLargeError,
    ValidationError,
)

log = logging.getLogger(__name__)

#: The body of every 500: no details of the error, which go to the server log.
INTERNAL_ERROR = {"detail": "internal error; see the server log"}


class TusError(ValidationError):
    """A request that breaks the tus protocol (missing or malformed header): HTTP 400."""


class UnsupportedVersionError(ValidationError):
    """A Tus-Resumable version this server does not speak: HTTP 412."""


class WrongContentTypeError(ValidationError):
    """A PATCH that is not application/offset+octet-stream: HTTP 415."""


STATUS_BY_ERROR: list[tuple[type[DomainError], int]] = [
    (UnsupportedVersionError, 412),
    (WrongContentTypeError, 415),
    (TusError, 400),
    (NotFoundError, 404),
    (ConflictError, 409),
    (InvalidStateError, 409),
    (ConfirmationRequiredError, 400),
    (ValidationError, 422),
    (TooLargeError, 413),
]


def status_for(exc: DomainError) -> int:
    for kind, status in STATUS_BY_ERROR:
        if isinstance(exc, kind):
            return status
    return 400


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        where = ".".join(loc)
        msg = err.get("msg", "invalid value")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=status_for(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _describe_validation(exc)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(SecretUnreadable)
    async def _misconfigured(_: Request, exc: SecretUnreadable) -> JSONResponse:
        # A deployment fault an operator fixes (the key differs from the one secrets were
        # stored under), named as such rather than hidden behind a bare 500.
        log.error("webhook secrets unreadable: %s", exc)
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(INTERNAL_ERROR, status_code=500)
