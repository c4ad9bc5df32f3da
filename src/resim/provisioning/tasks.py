"""Jobs of the provisioning workflow."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from resim.jobs.worker import Handler
from resim.provisioning import service
from resim.provisioning.service import Ports


def handlers(ports: Ports) -> dict[str, Handler]:
    def step(session: Session, payload: dict[str, Any]) -> None:
        outcome = service.advance(
            session, ports, uuid.UUID(payload["provisioning_id"]), payload["step"]
        )
        ports.report(session, outcome)

    return {service.STEP: step}
