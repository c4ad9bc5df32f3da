"""Jobs of identity evidence."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from resim.identity import service
from resim.jobs.worker import Handler
from resim.kit.clock import Clock


def handlers(folder: Path, clock: Clock) -> dict[str, Handler]:
    def purge(session: Session, payload: dict[str, Any]) -> None:
        service.purge(session, folder, uuid.UUID(payload["document_id"]), clock.now())

    return {service.PURGE: purge}
