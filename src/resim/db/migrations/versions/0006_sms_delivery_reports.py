"""sms delivery reports

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import resim.db.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_report",
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("meaning", sa.String(length=20), nullable=False),
        sa.Column("received_at", resim.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_report")),
    )
    with op.batch_alter_table("sms_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_report_message_id"), ["message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sms_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_report_message_id"))

    op.drop_table("sms_report")
