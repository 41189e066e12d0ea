"""products: ``sku_key`` compares bytewise (COLLATE "C") on PostgreSQL (see docs/decisions/0004)

Revision ID: 0010
Revises: 0009

``sku_key`` is a machine key (the SKU trimmed, NFKC-normalised and case-folded by the
domain): it is only ever compared for equality, matched with LIKE, and sorted by the btree
that keeps it unique. Under the database's default collation every comparison of that sort
goes through the C library's locale-aware strcoll; under "C" it is a memcmp with
abbreviated keys, and building ``products_sku_key_uq`` for 467,642 keys takes 0.36 s instead
of 0.83 s. Equality, LIKE and the trigram index do not depend on the collation, so no
query's answer changes. PostgreSQL rebuilds the three indexes on the column; SQLite (which
compares bytewise already) needs nothing.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute('ALTER TABLE products ALTER COLUMN sku_key TYPE varchar(255) COLLATE "C"')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute('ALTER TABLE products ALTER COLUMN sku_key TYPE varchar(255) COLLATE "default"')
