"""Per-tenant thresholds for the mass-change guard (NULL: the settings'), and the attention
state the host was last told of through csmc_attention_needed ('' for none).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("guard_update_percent", sa.Float(), nullable=True))
        batch.add_column(sa.Column("guard_archive_percent", sa.Float(), nullable=True))
        batch.add_column(
            sa.Column("attention_notified", sa.String(), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("attention_notified")
        batch.drop_column("guard_archive_percent")
        batch.drop_column("guard_update_percent")
