"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from acme.entrypoints.api import health, products, uploads
from acme.entrypoints.api.errors import install_error_handlers
from acme.entrypoints.container import Container
from acme.entrypoints.web import pages_upload
from acme.entrypoints.web.rendering import STATIC_DIR


def create_app(container: Container | None = None) -> FastAPI:
    container = container or Container()
    app = FastAPI(
        title="Acme Importer",
        version="0.1.0",
        description="Import product catalogs from CSV, manage products, notify via webhooks.",
    )
    app.state.container = container
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(products.router)
    app.include_router(uploads.router)
    app.include_router(pages_upload.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
