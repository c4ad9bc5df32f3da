"""Jobs of the delivery: the link on the remembered channel, expiry, asking again."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.config import Settings
from resim.delivery import schedule, service
from resim.errors import AppError
from resim.jobs.worker import Handler
from resim.provisioning.service import Ports
from resim.replacement.models import Application


def handlers(settings: Settings, ports: Ports) -> dict[str, Handler]:
    def send_link(session: Session, payload: dict[str, Any]) -> None:
        app = session.get(Application, uuid.UUID(payload["application_id"]))
        if app is None:
            return
        try:
            service.send_link(
                session, settings, app, payload["channel"], at=ports.clock.now(), actor=audit.SYSTEM
            )
        except AppError:
            return  # no verified contact on that channel, or the code is gone: the page shows it

    def expire(session: Session, payload: dict[str, Any]) -> None:
        service.expire(session, ports, uuid.UUID(payload["application_id"]), payload["expires_at"])

    def reissue(session: Session, payload: dict[str, Any]) -> None:
        service.reissue(session, ports, uuid.UUID(payload["application_id"]), int(payload["round"]))

    return {schedule.SEND_LINK: send_link, schedule.EXPIRE: expire, service.REISSUE: reissue}
