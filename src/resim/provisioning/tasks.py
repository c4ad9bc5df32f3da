"""Jobs of the provisioning workflow."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from resim.jobs.worker import Handler
from resim.provisioning import service
from resim.provisioning.service import Ports


def handlers(ports: Ports) -> dict[str, Handler]:
    def start(session: Session, payload: dict[str, Any]) -> None:
        service.start(
            session, ports, uuid.UUID(payload["application_id"]), int(payload.get("round", 1))
        )

    def step(session: Session, payload: dict[str, Any]) -> None:
        service.advance(session, ports, uuid.UUID(payload["provisioning_id"]), payload["step"])

    return {service.START: start, service.STEP: step}
