"""The holder of one or more lines."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from resim.db.base import Base, IdMixin


class Customer(IdMixin, Base):
    __tablename__ = "customer"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email"),
        UniqueConstraint("tenant_id", "codice_fiscale"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    given_name: Mapped[str] = mapped_column(String(80))
    family_name: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[dt.date]
    sex: Mapped[str] = mapped_column(String(1))
    birthplace_code: Mapped[str] = mapped_column(String(4))
    codice_fiscale: Mapped[str] = mapped_column(String(16))
    email: Mapped[str] = mapped_column(String(254))
    alt_phone: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(5))
    # When the contacts last changed (in resim or in the operator's CRM): a risk signal.
    email_changed_on: Mapped[dt.date | None]
    alt_phone_changed_on: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime]
