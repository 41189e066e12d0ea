"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from acme.application.health import check_readiness
from acme.entrypoints.api.deps import DependencyChecks

router = APIRouter(tags=["health"])


class ReadinessOut(BaseModel):
    status: str = Field(description='"ok", or "unavailable" (then the status code is 503)')
    checks: dict[str, str] = Field(
        description='Per dependency ("database", and "broker" when ACME_BROKER_URL is set): '
        '"ok" or "unreachable (<error type>)"'
    )
    detail: str | None = Field(default=None, description="Which checks failed, in a sentence")


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process is up (no dependency is checked)."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=ReadinessOut,
    responses={503: {"model": ReadinessOut, "description": "a dependency is unreachable"}},
)
def readyz(checks: DependencyChecks) -> JSONResponse:
    """Readiness: the database, and the broker when one is configured, answer."""
    readiness = check_readiness(checks)
    body = ReadinessOut(status="ok" if readiness.ready else "unavailable", checks=readiness.checks)
    if not readiness.ready:
        body.detail = f"not ready: {', '.join(readiness.failed)} unreachable"
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=200 if readiness.ready else 503
    )
