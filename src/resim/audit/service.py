"""Record who did what to which subject, in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from resim.audit.models import AuditEvent
from resim.errors import Conflict


@dataclass(frozen=True)
class Actor:
    """Who acts: a customer (id), an agent, the system or the CLI; with the request's IP."""

    type: str
    id: str | None = None
    ip: str | None = None


SYSTEM = Actor("system")


def record(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: str,
    at: dt.datetime,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event; it commits or rolls back with the change it records."""
    audit_event = AuditEvent(
        tenant_id=tenant_id,
        at=at,
        actor_type=actor.type,
        actor_id=actor.id,
        ip=actor.ip,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        details=details or {},
    )
    session.add(audit_event)
    session.flush()
    return audit_event


def events_for(
    session: Session, tenant_id: uuid.UUID, subject_id: str, limit: int = 50
) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.tenant_id == tenant_id, AuditEvent.subject_id == subject_id)
        .order_by(AuditEvent.at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


@event.listens_for(Session, "before_flush")
def _append_only(session: Session, _context: object, _instances: object) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent):
            raise Conflict("AUDIT_APPEND_ONLY", "Audit events cannot be changed or deleted.")
