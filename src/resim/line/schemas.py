"""Line input and output shapes."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from resim.kit.telecom import Eid, Iccid, Imsi, ItalianMobile


class SuspendReason(enum.StrEnum):
    LOST = "lost"
    STOLEN = "stolen"
    OTHER = "other"


class ReactivateReason(enum.StrEnum):
    FOUND = "found"
    OTHER = "other"


class SystemReason(enum.StrEnum):
    """Reasons only resim itself gives."""

    NEW_ESIM = "new_esim_installed"


class NewLine(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    msisdn: str
    iccid: str
    imsi: str
    eid: str | None = None
    plan_code: str = Field(min_length=1, max_length=40)
    plan_valid_until: dt.date | None = None
    billing: Literal["prepaid", "postpaid"]
    credit_cents: int = Field(0, ge=0, le=1_000_000_00)
    state: Literal["active", "suspended", "ceased"] = "active"
    reseller_order: str | None = Field(None, max_length=40)
    ported_in_on: dt.date | None = None

    @field_validator("msisdn")
    @classmethod
    def _msisdn(cls, value: str) -> str:
        return str(ItalianMobile(value))

    @field_validator("iccid")
    @classmethod
    def _iccid(cls, value: str) -> str:
        return str(Iccid(value))

    @field_validator("imsi")
    @classmethod
    def _imsi(cls, value: str) -> str:
        return str(Imsi(value))

    @field_validator("eid")
    @classmethod
    def _eid(cls, value: str | None) -> str | None:
        return None if not value else str(Eid(value))


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class SuspendIn(ApiModel):
    reason: SuspendReason = SuspendReason.LOST


class ReactivateIn(ApiModel):
    reason: ReactivateReason = ReactivateReason.FOUND


class PlanOut(ApiModel):
    code: str
    name: str
    billing: str
    monthly_fee_cents: int
    data_gb: int


class ProfileOut(ApiModel):
    iccid: str
    state: str
    device_state: str


class EventOut(ApiModel):
    kind: str
    at: dt.datetime
    actor: str
    reason: str | None


class LineOut(ApiModel):
    msisdn: str
    state: str
    state_changed_at: dt.datetime
    iccid: str
    eid: str | None
    plan: PlanOut
    plan_valid_until: dt.date | None
    billing: str
    credit_cents: int | None
    profile: ProfileOut | None
    events: list[EventOut]
