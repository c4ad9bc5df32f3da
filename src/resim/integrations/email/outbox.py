"""The embedded default: messages are written to a folder and shown on the outbox page."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path

from resim.integrations.email.port import EmailMessage, SentEmail
from resim.integrations.folder import read_newest_first, write_once

_SAFE_ID = re.compile(r"^[A-Za-z0-9._@<>-]{1,200}$")


class OutboxEmail:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        if not _SAFE_ID.match(message.message_id):
            raise ValueError("unsafe message id")
        write_once(self.folder, message.message_id.strip("<>"), asdict(message))

    def messages(self, limit: int = 100) -> list[SentEmail]:
        """Newest first."""
        return [
            SentEmail(message=EmailMessage(**kept), sent_at=at)
            for kept, at in read_newest_first(self.folder, limit)
        ]
