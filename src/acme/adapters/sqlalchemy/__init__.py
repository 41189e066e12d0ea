"""SQLAlchemy Core adapters for PostgreSQL (production) and SQLite (embedded default)."""
