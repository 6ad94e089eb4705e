"""A partial index on the webhook inbox's pending events: the applier finds the tenants with
events to apply, and each tenant's oldest ones, without reading the applied history.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PENDING = sa.text("applied_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_webhook_inbox_pending",
        "webhook_inbox",
        ["tenant_id", "id"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_inbox_pending", table_name="webhook_inbox")
