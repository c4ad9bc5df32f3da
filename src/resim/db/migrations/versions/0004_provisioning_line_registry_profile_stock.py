"""provisioning, line registry, profile stock

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import resim.db.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "profile_notification",
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("iccid", sa.String(length=20), nullable=False),
        sa.Column("point", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=True),
        sa.Column("eid", sa.String(length=32), nullable=True),
        sa.Column("occurred_at", sa.String(length=30), nullable=True),
        sa.Column("applied", sa.String(length=80), nullable=False),
        sa.Column("received_at", resim.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_notification")),
        sa.UniqueConstraint("call_id", name=op.f("uq_profile_notification_call_id")),
    )
    with op.batch_alter_table("profile_notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_profile_notification_iccid"), ["iccid"], unique=False)

    op.create_table(
        "subscriber",
        sa.Column("imsi", sa.String(length=15), nullable=False),
        sa.Column("iccid", sa.String(length=20), nullable=True),
        sa.Column("msisdn", sa.String(length=16), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("key_id", sa.String(length=20), nullable=True),
        sa.Column("keys", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", resim.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", resim.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("imsi", name=op.f("pk_subscriber")),
        sa.UniqueConstraint("msisdn", name=op.f("uq_subscriber_msisdn")),
    )
    op.create_table(
        "subscriber_change",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("imsi", sa.String(length=15), nullable=False),
        sa.Column("msisdn", sa.String(length=16), nullable=True),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("at", resim.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriber_change")),
    )
    with op.batch_alter_table("subscriber_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subscriber_change_imsi"), ["imsi"], unique=False)
        batch_op.create_index(batch_op.f("ix_subscriber_change_msisdn"), ["msisdn"], unique=False)

    op.create_table(
        "external_call",
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("provisioning_id", sa.Uuid(), nullable=True),
        sa.Column("system", sa.String(length=10), nullable=False),
        sa.Column("operation", sa.String(length=60), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=60), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("at", resim.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_external_call_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_call")),
    )
    with op.batch_alter_table("external_call", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_external_call_key"), ["key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_external_call_provisioning_id"), ["provisioning_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_external_call_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "profile_stock",
        sa.Column("iccid", sa.String(length=20), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("profile_type", sa.String(length=64), nullable=False),
        sa.Column("imsi", sa.String(length=15), nullable=False),
        sa.Column("key_id", sa.String(length=20), nullable=False),
        sa.Column("keys", sa.LargeBinary(), nullable=False),
        sa.Column("loaded_at", resim.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("used_at", resim.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_profile_stock_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("iccid", name=op.f("pk_profile_stock")),
        sa.UniqueConstraint("imsi", name=op.f("uq_profile_stock_imsi")),
    )
    with op.batch_alter_table("profile_stock", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_profile_stock_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "provisioning",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("line_id", sa.Uuid(), nullable=False),
        sa.Column("active_line_id", sa.Uuid(), nullable=True),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("msisdn", sa.String(length=16), nullable=False),
        sa.Column("old_iccid", sa.String(length=20), nullable=False),
        sa.Column("old_imsi", sa.String(length=15), nullable=False),
        sa.Column("profile_type", sa.String(length=64), nullable=False),
        sa.Column("new_iccid", sa.String(length=20), nullable=True),
        sa.Column("new_imsi", sa.String(length=15), nullable=True),
        sa.Column("download_call_id", sa.String(length=64), nullable=False),
        sa.Column("confirm_call_id", sa.String(length=64), nullable=False),
        sa.Column("cancel_call_id", sa.String(length=64), nullable=False),
        sa.Column("code_key_id", sa.String(length=20), nullable=True),
        sa.Column("activation_code", sa.LargeBinary(), nullable=True),
        sa.Column("smdp_address", sa.String(length=255), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failure_reason", sa.String(length=40), nullable=True),
        sa.Column("created_at", resim.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", resim.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", resim.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_provisioning_application_id_application"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["line.id"], name=op.f("fk_provisioning_line_id_line")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_provisioning_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provisioning")),
        sa.UniqueConstraint("active_line_id", name=op.f("uq_provisioning_active_line_id")),
        sa.UniqueConstraint("application_id", name=op.f("uq_provisioning_application_id")),
    )
    with op.batch_alter_table("provisioning", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_provisioning_line_id"), ["line_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_provisioning_step"), ["step"], unique=False)
        batch_op.create_index(batch_op.f("ix_provisioning_tenant_id"), ["tenant_id"], unique=False)

    # resim's own line registry starts with every line's current pairing (a number that two
    # operators claim is left out: the registry pairs a number with one IMSI).
    op.execute(
        "INSERT INTO subscriber (imsi, iccid, msisdn, enabled, created_at, updated_at) "
        "SELECT imsi, iccid, msisdn, true, created_at, created_at FROM line WHERE msisdn NOT IN "
        "(SELECT msisdn FROM line GROUP BY msisdn HAVING COUNT(*) > 1)"
    )


def downgrade() -> None:
    with op.batch_alter_table("provisioning", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provisioning_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_provisioning_step"))
        batch_op.drop_index(batch_op.f("ix_provisioning_line_id"))

    op.drop_table("provisioning")
    with op.batch_alter_table("profile_stock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profile_stock_tenant_id"))

    op.drop_table("profile_stock")
    with op.batch_alter_table("external_call", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_external_call_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_external_call_provisioning_id"))
        batch_op.drop_index(batch_op.f("ix_external_call_key"))

    op.drop_table("external_call")
    with op.batch_alter_table("subscriber_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriber_change_msisdn"))
        batch_op.drop_index(batch_op.f("ix_subscriber_change_imsi"))

    op.drop_table("subscriber_change")
    op.drop_table("subscriber")
    with op.batch_alter_table("profile_notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profile_notification_iccid"))

    op.drop_table("profile_notification")
