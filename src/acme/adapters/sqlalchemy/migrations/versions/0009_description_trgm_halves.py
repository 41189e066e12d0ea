"""products: the description trigram index split in two halves (see docs/decisions/0004)

Revision ID: 0009
Revises: 0005

On PostgreSQL, ``products_description_trgm`` becomes two partial GIN indexes,
``products_description_trgm_0`` (``WHERE id % 2 = 0``) and ``products_description_trgm_1``
(``WHERE id % 2 <> 0``). PostgreSQL 15 builds one GIN index on one core only; two halves are
built side by side on two connections by an import's table swap, which halves the longest
step of a first import. The description filter asks for both halves (a BitmapOr), so it
still never scans the table. SQLite needs nothing.
"""

from alembic import op

revision = "0009"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX IF NOT EXISTS products_description_trgm_0 ON products"
            " USING gin (description gin_trgm_ops) WHERE id % 2 = 0"
        )
        op.execute(
            "CREATE INDEX IF NOT EXISTS products_description_trgm_1 ON products"
            " USING gin (description gin_trgm_ops) WHERE id % 2 <> 0"
        )
        op.execute("DROP INDEX IF EXISTS products_description_trgm")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX IF NOT EXISTS products_description_trgm ON products"
            " USING gin (description gin_trgm_ops)"
        )
        op.execute("DROP INDEX IF EXISTS products_description_trgm_0")
        op.execute("DROP INDEX IF EXISTS products_description_trgm_1")
