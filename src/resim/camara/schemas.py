"""The CAMARA SIM Swap API's bodies, named and bounded as in the spec's YAML (sim-swap
v2.1.0 and sim-swap-subscriptions v0.3.0), so the served OpenAPI document matches it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

PHONE_PATTERN = r"^\+[1-9][0-9]{4,14}$"
CORRELATOR_PATTERN = r"^[a-zA-Z0-9-_:;.\/<>{}]{0,256}$"

PhoneNumber = Annotated[
    str,
    Field(
        pattern=PHONE_PATTERN,
        examples=["+393471234567"],
        description="The number in E.164 with its leading +. Give it with a two-legged "
        "token; leave it out with a three-legged token, which names the number itself.",
    ),
]


class CreateSimSwapDate(BaseModel):
    phoneNumber: PhoneNumber | SkipJsonSchema[None] = None


class CreateCheckSimSwap(BaseModel):
    phoneNumber: PhoneNumber | SkipJsonSchema[None] = None
    maxAge: int = Field(
        240,
        ge=1,
        le=2400,
        strict=True,
        description="Period in hours to be checked for SIM swap.",
        json_schema_extra={"format": "int32"},
    )


class SimSwapInfo(BaseModel):
    latestSimChange: dt.datetime | None = Field(
        description="Time of the latest SIM swap (RFC 3339 with its offset); null when it "
        "cannot be told (older than the monitored period, or none recorded)."
    )
    monitoredPeriod: int | SkipJsonSchema[None] = Field(
        None, description="Days of SIM changes the operator may tell about."
    )


class CheckSimSwapInfo(BaseModel):
    swapped: bool = Field(description="Whether the SIM was swapped within maxAge hours.")


class ErrorInfo(BaseModel):
    status: int = Field(description="HTTP response status code")
    code: str = Field(description="Code given to this error")
    message: str = Field(description="Detailed error description")


# -- subscriptions ------------------------------------------------------------------------

EventType = Literal["org.camaraproject.sim-swap-subscriptions.v0.swapped"]
Protocol = Literal["HTTP", "MQTT3", "MQTT5", "AMQP", "NATS", "KAFKA"]


class SinkCredential(BaseModel):
    model_config = ConfigDict(extra="allow")

    credentialType: Literal["PLAIN", "ACCESSTOKEN", "REFRESHTOKEN"]
    accessToken: str | SkipJsonSchema[None] = None
    accessTokenExpiresUtc: str | SkipJsonSchema[None] = None
    accessTokenType: str | SkipJsonSchema[None] = None


class SubscriptionDetail(BaseModel):
    phoneNumber: PhoneNumber | SkipJsonSchema[None] = None


class Config(BaseModel):
    subscriptionDetail: SubscriptionDetail
    subscriptionExpireTime: dt.datetime | SkipJsonSchema[None] = None
    subscriptionMaxEvents: int | SkipJsonSchema[None] = Field(None, ge=1)
    initialEvent: bool | SkipJsonSchema[None] = None


class SubscriptionRequest(BaseModel):
    protocol: Protocol
    sink: str = Field(json_schema_extra={"format": "uri"})
    sinkCredential: SinkCredential | SkipJsonSchema[None] = None
    types: list[EventType] = Field(min_length=1, max_length=1)
    config: Config


class Subscription(BaseModel):
    protocol: Protocol
    sink: str
    types: list[EventType]
    config: Config
    id: str
    startsAt: dt.datetime
    expiresAt: dt.datetime | SkipJsonSchema[None] = None
    status: Literal["ACTIVATION_REQUESTED", "ACTIVE", "EXPIRED", "INACTIVE", "DELETED"]


def dump(model: BaseModel) -> dict[str, Any]:
    """JSON without the optional fields left out (null only where the spec allows it)."""
    return model.model_dump(mode="json", exclude_none=True)
