"""Initial schema: tenants, their tokens, activity, sync runs, ledger, webhook inbox, leases,
and the embedded client directory.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# SQLite only auto-increments an INTEGER PRIMARY KEY (a rowid alias).
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _tenant_fk(table: str) -> sa.Column[object]:
    return sa.Column(
        "tenant_id",
        sa.String(),
        sa.ForeignKey("tenants.tenant_id", name=f"fk_{table}_tenant_id_tenants"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("timezone", sa.String(), nullable=False),
        sa.Column("list_name", sa.String(), nullable=False),
        sa.Column("double_opt_in", sa.Boolean(), nullable=False),
        sa.Column("archive_removed_clients", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=False),
        sa.Column("api_endpoint", sa.String(), nullable=False),
        sa.Column("account_name", sa.String(), nullable=False),
        sa.Column("audience_id", sa.String(), nullable=False),
        sa.Column("webhook_id", sa.String(), nullable=False),
        sa.Column("webhook_secret", sa.String(), nullable=False),
        _when("last_sync_at", nullable=True),
        sa.Column("last_sync_local_date", sa.Date(), nullable=True),
        _when("members_checked_at", nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_tenants"),
    )

    op.create_table(
        "tokens",
        _tenant_fk("tokens"),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_tokens"),
    )

    op.create_table(
        "activity",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        _tenant_fk("activity"),
        _when("at"),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_activity"),
    )
    # Newest first for one tenant (the activity view), and the tenant foreign key's index.
    op.create_index("ix_activity_tenant_id_id", "activity", ["tenant_id", sa.text("id DESC")])

    op.create_table(
        "sync_runs",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        _tenant_fk("sync_runs"),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        _when("started_at"),
        _when("finished_at", nullable=True),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "created",
                "updated",
                "unchanged",
                "skipped",
                "failed",
                "unsubscribed",
                "cleaned",
            )
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_runs"),
    )
    op.create_index("ix_sync_runs_tenant_id_id", "sync_runs", ["tenant_id", "id"])

    op.create_table(
        "ledger",
        _tenant_fk("ledger"),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("email_lower", sa.String(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("member_status", sa.String(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("tenant_id", "client_id", name="pk_ledger"),
    )
    op.create_index("ix_ledger_tenant_id_email_lower", "ledger", ["tenant_id", "email_lower"])

    op.create_table(
        "webhook_inbox",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        _tenant_fk("webhook_inbox"),
        sa.Column("idempotency_key", sa.String(), nullable=False),
        _when("received_at"),
        sa.Column("payload", sa.JSON(), nullable=False),
        _when("applied_at", nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_inbox"),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name="uq_webhook_inbox_tenant_id_idempotency_key"
        ),
    )
    op.create_index(
        "ix_webhook_inbox_tenant_id_applied_at", "webhook_inbox", ["tenant_id", "applied_at"]
    )

    op.create_table(
        "leases",
        _tenant_fk("leases"),
        sa.Column("holder", sa.String(), nullable=False),
        _when("until"),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_leases"),
    )

    # The embedded client directory: no foreign key, it stands in for the host's own database.
    op.create_table(
        "clients",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("email_lower", sa.String(), nullable=False),
        sa.Column("first_name", sa.String(), nullable=False),
        sa.Column("last_name", sa.String(), nullable=False),
        sa.Column("birth_month", sa.Integer(), nullable=True),
        sa.Column("birth_day", sa.Integer(), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("newsletter", sa.String(), nullable=False),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("tenant_id", "client_id", name="pk_clients"),
        sa.UniqueConstraint("tenant_id", "email_lower", name="uq_clients_tenant_id_email_lower"),
    )
    op.create_index("ix_clients_tenant_id_updated_at", "clients", ["tenant_id", "updated_at"])


def downgrade() -> None:
    for table in (
        "clients",
        "leases",
        "webhook_inbox",
        "ledger",
        "sync_runs",
        "activity",
        "tokens",
        "tenants",
    ):
        op.drop_table(table)
