"""The outboxes' folder of sent messages: one JSON file a message, written once, atomically."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_once(folder: Path, name: str, message: dict[str, Any]) -> None:
    """Keep ``message`` as ``name``.json with the time sent; a retry of a kept one is a no-op."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.json"
    if target.exists():
        return
    record = {"message": message, "sent_at": dt.datetime.now(dt.UTC).isoformat()}
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle, ensure_ascii=False)
    os.replace(tmp, target)


def read_newest_first(folder: Path, limit: int) -> list[tuple[dict[str, Any], dt.datetime]]:
    """The kept messages and when each was sent, newest first."""
    if not folder.exists():
        return []
    found = []
    for path in folder.glob("*.json"):
        record = json.loads(path.read_text(encoding="utf-8"))
        found.append((record["message"], dt.datetime.fromisoformat(record["sent_at"])))
    found.sort(key=lambda item: item[1], reverse=True)
    return found[:limit]
