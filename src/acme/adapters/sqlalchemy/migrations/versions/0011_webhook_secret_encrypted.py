"""webhooks: room for encrypted signing secrets (see docs/decisions/0008)

Revision ID: 0011
Revises: 0003

Secrets are stored encrypted from now on ("fernet:" and a Fernet token, 147 characters for a
``whsec_`` secret), which does not fit the 128 characters of ``webhooks.secret``; the column
becomes varchar(255). The secrets already stored are encrypted by ``acme db upgrade`` after
the migrations (it needs the application key, which migrations do not see).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhooks") as batch:
        batch.alter_column(
            "secret", existing_type=sa.String(128), type_=sa.String(255), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("webhooks") as batch:
        batch.alter_column(
            "secret", existing_type=sa.String(255), type_=sa.String(128), existing_nullable=False
        )
