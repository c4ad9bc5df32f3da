"""What resim needs of an SMS gateway: the whole conversation with a customer's phone.

Send a text keyed by its message id; take the gateway's delivery reports on it; take the
texts customers send back. The gateway's wire format stays in its adapter: resim's features
see only the small data classes here.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SmsMessage:
    message_id: str  # the idempotency key: the same on every retry
    to: str  # E.164
    text: str


@dataclass(frozen=True)
class SentSms:
    message: SmsMessage
    sent_at: dt.datetime


class ReportStatus(enum.StrEnum):
    """Where a text got to, as the gateway reports it."""

    DELIVERED = "delivered"  # on the phone
    FAILED = "failed"  # the phone will not get it
    BUFFERED = "buffered"  # the SMSC keeps it for later
    SMSC_ACCEPTED = "smsc_accepted"
    SMSC_REJECTED = "smsc_rejected"
    OTHER = "other"


@dataclass(frozen=True)
class DeliveryReport:
    message_id: str  # the id the text was sent with
    status: ReportStatus
    code: int  # the gateway's own code for it, kept as it came


@dataclass(frozen=True)
class InboundSms:
    """A text a customer sent to the operator's number."""

    sender: str  # as the gateway gives it: a number, or an alphanumeric sender
    text: str


class SmsSender(Protocol):
    def send(self, message: SmsMessage) -> None:
        """Send, or raise IntegrationError (transient: retry later; otherwise give up)."""
        ...


class SmsGateway(SmsSender, Protocol):
    def delivery_report(self, params: Mapping[str, str]) -> DeliveryReport:
        """The report the gateway sent to the address given with the text (its query
        parameters); raises Forbidden when resim did not give that address."""
        ...

    def inbound(self, params: Mapping[str, str]) -> InboundSms:
        """A customer's text as the gateway forwards it (its query parameters); raises
        Unauthenticated when the request does not come from the gateway."""
        ...
