"""The replacement fee, charged once when the new profile is installed."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from resim.db.base import Base, IdMixin


class Charge(IdMixin, Base):
    __tablename__ = "charge"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("application.id"), unique=True)
    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("line.id"), index=True)
    receipt_number: Mapped[str] = mapped_column(String(30), unique=True)
    amount_cents: Mapped[int]
    charge_to: Mapped[str] = mapped_column(String(10))  # credit | bill | none
    free_reason: Mapped[str | None] = mapped_column(String(20))
    credit_after_cents: Mapped[int | None]  # prepaid: the line's credit once charged
    charged_at: Mapped[dt.datetime]
