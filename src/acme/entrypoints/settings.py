"""Settings from the environment (prefix ``ACME_``) or a ``.env`` file."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACME_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./var/acme.db"
    broker_url: str = ""
    storage_url: str = "file://./var/uploads"
    api_token: str = ""
    webhook_allow_private: bool = False
    secret_key: str = ""
    """Keys (comma-separated; the first encrypts, all decrypt) that encrypt webhook signing
    secrets at rest. Empty: the key in ``secret_key_file``, created on first use. Every
    process of a deployment must use the same key."""
    secret_key_file: str = "./var/secret.key"  # noqa: S105 (a path, not a secret)
    upload_max_bytes: int = 5 * 1024**3
    """Largest file a resumable upload accepts (tus ``Tus-Max-Size``)."""
    upload_chunk_bytes: int = 5 * 1024**2
    """Part size the upload page sends per request."""
    upload_expire_after: float = 24 * 3600.0
    """Seconds an upload no import has claimed may receive no part before it is deleted
    (0: never)."""
    webhook_timeout_seconds: float = 10.0
    webhook_concurrency: int = 16
    webhook_retry_base_seconds: float = 5.0
    webhook_poll_seconds: float = 0.5
    webhook_lease_seconds: float = 120.0
    webhook_retention_days: float = 30.0
    """Days fanned-out events and finished deliveries are kept (0: forever)."""
    # Imports (task queue name, recovery of jobs whose worker died, in-process threads)
    task_queue: str = "acme-imports"
    import_stale_after: float = 120.0
    import_max_attempts: int = 3
    import_workers: int = 1
    # endpoint of an S3-compatible server (MinIO, moto, ...) when ACME_STORAGE_URL is s3://;
    # empty means AWS itself (region and credentials from the usual AWS_* variables / role)
    s3_endpoint_url: str = ""
