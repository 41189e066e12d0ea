"""products: a covering index for listing (see docs/decisions/0002)

Revision ID: 0005
Revises: 0001

On PostgreSQL, ``products_listing`` holds (id) and carries sku_key, name and active, so the
listing's id-ordered walks (the page window and the capped count after it) filter on those
columns with an index-only scan instead of reading heap rows. SQLite needs nothing new.
"""

from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX IF NOT EXISTS products_listing ON products (id) "
            "INCLUDE (sku_key, name, active)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS products_listing")
