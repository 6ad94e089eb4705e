"""The embedded client directory keeps a change counter, so a night reads only what changed.

- clients.change_seq: the tenant's change number when the row was last written (existing rows
  get 0: a tenant's first sync after this migration reads every client, as before);
- client_counters: each tenant's last change number;
- client_tombstones: clients removed from the directory, with the number of their removal
  (a sync archives their members when the tenant asked for it);
- tenants.clients_marker: the directory's marker after the tenant's last successful sync;
- ix_ledger_tenant_id_refused: a partial index of the ledger's refused entries (a night reads
  them without scanning the ledger).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(
            sa.Column("change_seq", sa.BigInteger(), server_default="0", nullable=False)
        )
    op.create_index("ix_clients_tenant_id_change_seq", "clients", ["tenant_id", "change_seq"])
    op.create_table(
        "client_counters",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_client_counters"),
    )
    op.create_table(
        "client_tombstones",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "client_id", name="pk_client_tombstones"),
    )
    op.create_index(
        "ix_client_tombstones_tenant_id_change_seq",
        "client_tombstones",
        ["tenant_id", "change_seq"],
    )
    op.create_index(
        "ix_ledger_tenant_id_refused",
        "ledger",
        ["tenant_id", "client_id"],
        sqlite_where=sa.text("last_error <> ''"),
        postgresql_where=sa.text("last_error <> ''"),
    )
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(
            sa.Column("clients_marker", sa.String(), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("clients_marker")
    op.drop_index("ix_ledger_tenant_id_refused", table_name="ledger")
    op.drop_index("ix_client_tombstones_tenant_id_change_seq", table_name="client_tombstones")
    op.drop_table("client_tombstones")
    op.drop_table("client_counters")
    op.drop_index("ix_clients_tenant_id_change_seq", table_name="clients")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("change_seq")
