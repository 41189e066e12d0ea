"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from acme.entrypoints.api import docs, health, imports, products, uploads, webhooks
from acme.entrypoints.api.errors import install_error_handlers
from acme.entrypoints.api.timing import ServerTimingMiddleware
from acme.entrypoints.container import Container
from acme.entrypoints.security import SecurityMiddleware, document_bearer_auth
from acme.entrypoints.web import login, pages_products, pages_upload, pages_webhooks
from acme.entrypoints.web.rendering import STATIC_DIR


def create_app(container: Container | None = None) -> FastAPI:
    container = container or Container()
    the_container = container

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # With no broker, this process runs imports: pick up jobs a previous process left.
        from acme.adapters.tasks.inprocess import InProcessTaskQueue

        queue = the_container.task_queue()
        if isinstance(queue, InProcessTaskQueue):
            queue.start_recovery()
        # embedded default (no broker): this process also sends webhooks, on a background
        # thread that never blocks a request; with a broker, `acme worker` does it
        loop = the_container.dispatch_loop() if not the_container.settings().broker_url else None
        if loop is not None:
            loop.start()
        try:
            yield
        finally:
            if loop is not None:
                loop.stop()
            if isinstance(queue, InProcessTaskQueue):
                queue.stop_recovery()

    app = FastAPI(
        lifespan=lifespan,
        title="Acme Importer",
        version="0.1.0",
        description="Import product catalogs from CSV, manage products, notify via webhooks.",
        docs_url=None,  # served by api/docs.py from vendored assets, not a CDN
        redoc_url=None,
    )
    app.state.container = container
    app.add_middleware(ServerTimingMiddleware)
    install_error_handlers(app)
    app.include_router(docs.router)
    app.include_router(health.router)
    app.include_router(products.router)
    app.include_router(uploads.router)
    app.include_router(pages_upload.router)
    app.include_router(imports.router)
    app.include_router(pages_products.router)
    app.include_router(webhooks.router)
    app.include_router(pages_webhooks.router)
    app.include_router(login.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # outermost: auth (when ACME_API_TOKEN is set), CSRF and security headers on every response
    app.add_middleware(SecurityMiddleware, token=lambda: container.settings().api_token)
    document_bearer_auth(app)
    return app
