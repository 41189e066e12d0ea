"""uploads: when bytes last arrived, so that expiry counts idle time (see docs/decisions/0006)

Revision ID: 0012
Revises: 0004

``ACME_UPLOAD_EXPIRE_AFTER`` deleted an unclaimed upload that long after it was *created*,
which would delete a slow upload still receiving parts. ``active_at`` records when the last
part arrived (the creation until then); expiry now counts from it. Existing uploads start
from their creation time.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("uploads", sa.Column("active_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE uploads SET active_at = created_at")
    with op.batch_alter_table("uploads") as batch:
        batch.alter_column("active_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.drop_column("active_at")
