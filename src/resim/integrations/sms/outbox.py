"""The embedded default: texts are written to a folder and shown on the outbox page."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path

from resim.integrations.folder import read_newest_first, write_once
from resim.integrations.sms.port import SentSms, SmsMessage

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class OutboxSms:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

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
