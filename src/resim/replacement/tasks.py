"""Jobs of the replacement process: the AGCOM window's end, a provisioning round's start,
a code's expiry and link, and a new round when the customer asks again."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.config import Settings
from resim.errors import AppError
from resim.jobs.worker import Handler
from resim.provisioning.service import Ports
from resim.replacement import flow, handover, queries


def handlers(settings: Settings, ports: Ports) -> dict[str, Handler]:
    key, clock = settings.secret_bytes, ports.clock

    def window_ends(session: Session, payload: dict[str, Any]) -> None:
        app_id = uuid.UUID(payload["application_id"])
        tenant_id = queries.tenant_of(session, app_id)
        if tenant_id is not None:
            flow.window_ended(session, key, tenant_id, app_id, clock.now())

    def provision(session: Session, payload: dict[str, Any]) -> None:
        flow.start_round(session, ports, uuid.UUID(payload["application_id"]))

    def code_expires(session: Session, payload: dict[str, Any]) -> None:
        flow.code_expired(
            session, ports, uuid.UUID(payload["application_id"]), payload["expires_at"]
        )

    def send_link(session: Session, payload: dict[str, Any]) -> None:
        app = queries.find(session, uuid.UUID(payload["application_id"]))
        if app is None:
            return
        try:
            handover.send_link(
                session, settings, app, payload["channel"], at=clock.now(), actor=audit.SYSTEM
            )
        except AppError:
            return  # no verified contact on that channel, or the code is gone: the page shows it

    def reissue(session: Session, payload: dict[str, Any]) -> None:
        flow.reissue(session, ports, uuid.UUID(payload["application_id"]), int(payload["round"]))

    return {
        flow.WINDOW_ENDS: window_ends,
        flow.PROVISION: provision,
        flow.CODE_EXPIRES: code_expires,
        flow.SEND_LINK: send_link,
        flow.REISSUE: reissue,
    }
