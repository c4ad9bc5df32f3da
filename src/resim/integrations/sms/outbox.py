"""The embedded default: texts are written to a folder and shown on the outbox page."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from dataclasses import asdict
from pathlib import Path

from resim.integrations.sms.port import SentSms, SmsMessage

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class OutboxSms:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: SmsMessage) -> None:
        if not _SAFE_ID.match(message.message_id):
            raise ValueError("unsafe message id")
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{message.message_id}.json"
        if target.exists():  # a retry of a text already delivered
            return
        record = {"message": asdict(message), "sent_at": dt.datetime.now(dt.UTC).isoformat()}
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle, ensure_ascii=False)
        os.replace(tmp, target)

    def messages(self, limit: int = 100) -> list[SentSms]:
        """Newest first."""
        if not self.folder.exists():
            return []
        found = []
        for path in self.folder.glob("*.json"):
            record = json.loads(path.read_text(encoding="utf-8"))
            found.append(
                SentSms(
                    message=SmsMessage(**record["message"]),
                    sent_at=dt.datetime.fromisoformat(record["sent_at"]),
                )
            )
        found.sort(key=lambda sent: sent.sent_at, reverse=True)
        return found[:limit]
