"""What resim needs of an SMS gateway: send one text, keyed by its message id."""

from __future__ import annotations

import datetime as dt
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


class SmsSender(Protocol):
    def send(self, message: SmsMessage) -> None:
        """Send, or raise IntegrationError (transient: retry later; otherwise give up)."""
        ...
