"""Ways in: the FastAPI app and pages, the Typer CLI, the Celery worker."""
