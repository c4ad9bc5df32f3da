"""Line, profile and line-event queries, scoped to a tenant."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from resim.line.models import EsimProfile, Line, LineEvent


def lines_of(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> list[Line]:
    stmt = (
        select(Line)
        .where(Line.tenant_id == tenant_id, Line.customer_id == customer_id)
        .order_by(Line.msisdn)
    )
    return list(session.scalars(stmt))


def by_msisdn(session: Session, tenant_id: uuid.UUID, msisdn: str) -> Line | None:
    stmt = select(Line).where(Line.tenant_id == tenant_id, Line.msisdn == msisdn)
    return session.scalar(stmt)


def lock_by_msisdn(session: Session, tenant_id: uuid.UUID, msisdn: str) -> Line | None:
    """The line, locked for update until the transaction ends (serialises state changes)."""
    stmt = select(Line).where(Line.tenant_id == tenant_id, Line.msisdn == msisdn).with_for_update()
    return session.scalar(stmt)


def profile_by_iccid(session: Session, tenant_id: uuid.UUID, iccid: str) -> EsimProfile | None:
    stmt = select(EsimProfile).where(EsimProfile.tenant_id == tenant_id, EsimProfile.iccid == iccid)
    return session.scalar(stmt)


def iccid_taken(session: Session, iccid: str) -> bool:
    return session.scalar(select(EsimProfile.id).where(EsimProfile.iccid == iccid)) is not None


def recent_events(
    session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID, limit: int
) -> list[LineEvent]:
    stmt = (
        select(LineEvent)
        .where(LineEvent.tenant_id == tenant_id, LineEvent.line_id == line_id)
        .order_by(LineEvent.seq.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def next_event_seq(session: Session, line_id: uuid.UUID) -> int:
    last = session.scalar(select(func.max(LineEvent.seq)).where(LineEvent.line_id == line_id))
    return (last or 0) + 1


def profile_by_iccid_any(session: Session, iccid: str) -> EsimProfile | None:
    return session.scalar(select(EsimProfile).where(EsimProfile.iccid == iccid))


def by_id(
    session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID, *, lock: bool = False
) -> Line | None:
    stmt = select(Line).where(Line.tenant_id == tenant_id, Line.id == line_id)
    return session.scalar(stmt.with_for_update() if lock else stmt)


def count_events(
    session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID, kind: str, since: dt.datetime
) -> int:
    stmt = select(func.count()).where(
        LineEvent.tenant_id == tenant_id,
        LineEvent.line_id == line_id,
        LineEvent.kind == kind,
        LineEvent.at >= since,
    )
    return session.scalar(stmt) or 0


def by_identifier(session: Session, tenant_id: uuid.UUID, digits: str) -> list[Line]:
    """Lines whose ICCID or IMSI is ``digits``, now or in one of their past profiles."""
    past = select(EsimProfile.line_id).where(
        EsimProfile.tenant_id == tenant_id,
        (EsimProfile.iccid == digits) | (EsimProfile.imsi == digits),
    )
    stmt = select(Line).where(
        Line.tenant_id == tenant_id,
        (Line.iccid == digits) | (Line.imsi == digits) | Line.id.in_(past),
    )
    return list(session.scalars(stmt))


def profiles_of(session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID) -> list[EsimProfile]:
    stmt = (
        select(EsimProfile)
        .where(EsimProfile.tenant_id == tenant_id, EsimProfile.line_id == line_id)
        .order_by(EsimProfile.created_at.desc())
    )
    return list(session.scalars(stmt))
