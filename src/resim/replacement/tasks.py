"""Jobs of the replacement process."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from resim.jobs.worker import Handler
from resim.kit.clock import Clock
from resim.replacement import service


def handlers(key: bytes, clock: Clock) -> dict[str, Handler]:
    def window_ends(session: Session, payload: dict[str, Any]) -> None:
        app_id = uuid.UUID(payload["application_id"])
        tenant_id = service.tenant_of(session, app_id)
        if tenant_id is not None:
            service.window_ended(session, key, tenant_id, app_id, clock.now())

    return {service.WINDOW_ENDS: window_ends}
