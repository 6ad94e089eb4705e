"""Each tenant has a locale: the language of its owner's pages and activity (`fr` or `en`).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("locale", sa.String(), server_default="fr", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("locale")
