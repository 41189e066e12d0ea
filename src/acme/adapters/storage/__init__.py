"""FileStorage adapters: a local folder (embedded default) and S3 (production)."""
