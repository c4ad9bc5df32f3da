"""What it takes to create a customer, validated at the edge."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from resim.i18n import N_
from resim.kit.codice_fiscale import CodiceFiscale
from resim.kit.telecom import Msisdn

_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}$")


def normalise_email(value: str) -> str:
    """Lower-case and check the shape of an address; raises ValueError with a message id."""
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValueError(N_("This is not a valid e-mail address."))
    return email


class NewCustomer(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    given_name: str = Field(min_length=1, max_length=80)
    family_name: str = Field(min_length=1, max_length=80)
    birth_date: dt.date
    sex: Literal["M", "F"]
    birthplace_code: str = Field(pattern=r"^[A-Z][0-9]{3}$")
    codice_fiscale: str
    email: str
    alt_phone: str | None = None
    language: Literal["it", "en", "zh"] = "it"
    email_changed_on: dt.date | None = None
    alt_phone_changed_on: dt.date | None = None

    @field_validator("codice_fiscale")
    @classmethod
    def _cf(cls, value: str) -> str:
        return str(CodiceFiscale(value))

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalise_email(value)

    @field_validator("alt_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if not value else str(Msisdn(value))
