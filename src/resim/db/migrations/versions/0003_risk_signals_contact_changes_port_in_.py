"""risk signals: contact changes, port-in, sign-in device and country

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_changed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("alt_phone_changed_on", sa.Date(), nullable=True))

    with op.batch_alter_table("customer_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("country", sa.String(length=2), nullable=True))

    with op.batch_alter_table("line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ported_in_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("line", schema=None) as batch_op:
        batch_op.drop_column("ported_in_on")

    with op.batch_alter_table("customer_session", schema=None) as batch_op:
        batch_op.drop_column("country")
        batch_op.drop_column("device_hash")

    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_column("alt_phone_changed_on")
        batch_op.drop_column("email_changed_on")
