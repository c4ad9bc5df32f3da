"""Delivery reports the SMS gateway sent for the texts resim submitted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from resim.db.base import Base, IdMixin


class SmsReport(IdMixin, Base):
    __tablename__ = "sms_report"

    message_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[int]  # Kannel's report type: 1 delivered, 2 failed, 4 buffered, 8, 16
    meaning: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[dt.datetime]
