"""Application queries, scoped to a tenant."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from resim.replacement.models import Application, ApplicationEvent, ContactVerification
from resim.replacement.states import OPEN, ApplicationState


def by_id(
    session: Session, tenant_id: uuid.UUID, app_id: uuid.UUID, *, lock: bool = False
) -> Application | None:
    stmt = select(Application).where(Application.tenant_id == tenant_id, Application.id == app_id)
    if lock:  # what the row holds once locked, not what the session read before
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalar(stmt)


def by_objection_hash(
    session: Session, tenant_id: uuid.UUID, token_hash: str
) -> Application | None:
    stmt = select(Application).where(
        Application.tenant_id == tenant_id, Application.objection_token_hash == token_hash
    )
    return session.scalar(stmt.with_for_update())


def open_for_line(session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID) -> Application | None:
    stmt = select(Application).where(
        Application.tenant_id == tenant_id,
        Application.line_id == line_id,
        Application.state.in_(list(OPEN)),
    )
    return session.scalar(stmt)


def count_submitted(
    session: Session,
    tenant_id: uuid.UUID,
    since: dt.datetime,
    *,
    ip: str | None = None,
    document_number: str | None = None,
    customer_id: uuid.UUID | None = None,
    states: list[ApplicationState] | None = None,
) -> int:
    stmt = (
        select(func.count())
        .select_from(Application)
        .where(Application.tenant_id == tenant_id, Application.submitted_at >= since)
    )
    if ip is not None:
        stmt = stmt.where(Application.submitted_ip == ip)
    if document_number is not None:
        stmt = stmt.where(Application.document_number == document_number)
    if customer_id is not None:
        stmt = stmt.where(Application.customer_id == customer_id)
    if states is not None:
        stmt = stmt.where(Application.state.in_(states))
    return session.scalar(stmt) or 0


def in_state(session: Session, tenant_id: uuid.UUID, state: ApplicationState) -> list[Application]:
    stmt = (
        select(Application)
        .where(Application.tenant_id == tenant_id, Application.state == state)
        .order_by(Application.confirm_until, Application.submitted_at)
    )
    return list(session.scalars(stmt))


def of_customer(
    session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID
) -> list[Application]:
    stmt = (
        select(Application)
        .where(Application.tenant_id == tenant_id, Application.customer_id == customer_id)
        .order_by(Application.created_at.desc())
    )
    return list(session.scalars(stmt))


def of_line(session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID) -> list[Application]:
    stmt = (
        select(Application)
        .where(Application.tenant_id == tenant_id, Application.line_id == line_id)
        .order_by(Application.created_at.desc())
    )
    return list(session.scalars(stmt))


def events(session: Session, application_id: uuid.UUID) -> list[ApplicationEvent]:
    stmt = (
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == application_id)
        .order_by(ApplicationEvent.seq)
    )
    return list(session.scalars(stmt))


def next_seq(session: Session, application_id: uuid.UUID) -> int:
    last = session.scalar(
        select(func.max(ApplicationEvent.seq)).where(
            ApplicationEvent.application_id == application_id
        )
    )
    return (last or 0) + 1


def open_verification(
    session: Session, application_id: uuid.UUID, channel: str
) -> ContactVerification | None:
    stmt = (
        select(ContactVerification)
        .where(
            ContactVerification.application_id == application_id,
            ContactVerification.channel == channel,
            ContactVerification.used_at.is_(None),
        )
        .order_by(ContactVerification.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    return session.scalar(stmt)


def submitted_since(
    session: Session, tenant_id: uuid.UUID, since: dt.datetime
) -> list[Application]:
    stmt = select(Application).where(
        Application.tenant_id == tenant_id, Application.submitted_at >= since
    )
    return list(session.scalars(stmt))


def installed_at(session: Session, app_ids: list[uuid.UUID]) -> dict[uuid.UUID, dt.datetime]:
    """When each application reached "installed"."""
    found: dict[uuid.UUID, dt.datetime] = {}
    for start in range(0, len(app_ids), 500):
        stmt = (
            select(ApplicationEvent.application_id, func.min(ApplicationEvent.at))
            .where(
                ApplicationEvent.application_id.in_(app_ids[start : start + 500]),
                ApplicationEvent.state == ApplicationState.INSTALLED.value,
            )
            .group_by(ApplicationEvent.application_id)
        )
        found.update({row[0]: row[1] for row in session.execute(stmt)})
    return found
