"""The ``acme`` command line."""

from __future__ import annotations

import typer

from acme.entrypoints.settings import Settings

app = typer.Typer(
    help="Acme Importer: import product CSVs, manage products and webhooks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")


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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
