"""The provisioning of a replacement eSIM, its profile stock, and the calls it made."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from resim.db.base import Base, IdMixin


class Step(enum.StrEnum):
    """Where a provisioning stands; each step is idempotent and ends in the next."""

    ORDER = "order"  # downloadOrder: reserve a profile of the tenant's type
    CONFIRM = "confirm"  # confirmOrder with releaseFlag: the matching ID is known
    HLR_CREATE = "hlr_create"  # the new IMSI's subscriber, with its Milenage keys
    HLR_MOVE = "hlr_move"  # the number leaves the old IMSI and joins the new one
    HLR_RETIRE = "hlr_retire"  # the old IMSI barred, then deleted
    FINISH = "finish"  # line, profiles, SIM-change record, application: one transaction
    COMPENSATE = "compensate"  # a step failed for good: undo what was done
    DONE = "done"
    FAILED = "failed"


class Provisioning(IdMixin, Base):
    __tablename__ = "provisioning"
    __table_args__ = (UniqueConstraint("application_id", "round"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("application.id"), index=True)
    # 1, then one more each time the customer asks again for a code that expired unused.
    round: Mapped[int] = mapped_column(default=1)
    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("line.id"), index=True)
    # Set while the provisioning runs, cleared at its end: one at a time per line.
    active_line_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    step: Mapped[str] = mapped_column(String(20), index=True)
    msisdn: Mapped[str] = mapped_column(String(16))
    old_iccid: Mapped[str] = mapped_column(String(20))
    old_imsi: Mapped[str] = mapped_column(String(15))
    profile_type: Mapped[str] = mapped_column(String(64))
    new_iccid: Mapped[str | None] = mapped_column(String(20))
    new_imsi: Mapped[str | None] = mapped_column(String(15))
    # functionCallIdentifiers, written before the first attempt and reused on every retry.
    download_call_id: Mapped[str] = mapped_column(String(64))
    confirm_call_id: Mapped[str] = mapped_column(String(64))
    cancel_call_id: Mapped[str] = mapped_column(String(64))
    code_key_id: Mapped[str | None] = mapped_column(String(20))
    activation_code: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted LPA string
    smdp_address: Mapped[str | None] = mapped_column(String(255))
    # Where the tenant asks for one: the code the device must present, encrypted.
    confirmation_code: Mapped[bytes | None] = mapped_column(LargeBinary)
    tries: Mapped[int] = mapped_column(default=0)  # attempts of the current step
    last_error: Mapped[str | None] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]


class ProfileStock(Base):
    """A profile the SM-DP+ vendor made for a tenant: its IMSI and keys from the output file."""

    __tablename__ = "profile_stock"

    iccid: Mapped[str] = mapped_column(String(20), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenant.id"), index=True)
    profile_type: Mapped[str] = mapped_column(String(64))
    imsi: Mapped[str] = mapped_column(String(15), unique=True)
    key_id: Mapped[str] = mapped_column(String(20))
    keys: Mapped[bytes] = mapped_column(LargeBinary)  # Ki and OPc, encrypted
    loaded_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class ExternalCall(IdMixin, Base):
    """One call to the SM-DP+ or the HLR: what, about which key, how it went, how long."""

    __tablename__ = "external_call"

    tenant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenant.id"), index=True)
    provisioning_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    system: Mapped[str] = mapped_column(String(10))
    operation: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(60))
    duration_ms: Mapped[int]
    response: Mapped[dict[str, Any] | None]
    at: Mapped[dt.datetime]


class ProfileNotification(IdMixin, Base):
    """A handleDownloadProgressInfo the SM-DP+ sent, kept once by its call identifier."""

    __tablename__ = "profile_notification"

    call_id: Mapped[str] = mapped_column(String(64), unique=True)
    iccid: Mapped[str] = mapped_column(String(20), index=True)
    point: Mapped[int]
    status: Mapped[str] = mapped_column(String(30))
    code: Mapped[str | None] = mapped_column(String(20))
    eid: Mapped[str | None] = mapped_column(String(32))
    occurred_at: Mapped[str | None] = mapped_column(String(30))
    applied: Mapped[str] = mapped_column(String(80))  # what it changed, or why nothing
    received_at: Mapped[dt.datetime]
