"""GET /webhooks: the webhooks management page (data comes from /api/webhooks)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from acme.domain.webhook import SUBSCRIBABLE_EVENTS
from acme.entrypoints.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/webhooks", response_class=HTMLResponse)
def webhooks_page(request: Request) -> HTMLResponse:
    return render(request, "webhooks.html", "webhooks", event_types=SUBSCRIBABLE_EVENTS)
