"""Application inputs and outputs, validated at the edge."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from resim.customer.schemas import normalise_email
from resim.kit.codice_fiscale import CodiceFiscale
from resim.kit.telecom import ItalianMobile, Msisdn


class Reason(enum.StrEnum):
    LOST = "lost"
    STOLEN = "stolen"
    BROKEN_PHONE = "broken_phone"
    ESIM_DELETED = "esim_deleted"
    FAULTY = "faulty"
    COMPROMISED = "compromised"


# Loss and theft need the holder's signed declaration (AGCOM: the SIM is out of their hands).
NEEDS_DECLARATION = {Reason.LOST, Reason.STOLEN, Reason.COMPROMISED}


class ApiModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=True
    )


class NewApplication(ApiModel):
    msisdn: str
    reason: Reason

    @field_validator("msisdn")
    @classmethod
    def _msisdn(cls, value: str) -> str:
        return str(ItalianMobile(value))


class DraftUpdate(ApiModel):
    """Any subset of the evidence; what is given is checked now, the whole at submission."""

    document_type: Literal["cie", "passport", "driving_licence", "residence_permit"] | None = None
    document_number: str | None = Field(None, max_length=20)
    document_country: str | None = Field(None, max_length=3)
    document_expiry: dt.date | None = None
    mrz: str | None = Field(None, max_length=200)
    codice_fiscale: str | None = None
    self_declaration: bool | None = None
    contact_email: str | None = None
    alt_phone: str | None = None
    reseller_order: str | None = Field(None, max_length=40)
    plan_code: str | None = Field(None, max_length=40)

    @field_validator("codice_fiscale")
    @classmethod
    def _cf(cls, value: str | None) -> str | None:
        return None if value is None else str(CodiceFiscale(value))

    @field_validator("contact_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else normalise_email(value)

    @field_validator("alt_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else str(Msisdn(value))

    @field_validator("document_country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return None if value is None else value.upper()


class CodeIn(ApiModel):
    code: str = Field(pattern=r"^\s*[0-9]{6}\s*$")


class CheckOut(ApiModel):
    code: str
    passed: bool
    detail: str


class EventOut(ApiModel):
    state: str
    at: dt.datetime
    actor: str
    profile: str | None = None  # what the SM-DP+ reported: downloaded, install_failed


class QuoteOut(ApiModel):
    amount_cents: int
    charge_to: str
    free_reason: str | None
    top_up_needed_cents: int


class ApplicationOut(ApiModel):
    id: uuid.UUID
    msisdn: str
    state: str
    reason: str
    document_type: str | None
    document_country: str | None
    document_expiry: dt.date | None
    mrz_given: bool
    self_declaration: bool
    contact_email: str | None
    contact_email_verified: bool
    alt_phone: str | None
    alt_phone_verified: bool
    checks: list[CheckOut]
    risk_score: int | None
    risk_reasons: list[CheckOut]
    fee: QuoteOut | None
    submitted_at: dt.datetime | None
    confirm_until: dt.datetime | None
    failure: CheckOut | None = None  # why a failed application failed; nothing was changed
    timeline: list[EventOut]
