"""What resim needs of an e-mail system: send one message, keyed by its Message-ID."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class EmailMessage:
    message_id: str  # the idempotency key: the same on every retry of one message
    sender: str
    to: str
    subject: str
    text: str


@dataclass(frozen=True)
class SentEmail:
    message: EmailMessage
    sent_at: dt.datetime


class EmailSender(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Send, or raise IntegrationError (transient: retry later; otherwise give up)."""
        ...
