"""An application's delivery: reveals counted against the cap, expiry, one-time links."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from resim.db.base import Base, IdMixin


class Delivery(IdMixin, Base):
    """One per application, across re-issues: the cap counts every reveal and download."""

    __tablename__ = "delivery"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("application.id"), unique=True)
    reveals: Mapped[int] = mapped_column(default=0)
    downloads: Mapped[int] = mapped_column(default=0)
    cap: Mapped[int]
    channel: Mapped[str | None] = mapped_column(String(10))  # the customer's last choice
    expires_at: Mapped[dt.datetime]  # the current code's; renewed on re-issue
    released_at: Mapped[dt.datetime | None]  # the current code was cancelled, unused
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class DeliveryLink(IdMixin, Base):
    """A one-time link sent by SMS or e-mail: it opens after a code sent on the other
    channel, so the link alone reveals nothing."""

    __tablename__ = "delivery_link"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("application.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # where the link went: sms | email
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    proof_hash: Mapped[str | None] = mapped_column(String(64))
    proof_sent_at: Mapped[dt.datetime | None]
    proof_tries: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
