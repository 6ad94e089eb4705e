"""The webhook secret leaves the database, each OAuth state is usable once, and a tenant
remembers its MailChimp account's id.

- tenants.webhook_secret becomes tenants.webhook_salt: the URL's secret is now derived from the
  salt and CS_MAILCHIMP_SECRET_KEY (core/services/audience.py). A migration cannot derive
  anything (it has no key), so a stored secret is kept as a legacy salt `plain:<secret>`,
  still accepted, and the tenant's next sync gives the webhook a derived secret;
  tenants.webhook_salt_previous keeps the old salt accepted until MailChimp has the new URL.
- oauth_states_used: the nonce of every OAuth state a callback consumed, until it expires.
- tenants.account_id: MailChimp's account id (API root), filled at the next authorization;
  until then an account switch is still told by data center and account name.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.alter_column("webhook_secret", new_column_name="webhook_salt")
        batch.add_column(sa.Column("account_id", sa.String(), server_default="", nullable=False))
        batch.add_column(
            sa.Column("webhook_salt_previous", sa.String(), server_default="", nullable=False)
        )
    tenants = sa.table("tenants", sa.column("webhook_salt", sa.String()))
    op.execute(
        tenants.update()
        .where(tenants.c.webhook_salt != "")
        .values(webhook_salt=sa.literal("plain:") + tenants.c.webhook_salt)
    )
    op.create_table(
        "oauth_states_used",
        sa.Column("nonce", sa.String(), nullable=False),
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name="pk_oauth_states_used"),
    )
    op.create_index("ix_oauth_states_used_expires_at", "oauth_states_used", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_oauth_states_used_expires_at", table_name="oauth_states_used")
    op.drop_table("oauth_states_used")
    tenants = sa.table("tenants", sa.column("webhook_salt", sa.String()))
    # A derived secret cannot be turned back into a stored one: those tenants get a new
    # webhook at their next sync under 0001.
    op.execute(
        tenants.update().where(~tenants.c.webhook_salt.startswith("plain:")).values(webhook_salt="")
    )
    op.execute(
        tenants.update()
        .where(tenants.c.webhook_salt.startswith("plain:"))
        .values(webhook_salt=sa.func.substr(tenants.c.webhook_salt, 7))
    )
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("webhook_salt_previous")
        batch.drop_column("account_id")
        batch.alter_column("webhook_salt", new_column_name="webhook_secret")
