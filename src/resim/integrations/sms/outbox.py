"""The embedded default: texts are written to a folder and shown on the outbox page.

It stands in for the gateway in the demo and in tests, so it takes the gateway's calls back
(delivery reports, customers' replies) in Kannel's format, as the real route would.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

from resim.integrations.folder import read_newest_first, write_once
from resim.integrations.sms.kannel import KannelCallbacks
from resim.integrations.sms.port import DeliveryReport, InboundSms, SentSms, SmsMessage

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class OutboxSms:
    def __init__(self, folder: Path, callbacks: KannelCallbacks) -> None:
        self.folder = folder
        self.callbacks = callbacks

    def send(self, message: SmsMessage) -> None:
        if not _SAFE_ID.match(message.message_id):
            raise ValueError("unsafe message id")
        write_once(self.folder, message.message_id, asdict(message))

    def messages(self, limit: int = 100) -> list[SentSms]:
        """Newest first."""
        return [
            SentSms(message=SmsMessage(**kept), sent_at=at)
            for kept, at in read_newest_first(self.folder, limit)
        ]

    def delivery_report(self, params: Mapping[str, str]) -> DeliveryReport:
        return self.callbacks.delivery_report(params)

    def inbound(self, params: Mapping[str, str]) -> InboundSms:
        return self.callbacks.inbound(params)
