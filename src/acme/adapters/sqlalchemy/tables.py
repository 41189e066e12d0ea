"""Table definitions for queries. The schema itself is owned by the Alembic migrations in
``migrations/``; these objects describe it and must agree with them."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


metadata = MetaData()

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")

products = Table(
    "products",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("sku", String(255), nullable=False),
    # Compared bytewise on PostgreSQL (migration 0010): a machine key, sorted faster so.
    Column(
        "sku_key",
        String(255).with_variant(String(255, collation="C"), "postgresql"),
        nullable=False,
    ),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)
# SKU identity: the key computed by acme.domain.sku.sku_key, unique on every backend.
Index("products_sku_key_uq", products.c.sku_key, unique=True)
# PostgreSQL only (info["dialects"]; migrations create them there): trigram indexes for the
# "contains" filters, the inactive products, and the covering index for listing (0005).
for _column in ("sku_key", "name"):
    Index(
        f"products_{_column}_trgm",
        products.c[_column],
        postgresql_using="gin",
        postgresql_ops={_column: "gin_trgm_ops"},
        info={"dialects": ("postgresql",)},
    )
# The description trigram index in two halves (0009), so an import's swap builds them on two
# cores at once; SqlProductRepository's description filter asks for both (DESCRIPTION_HALVES).
for _half, _predicate in enumerate(("id % 2 = 0", "id % 2 <> 0")):
    Index(
        f"products_description_trgm_{_half}",
        products.c.description,
        postgresql_using="gin",
        postgresql_ops={"description": "gin_trgm_ops"},
        postgresql_where=text(_predicate),
        info={"dialects": ("postgresql",)},
    )
#: The predicates of the description index halves; together they cover every id.
DESCRIPTION_HALVES = ("products.id % 2 = 0", "products.id % 2 <> 0")
Index(
    "products_inactive",
    products.c.id,
    postgresql_where=text("NOT active"),
    info={"dialects": ("postgresql",)},
)
Index(
    "products_listing",
    products.c.id,
    postgresql_include=["sku_key", "name", "active"],
    info={"dialects": ("postgresql",)},
)

outbox_events = Table(
    "outbox_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("type", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("dispatched_at", UtcDateTime(), nullable=True),
)

uploads = Table(
    "uploads",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("filename", String(255), nullable=False),
    Column("length", BigInteger, nullable=False),
    Column("offset", BigInteger, nullable=False, default=0),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("import_job_id", String(64), nullable=True),
    # when bytes last arrived: expiry counts idle time (migration 0012)
    Column("active_at", UtcDateTime(), nullable=False),
)

import_jobs = Table(
    "import_jobs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("filename", String(512), nullable=False),
    Column("storage_key", String(512), nullable=False),
    Column("status", String(16), nullable=False),
    Column("phase", String(16), nullable=False),
    Column("percent", Float, nullable=False, default=0.0),
    Column("bytes_total", BigInteger, nullable=False, default=0),
    Column("bytes_done", BigInteger, nullable=False, default=0),
    Column("rows_total", BigInteger, nullable=True),
    Column("rows_done", BigInteger, nullable=False, default=0),
    Column("created", BigInteger, nullable=False, default=0),
    Column("updated", BigInteger, nullable=False, default=0),
    Column("unchanged", BigInteger, nullable=False, default=0),
    Column("invalid", BigInteger, nullable=False, default=0),
    Column("duplicates_in_file", BigInteger, nullable=False, default=0),
    Column("error", Text, nullable=True),
    Column("warnings", JSON, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("started_at", UtcDateTime(), nullable=True),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("heartbeat_at", UtcDateTime(), nullable=True),
)

import_errors = Table(
    "import_errors",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("job_id", String(64), ForeignKey("import_jobs.id", ondelete="CASCADE"), nullable=False),
    Column("line", BigInteger, nullable=False),
    Column("sku", Text, nullable=False),
    Column("column", String(255), nullable=False),
    Column("reason", Text, nullable=False),
)
Index(
    "outbox_events_pending",
    outbox_events.c.id,
    postgresql_where=text("dispatched_at IS NULL"),
    sqlite_where=text("dispatched_at IS NULL"),
)


webhooks = Table(
    "webhooks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False),
    Column("events", JSON, nullable=False),
    # Encrypted (adapters/secret_box.py): "fernet:" and a token of ~140 characters.
    Column("secret", String(255), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("lease_until", UtcDateTime(), nullable=True),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column(
        "webhook_id",
        BigId,
        ForeignKey("webhooks.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event_id", String(64), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_status_code", Integer, nullable=True),
    Column("duration_ms", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("last_attempt_at", UtcDateTime(), nullable=True),
)

Index(
    "webhook_deliveries_event_uq",
    webhook_deliveries.c.webhook_id,
    webhook_deliveries.c.event_id,
    unique=True,
)
Index("webhook_deliveries_log", webhook_deliveries.c.webhook_id, webhook_deliveries.c.id)
Index(
    "webhook_deliveries_due",
    webhook_deliveries.c.next_attempt_at,
    webhook_deliveries.c.webhook_id,
    postgresql_where=text("status = 'pending'"),
    sqlite_where=text("status = 'pending'"),
)
Index(
    "webhook_deliveries_pending_queue",
    webhook_deliveries.c.webhook_id,
    webhook_deliveries.c.id,
    postgresql_where=text("status = 'pending'"),
    sqlite_where=text("status = 'pending'"),
)


def on_dialect(obj: Any, dialect: str) -> bool:
    """Whether a schema object described here exists on ``dialect`` (see info["dialects"])."""
    dialects = getattr(obj, "info", {}).get("dialects")
    return dialects is None or dialect in dialects


Index("import_jobs_created_at", import_jobs.c.created_at)
Index("import_errors_job_line", import_errors.c.job_id, import_errors.c.line)
