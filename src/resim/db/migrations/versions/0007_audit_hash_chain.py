"""audit events chained by hash per tenant

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Any

import sqlalchemy as sa
from alembic import op

import resim.db.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def _hash(prev: str, row: Any, seq: int) -> str:
    """The same canonical form as resim.audit.service.event_hash, frozen here."""
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=dt.UTC)
    details = row.details if isinstance(row.details, dict) else json.loads(row.details or "{}")
    fields = [
        str(uuid.UUID(str(row.tenant_id))),
        seq,
        at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        row.actor_type,
        row.actor_id,
        row.ip,
        row.action,
        row.subject_type,
        row.subject_id,
        details,
    ]
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev + canonical).encode()).hexdigest()


def upgrade() -> None:
    op.create_table(
        "audit_chain",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_audit_chain_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_audit_chain")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))

    # Chain the events already there, in the order they happened.
    conn = op.get_bind()
    events = sa.table(
        "audit_event",
        sa.column("id", sa.Uuid()),
        sa.column("tenant_id", sa.Uuid()),
        sa.column("at", resim.db.base.UtcDateTime(timezone=True)),
        sa.column("actor_type", sa.String()),
        sa.column("actor_id", sa.String()),
        sa.column("ip", sa.String()),
        sa.column("action", sa.String()),
        sa.column("subject_type", sa.String()),
        sa.column("subject_id", sa.String()),
        sa.column("details", sa.JSON()),
        sa.column("seq", sa.Integer()),
        sa.column("prev_hash", sa.String()),
        sa.column("hash", sa.String()),
    )
    chains = sa.table(
        "audit_chain",
        sa.column("tenant_id", sa.Uuid()),
        sa.column("seq", sa.Integer()),
        sa.column("last_hash", sa.String()),
    )
    heads: dict[Any, tuple[int, str]] = {}
    rows = conn.execute(sa.select(events).order_by(events.c.tenant_id, events.c.at, events.c.id))
    for row in rows.fetchall():
        seq, prev = heads.get(row.tenant_id, (0, GENESIS))
        digest = _hash(prev, row, seq + 1)
        conn.execute(
            sa.update(events)
            .where(events.c.id == row.id)
            .values(seq=seq + 1, prev_hash=prev, hash=digest)
        )
        heads[row.tenant_id] = (seq + 1, digest)
    for tenant_id, (seq, digest) in heads.items():
        conn.execute(sa.insert(chains).values(tenant_id=tenant_id, seq=seq, last_hash=digest))

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_audit_event_tenant_id_seq"), ["tenant_id", "seq"]
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_event_tenant_id_seq"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    op.drop_table("audit_chain")
