"""delivery, links, charges, provisioning rounds

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import resim.db.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "charge",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("line_id", sa.Uuid(), nullable=False),
        sa.Column("receipt_number", sa.String(length=30), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("charge_to", sa.String(length=10), nullable=False),
        sa.Column("free_reason", sa.String(length=20), nullable=True),
        sa.Column("credit_after_cents", sa.Integer(), nullable=True),
        sa.Column("charged_at", resim.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_charge_application_id_application"),
        ),
        sa.ForeignKeyConstraint(["line_id"], ["line.id"], name=op.f("fk_charge_line_id_line")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_charge_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charge")),
        sa.UniqueConstraint("application_id", name=op.f("uq_charge_application_id")),
        sa.UniqueConstraint("receipt_number", name=op.f("uq_charge_receipt_number")),
    )
    with op.batch_alter_table("charge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_charge_line_id"), ["line_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_charge_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "delivery",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("reveals", sa.Integer(), nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("expires_at", resim.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("released_at", resim.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", resim.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", resim.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_delivery_application_id_application"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_delivery_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint("application_id", name=op.f("uq_delivery_application_id")),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "delivery_link",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("proof_hash", sa.String(length=64), nullable=True),
        sa.Column("proof_sent_at", resim.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("proof_tries", sa.Integer(), nullable=False),
        sa.Column("created_at", resim.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", resim.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("used_at", resim.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_delivery_link_application_id_application"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_delivery_link_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_delivery_link_token_hash")),
    )
    with op.batch_alter_table("delivery_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_link_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_delivery_link_tenant_id"), ["tenant_id"], unique=False)

    with op.batch_alter_table("provisioning", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("round", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.add_column(sa.Column("confirmation_code", sa.LargeBinary(), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_provisioning_application_id"), type_="unique")
        batch_op.create_index(
            batch_op.f("ix_provisioning_application_id"), ["application_id"], unique=False
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_provisioning_application_id_round"), ["application_id", "round"]
        )


def downgrade() -> None:
    with op.batch_alter_table("provisioning", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_provisioning_application_id_round"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_provisioning_application_id"))
        batch_op.create_unique_constraint(
            batch_op.f("uq_provisioning_application_id"), ["application_id"]
        )
        batch_op.drop_column("confirmation_code")
        batch_op.drop_column("round")

    with op.batch_alter_table("delivery_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_link_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_link_application_id"))

    op.drop_table("delivery_link")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_tenant_id"))

    op.drop_table("delivery")
    with op.batch_alter_table("charge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_charge_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_charge_line_id"))

    op.drop_table("charge")
