"""The ``acme`` command line."""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from acme.entrypoints.settings import Settings

if TYPE_CHECKING:
    from acme.domain.import_job import ImportJob
    from acme.entrypoints.container import Container

app = typer.Typer(
    help="Acme Importer: import product CSVs, manage products and webhooks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
products_app = typer.Typer(help="Product catalog commands.", no_args_is_help=True)
app.add_typer(products_app, name="products")


def fail(message: str, code: int) -> NoReturn:
    """One readable line on stderr and a non-zero exit (1: the operation failed, 2: usage)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


webhooks_app = typer.Typer(help="Manage webhooks and run their dispatcher.", no_args_is_help=True)
app.add_typer(webhooks_app, name="webhooks")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
) -> None:
    """Serve the web app and API (and, with no broker configured, the in-process worker)."""
    import uvicorn

    from acme.entrypoints.api.app import create_app

    uvicorn.run(create_app(), host=host, port=port, log_level="info")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (Alembic) up to the newest schema."""
    from acme.adapters.sqlalchemy.migrate import upgrade

    settings = Settings()
    upgrade(settings.database_url)
    typer.echo("database is up to date")
    from acme.adapters.secret_box import SecretBox, SecretUnreadable
    from acme.adapters.sqlalchemy.engine import build_engine
    from acme.adapters.sqlalchemy.webhooks import SqlWebhookRepository

    # Webhook secrets stored before encryption, or under an older key, are (re-)encrypted
    # under the current one (migrations do not see the key, so this runs after them).
    engine = build_engine(settings.database_url)
    try:
        box = SecretBox.from_settings(settings.secret_key, settings.secret_key_file)
        with engine.begin() as conn:
            resealed = SqlWebhookRepository(conn, box).reseal_secrets()
    except SecretUnreadable as exc:
        fail(str(exc), 1)
    finally:
        engine.dispose()
    if resealed:
        typer.echo(f"{resealed} webhook secret(s) encrypted under the current ACME_SECRET_KEY")


def _file_chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(size):
            yield chunk


def _summary(job: ImportJob) -> str:
    rows = job.rows_total if job.rows_total is not None else job.rows_done
    lines = [
        f"import {job.id} {job.status.value}: {job.filename}",
        f"  rows {rows:,}: created {job.created:,}, updated {job.updated:,}, "
        f"unchanged {job.unchanged:,}, invalid {job.invalid:,}, "
        f"duplicates in file {job.duplicates_in_file:,}",
    ]
    lines += [f"  warning: {w}" for w in job.warnings]
    if job.error:
        lines.append(f"  error: {job.error}")
    if job.invalid:
        lines.append(f"  rejected rows: GET /api/imports/{job.id}/errors.csv")
    return "\n".join(lines)


def _follow(container: Container, job_id: str) -> ImportJob:
    """Poll the job and draw a progress bar (phase, percent, rows) until it finishes."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from acme.application import import_jobs

    uow = container.uow
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description:<9}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TextColumn("{task.fields[rows]:>12} rows"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        bar = progress.add_task("queued", total=100.0, rows="0")
        while True:
            job = import_jobs.get_import(uow, job_id)
            progress.update(
                bar, completed=job.percent, description=job.phase.value, rows=f"{job.rows_done:,}"
            )
            if job.finished:
                return job
            time.sleep(0.25)


@app.command("import")
def import_csv(
    path: Path = typer.Argument(..., help="The CSV file to import.", show_default=False),
    wait: bool = typer.Option(
        True, "--wait/--no-wait", help="Follow the import with a progress bar until it ends."
    ),
) -> None:
    """Import a product CSV through the same use case as the UI and API.

    With a broker (ACME_BROKER_URL) a Celery worker runs it; without one it runs here, in this
    process. Exit code 0 on success, 1 on a failed or cancelled import, 2 on bad usage."""
    from acme.adapters.tasks.inprocess import DeferredTaskQueue, InProcessTaskQueue
    from acme.application import import_jobs
    from acme.domain.errors import DomainError
    from acme.entrypoints.container import Container

    if not path.exists():
        fail(f"file '{path}' not found", 2)
    if not path.is_file():
        fail(f"'{path}' is not a file", 2)
    container = Container()
    settings = container.settings()
    in_process = not settings.broker_url
    if in_process and not wait:
        container.task_queue.override(DeferredTaskQueue())
    try:
        job = import_jobs.submit_import(
            container.uow,
            container.storage(),
            container.task_queue(),
            container.clock(),
            filename=path.name,
            chunks=_file_chunks(path),
        )
        if not wait:
            where = (
                "a running `acme serve` (no broker configured) will run it"
                if in_process
                else "a worker will run it"
            )
            typer.echo(f"import {job.id} {job.status.value}: {job.filename}; {where}")
            raise typer.Exit(0 if job.status.value == "queued" else 1)
        try:
            job = _follow(container, job.id)
        except KeyboardInterrupt:
            import_jobs.cancel_import(container.uow, container.clock(), job.id)
            typer.echo(f"import {job.id} cancelled", err=True)
            raise typer.Exit(130) from None
        queue = container.task_queue()
        if isinstance(queue, InProcessTaskQueue):
            queue.wait_idle(timeout=5)
    except DomainError as exc:
        fail(exc.message, 2)
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as exc:  # no traceback for the user: one line, then exit 1
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        fail(f"{type(exc).__name__}: {first}", 1)
    typer.echo(_summary(job))
    raise typer.Exit(0 if job.status.value == "completed" else 1)


@app.command()
def worker(
    concurrency: int = typer.Option(2, help="Imports run at once by this worker (threads)."),
    loglevel: str = typer.Option("INFO", help="Log level."),
) -> None:
    """Run a Celery worker that executes imports (needs ACME_BROKER_URL)."""
    from acme.entrypoints.container import Container
    from acme.entrypoints.worker import run_worker

    container = Container()
    if not container.settings().broker_url:
        fail("ACME_BROKER_URL is empty; set it to a Redis URL to run a worker", 2)
    run_worker(container, concurrency=concurrency, loglevel=loglevel)


@products_app.command("export")
def products_export(
    path: Path = typer.Argument(
        ...,
        metavar="PATH",
        help="CSV file to write (replaced if it exists), or - for standard output.",
    ),
) -> None:
    """Stream every product to a CSV file: name,sku,description,active (UTF-8)."""
    from acme.application.export import export_products
    from acme.entrypoints.container import Container

    uow = Container().uow
    if str(path) == "-":
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        try:
            count = _export_or_fail(lambda: export_products(uow, out))
        finally:
            out.flush()
            out.detach()
        typer.echo(f"exported {count} products", err=True)
        return
    target = path.expanduser().absolute()
    if target.is_dir():
        fail(f"cannot write {path}: it is a directory", 2)
    if not target.parent.is_dir():
        fail(f"cannot write {path}: directory {target.parent} does not exist", 2)
    try:  # written beside the target and renamed at the end: never a half-written file
        fd, partial_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".partial"
        )
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}", 2)
    partial = Path(partial_name)
    try:
        with open(fd, "w", encoding="utf-8", newline="") as out:
            count = _export_or_fail(lambda: export_products(uow, out))
        umask = os.umask(0)
        os.umask(umask)
        partial.chmod(0o666 & ~umask)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    typer.echo(f"exported {count} products to {path}")


def _export_or_fail(run: Callable[[], int]) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return run()
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        if "no such table" in reason or "does not exist" in reason:
            reason += " (has `acme db upgrade` been run?)"
        fail(f"export failed: cannot read products from the database: {reason}", 1)
    except OSError as exc:
        fail(f"export failed: cannot write: {exc.strerror or exc}", 1)


@webhooks_app.command("list")
def webhooks_list() -> None:
    """List webhooks with their events, state and last delivery."""
    from acme.application import webhooks as uc
    from acme.entrypoints.container import Container

    c = Container()
    views = uc.list_webhooks(c.uow)
    if not views:
        typer.echo("no webhooks")
    for v in views:
        w, last = v.webhook, v.last_delivery
        state = "enabled" if w.enabled else "disabled"
        result = "never sent"
        if last is not None:
            result = f"last: {last.event_type} {last.status.value}" + (
                f" HTTP {last.last_status_code}" if last.last_status_code else ""
            )
        typer.echo(f"{w.id}\t{w.url}\t{','.join(w.events)}\t{state}\t{result}")


@webhooks_app.command("add")
def webhooks_add(
    url: str = typer.Argument(..., help="Where to POST events (http or https)."),
    event: list[str] = typer.Option(
        ..., "--event", "-e", help="An event type to subscribe to (repeatable)."
    ),
    disabled: bool = typer.Option(False, "--disabled", help="Create it disabled."),
) -> None:
    """Add a webhook; prints its id and signing secret (shown only this once)."""
    from acme.application import webhooks as uc
    from acme.domain.errors import DomainError
    from acme.entrypoints.container import Container

    c = Container()
    try:
        w = uc.create_webhook(
            c.uow, c.clock(), c.address_guard(), uc.NewWebhook(url, list(event), not disabled)
        )
    except DomainError as exc:
        fail(exc.message, 2)
    typer.echo(f"webhook {w.id} created for {w.url}")
    typer.echo(f"secret (shown only now): {w.secret}")


@webhooks_app.command("remove")
def webhooks_remove(webhook_id: int = typer.Argument(..., help="The webhook's id.")) -> None:
    """Delete a webhook and its delivery log."""
    from acme.application import webhooks as uc
    from acme.domain.errors import DomainError
    from acme.entrypoints.container import Container

    try:
        uc.delete_webhook(Container().uow, webhook_id)
    except DomainError as exc:
        fail(exc.message, 1)
    typer.echo(f"webhook {webhook_id} removed")


@webhooks_app.command("test")
def webhooks_test(webhook_id: int = typer.Argument(..., help="The webhook's id.")) -> None:
    """Send a webhook.test event now and print the receiver's answer; exit 1 if it failed."""
    from acme.application import webhooks as uc
    from acme.domain.errors import DomainError
    from acme.entrypoints.container import Container

    c = Container()
    try:
        out = uc.send_test_event(c.uow, c.clock(), c.webhook_sender(), webhook_id)
    except DomainError as exc:
        fail(exc.message, 1)
    if out.ok:
        typer.echo(f"ok: HTTP {out.status_code} in {out.duration_ms} ms")
        return
    fail(
        f"HTTP {out.status_code} in {out.duration_ms} ms"
        if out.status_code
        else f"{out.error} (after {out.duration_ms} ms)",
        1,
    )


@webhooks_app.command("dispatch")
def webhooks_dispatch(
    once: bool = typer.Option(False, "--once", help="Send what is due now, then exit."),
) -> None:
    """Run the webhook dispatcher (long-running; stop with Ctrl-C). Safe to run several."""
    import signal
    import threading

    from acme.entrypoints.container import Container

    c = Container()
    if once:
        typer.echo(f"{c.dispatcher().run_once()} delivery attempts made")
        return
    loop = c.dispatch_loop()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    loop.start()
    typer.echo("webhook dispatcher running; Ctrl-C to stop")
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        loop.stop()
        typer.echo("webhook dispatcher stopped")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
