"""Customer sign-in by a one-time code sent to the e-mail on file, and sessions."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from resim.db.base import Base, IdMixin


class SigninChallenge(IdMixin, Base):
    __tablename__ = "signin_challenge"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customer.id"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    failed_tries: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[dt.datetime | None]
    locked_at: Mapped[dt.datetime | None]


class CustomerSession(IdMixin, Base):
    __tablename__ = "customer_session"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The browser or app install (keyed hash of its id) and the country the edge saw.
    device_hash: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class RateLimitHit(IdMixin, Base):
    """One counted attempt; the key names what is limited (an address hash, an IP)."""

    __tablename__ = "rate_limit_hit"

    key: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
