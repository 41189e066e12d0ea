"""The HTTP entrypoint: JSON API under /api, health checks, pages."""
