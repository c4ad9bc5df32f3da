"""Tenant and plan queries."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from resim.tenant.models import Plan, Tenant


def by_slug(session: Session, slug: str) -> Tenant | None:
    return session.scalar(select(Tenant).where(Tenant.slug == slug))


def all_tenants(session: Session) -> list[Tenant]:
    return list(session.scalars(select(Tenant).order_by(Tenant.name)))


def plan_by_code(session: Session, tenant_id: uuid.UUID, code: str) -> Plan | None:
    return session.scalar(select(Plan).where(Plan.tenant_id == tenant_id, Plan.code == code))


def plan_by_id(session: Session, tenant_id: uuid.UUID, plan_id: uuid.UUID) -> Plan | None:
    return session.scalar(select(Plan).where(Plan.tenant_id == tenant_id, Plan.id == plan_id))


def plans(session: Session, tenant_id: uuid.UUID) -> list[Plan]:
    stmt = select(Plan).where(Plan.tenant_id == tenant_id).order_by(Plan.monthly_fee_cents)
    return list(session.scalars(stmt))
