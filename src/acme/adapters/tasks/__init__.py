"""TaskQueue adapters: Celery on Redis (production) and an in-process worker (embedded)."""
