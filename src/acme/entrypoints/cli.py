"""The ``acme`` command line."""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import typer

from acme.entrypoints.settings import Settings

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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
