"""The upload page at ``/``: choose or drop a CSV, watch it upload and import, see history."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from acme.entrypoints.api.deps import TheContainer
from acme.entrypoints.web.rendering import render

router = APIRouter(include_in_schema=False)

TUS_CLIENT = "vendor/tus-4.3.1.min.js"


@router.get("/", response_class=HTMLResponse)
def upload_page(request: Request, c: TheContainer) -> HTMLResponse:
    settings = c.settings()
    return render(
        request,
        "upload.html",
        "upload",
        chunk_size=settings.upload_chunk_bytes,
        max_size=settings.upload_max_bytes,
        tus_client=TUS_CLIENT,
    )
