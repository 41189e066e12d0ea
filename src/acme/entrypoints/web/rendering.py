"""Template rendering shared by every page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

WEB_ROOT = Path(__file__).resolve().parent
STATIC_DIR = WEB_ROOT / "static"
templates = Jinja2Templates(directory=str(WEB_ROOT / "templates"))

NAV = [
    ("upload", "/", "Import"),
    ("products", "/products", "Products"),
    ("webhooks", "/webhooks", "Webhooks"),
]


def render(request: Request, template: str, page: str, **context: Any) -> HTMLResponse:
    """Render ``template`` with the navigation marking ``page`` as current."""
    return templates.TemplateResponse(request, template, {"page": page, "nav": NAV, **context})
