"""Record who did what to which subject, in the caller's transaction, chained by hash.

Each tenant's events form a chain: event n carries the SHA-256 of event n-1 and its own,
computed over its fields in a canonical form. Appending locks the tenant's chain head, so the
chain stays linear under concurrent writers. :func:`verify` recomputes every hash and reports
the first event that was changed, removed or inserted."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from resim.audit.models import AuditChain, AuditEvent
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
    """Append an event; it commits or rolls back with the change it records. Its place in
    the tenant's chain is given at commit (see :func:`_chain`)."""
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
    session.info.setdefault(PENDING, []).append(audit_event)
    return audit_event


PENDING = "resim.audit.pending"


@event.listens_for(Session, "before_commit")
def _chain(session: Session) -> None:
    """Chain the transaction's events at its very end: the tenant's head is the last lock a
    transaction takes (tenants in a fixed order), held only until the commit, so appending
    never waits in a cycle with the locks the change itself took."""
    pending: list[AuditEvent] = session.info.pop(PENDING, [])
    if not pending:
        return
    for tenant_id in sorted({e.tenant_id for e in pending}, key=str):
        head = session.get(AuditChain, tenant_id, with_for_update=True, populate_existing=True)
        if head is None:
            head = AuditChain(tenant_id=tenant_id, seq=0, last_hash=GENESIS)
            session.add(head)
        for audit_event in (e for e in pending if e.tenant_id == tenant_id):
            audit_event.seq, audit_event.prev_hash = head.seq + 1, head.last_hash
            audit_event.hash = event_hash(audit_event)
            head.seq, head.last_hash = audit_event.seq, audit_event.hash
            session.add(audit_event)
    session.flush()


@event.listens_for(Session, "after_transaction_create")
def _mark(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:  # a savepoint: remember how many events came before it
        marks = session.info.setdefault(MARKS, {})
        marks[id(transaction)] = len(session.info.get(PENDING, []))


@event.listens_for(Session, "after_soft_rollback")
def _forget_savepoint(session: Session, previous: SessionTransaction) -> None:
    """A rolled-back transaction takes its events with it; a savepoint, those since it began."""
    mark = session.info.get(MARKS, {}).pop(id(previous), None)
    if not previous.nested:
        session.info.pop(PENDING, None)
    elif mark is not None and PENDING in session.info:
        del session.info[PENDING][mark:]


@event.listens_for(Session, "after_transaction_end")
def _end(session: Session, transaction: SessionTransaction) -> None:
    """However the outermost transaction ended (commit, rollback, close), nothing carries on."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)
        session.info.pop(MARKS, None)


MARKS = "resim.audit.savepoints"


GENESIS = "0" * 64


def event_hash(found: AuditEvent) -> str:
    """SHA-256 over the previous hash and the event's fields, in one canonical JSON form."""
    at = found.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    fields = [
        str(found.tenant_id),
        found.seq,
        at,
        found.actor_type,
        found.actor_id,
        found.ip,
        found.action,
        found.subject_type,
        found.subject_id,
        found.details,
    ]
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((found.prev_hash + canonical).encode()).hexdigest()


@dataclass(frozen=True)
class Broken:
    tenant_id: uuid.UUID
    seq: int  # the first event (by position) where the chain does not hold
    why: str


def verify(session: Session, tenant_id: uuid.UUID) -> Broken | None:
    """Walk one tenant's chain from the start; None when every link holds."""
    previous, expected_seq = GENESIS, 1
    stmt = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id).order_by(AuditEvent.seq)
    for found in session.scalars(stmt.execution_options(yield_per=1000)):
        if found.seq != expected_seq:
            return Broken(tenant_id, expected_seq, "an event is missing")
        if found.prev_hash != previous:
            return Broken(tenant_id, found.seq, "it does not follow the event before it")
        if event_hash(found) != found.hash:
            return Broken(tenant_id, found.seq, "its content was changed")
        previous, expected_seq = found.hash, expected_seq + 1
    head = session.get(AuditChain, tenant_id)
    if head is not None and (head.seq, head.last_hash) != (expected_seq - 1, previous):
        return Broken(tenant_id, expected_seq, "events at the end are missing")
    return None


@dataclass(frozen=True)
class Search:
    action: str | None = None  # a prefix: "review." finds every review event
    actor_id: str | None = None
    subject_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def search(
    session: Session, tenant_id: uuid.UUID, query: Search, *, limit: int | None = 200
) -> list[AuditEvent]:
    """The tenant's events matching every given field, newest first."""
    stmt = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
    if query.action:
        stmt = stmt.where(AuditEvent.action.startswith(query.action, autoescape=True))
    if query.actor_id:
        stmt = stmt.where(AuditEvent.actor_id == query.actor_id)
    if query.subject_id:
        stmt = stmt.where(AuditEvent.subject_id == query.subject_id)
    if query.since:
        stmt = stmt.where(AuditEvent.at >= query.since)
    if query.until:
        stmt = stmt.where(AuditEvent.at < query.until)
    stmt = stmt.order_by(AuditEvent.seq.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt.execution_options(yield_per=1000)))


@event.listens_for(Session, "before_flush")
def _append_only(session: Session, _context: object, _instances: object) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent):
            raise Conflict("AUDIT_APPEND_ONLY", "Audit events cannot be changed or deleted.")
