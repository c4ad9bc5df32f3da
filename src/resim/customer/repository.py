"""Customer queries, always scoped to a tenant."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from resim.customer.models import Customer


def by_id(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> Customer | None:
    stmt = select(Customer).where(Customer.tenant_id == tenant_id, Customer.id == customer_id)
    return session.scalar(stmt)


def by_email(session: Session, tenant_id: uuid.UUID, email: str) -> Customer | None:
    stmt = select(Customer).where(Customer.tenant_id == tenant_id, Customer.email == email)
    return session.scalar(stmt)


def by_codice_fiscale(session: Session, tenant_id: uuid.UUID, cf: str) -> Customer | None:
    stmt = select(Customer).where(Customer.tenant_id == tenant_id, Customer.codice_fiscale == cf)
    return session.scalar(stmt)
