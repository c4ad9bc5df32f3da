"""An operator or brand, and its plan catalog."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from resim.db.base import Base, IdMixin


class Tenant(IdMixin, Base):
    __tablename__ = "tenant"

    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    default_language: Mapped[str] = mapped_column(String(5))
    policy: Mapped[dict[str, Any]]
    branding: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime]


class Plan(IdMixin, Base):
    __tablename__ = "plan"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    billing: Mapped[str] = mapped_column(String(10))  # prepaid | postpaid
    monthly_fee_cents: Mapped[int]
    data_gb: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)
