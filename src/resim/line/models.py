"""Lines (a number on the network), their eSIM profiles and their event history."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from resim.db.base import Base, IdMixin


class LineState(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CEASED = "ceased"


class ProfileState(enum.StrEnum):
    """Profile states on the SM-DP+ (GSMA SGP.22 section 3.1 and ES2+ 5.3)."""

    AVAILABLE = "available"
    ALLOCATED = "allocated"
    LINKED = "linked"
    CONFIRMED = "confirmed"
    RELEASED = "released"
    DOWNLOADED = "downloaded"
    INSTALLED = "installed"
    ERROR = "error"
    UNAVAILABLE = "unavailable"


class DeviceState(enum.StrEnum):
    """What the device last reported of an installed profile."""

    UNKNOWN = "unknown"
    ENABLED = "enabled"
    DISABLED = "disabled"
    DELETED = "deleted"


class LineEventKind(enum.StrEnum):
    ACTIVATED = "activated"
    SUSPENDED = "suspended"
    REACTIVATED = "reactivated"
    SIM_CHANGED = "sim_changed"
    PLAN_CHANGED = "plan_changed"


def _enum(cls: type[enum.StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Line(IdMixin, Base):
    __tablename__ = "line"
    __table_args__ = (UniqueConstraint("tenant_id", "msisdn"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id"), index=True)
    msisdn: Mapped[str] = mapped_column(String(16))
    iccid: Mapped[str] = mapped_column(String(20), index=True)
    imsi: Mapped[str] = mapped_column(String(15), index=True)
    eid: Mapped[str | None] = mapped_column(String(32))
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan.id"))
    plan_valid_until: Mapped[dt.date | None]
    billing: Mapped[str] = mapped_column(String(10))  # prepaid | postpaid
    credit_cents: Mapped[int] = mapped_column(default=0)
    reseller_order: Mapped[str | None] = mapped_column(String(40))  # bought through a reseller
    ported_in_on: Mapped[dt.date | None]  # the number came from another operator that day
    state: Mapped[LineState] = mapped_column(_enum(LineState))
    state_changed_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime]


class EsimProfile(IdMixin, Base):
    __tablename__ = "esim_profile"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("line.id"), index=True)
    iccid: Mapped[str] = mapped_column(String(20), unique=True)
    imsi: Mapped[str] = mapped_column(String(15))
    matching_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[ProfileState] = mapped_column(_enum(ProfileState))
    device_state: Mapped[DeviceState] = mapped_column(_enum(DeviceState))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class LineEvent(IdMixin, Base):
    """What happened to a line, for the customer's timeline and the SIM-swap record."""

    __tablename__ = "line_event"
    __table_args__ = (
        UniqueConstraint("line_id", "seq"),
        # A line's latest event of some kinds (the SIM Swap API's hot path) in one index probe.
        Index("ix_line_event_line_at", "line_id", "at"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("line.id"))
    seq: Mapped[int]  # 1, 2, 3 ... per line: the order of events, even at the same instant
    kind: Mapped[LineEventKind] = mapped_column(_enum(LineEventKind))
    at: Mapped[dt.datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(20))  # customer | agent | system | import
    reason: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[dict[str, Any]]
