"""The agents' review of applications: the queue with its service-level timer, claims so two
agents do not work on one application, and decisions with the four-eyes rule.

An application routed ``four_eyes`` (high risk) needs two approvals by two different people,
the second by a supervisor; any rejection ends it. Nothing here changes an application's state:
the reviewers' verdict is reported to the replacement's flow, which moves it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from resim.agent import service as agents
from resim.agent.roles import Action
from resim.agent.service import AgentPrincipal
from resim.audit import service as audit
from resim.config import Settings
from resim.errors import Conflict, Forbidden, Invalid
from resim.replacement import flow, queries
from resim.replacement.models import Application
from resim.replacement.states import ApplicationState
from resim.review.models import ReviewClaim, ReviewDecision
from resim.tenant import service as tenants

MAX_NOTE = 2000


@dataclass(frozen=True)
class Filters:
    route: str | None = None  # review | four_eyes
    reason: str | None = None  # a risk reason code
    older_than_hours: int | None = None
    overdue_only: bool = False


@dataclass
class QueueItem:
    app: Application
    since: dt.datetime  # waiting for review since (the end of the confirmation window)
    due: dt.datetime
    overdue: bool
    approvals: list[str] = field(default_factory=list)  # names of who approved already
    claimed_by: str | None = None

    @property
    def approvals_needed(self) -> int:
        return 2 if self.app.route == "four_eyes" else 1


def _since(app: Application) -> dt.datetime:
    return app.confirm_until or app.submitted_at or app.created_at


def queue(
    session: Session, tenant_id: uuid.UUID, now: dt.datetime, filters: Filters | None = None
) -> list[QueueItem]:
    """Applications waiting for an agent, oldest first, with their deadline."""
    filters = filters or Filters()
    sla = dt.timedelta(minutes=tenants.policy(tenants.by_id(session, tenant_id)).review_sla_minutes)
    names = agents.names(session, tenant_id)
    decided = _approvals(session, tenant_id)
    claims = {
        c.application_id: c
        for c in session.scalars(select(ReviewClaim).where(ReviewClaim.tenant_id == tenant_id))
    }
    items = []
    for app in queries.waiting_for_review(session, tenant_id):
        since = _since(app)
        item = QueueItem(app, since, since + sla, since + sla <= now)
        item.approvals = [names.get(str(a), "?") for a in decided.get(app.id, [])]
        claim = claims.get(app.id)
        if claim is not None and claim.expires_at > now:
            item.claimed_by = names.get(str(claim.agent_id), "?")
        if filters.route and app.route != filters.route:
            continue
        if filters.reason and filters.reason not in (app.risk_reasons or []):
            continue
        if filters.older_than_hours and now - since < dt.timedelta(hours=filters.older_than_hours):
            continue
        if filters.overdue_only and not item.overdue:
            continue
        items.append(item)
    return items


def _approvals(session: Session, tenant_id: uuid.UUID) -> dict[uuid.UUID, list[uuid.UUID]]:
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    stmt = (
        select(ReviewDecision)
        .where(ReviewDecision.tenant_id == tenant_id, ReviewDecision.decision == "approve")
        .order_by(ReviewDecision.at)
    )
    for decision in session.scalars(stmt):
        found.setdefault(decision.application_id, []).append(decision.agent_id)
    return found


def decisions(session: Session, tenant_id: uuid.UUID, app_id: uuid.UUID) -> list[ReviewDecision]:
    stmt = (
        select(ReviewDecision)
        .where(ReviewDecision.tenant_id == tenant_id, ReviewDecision.application_id == app_id)
        .order_by(ReviewDecision.at)
    )
    return list(session.scalars(stmt))


def claim_of(
    session: Session, tenant_id: uuid.UUID, app_id: uuid.UUID, now: dt.datetime
) -> ReviewClaim | None:
    found = session.scalar(
        select(ReviewClaim).where(
            ReviewClaim.tenant_id == tenant_id, ReviewClaim.application_id == app_id
        )
    )
    return found if found is not None and found.expires_at > now else None


def _open(session: Session, who: AgentPrincipal, app_id: uuid.UUID) -> Application:
    app = queries.for_review(session, who.tenant_id, app_id, lock=True)
    if app.state != ApplicationState.IN_REVIEW:
        raise Conflict("NOT_IN_REVIEW", "This application is not waiting for review any more.")
    return app


def _taken(session: Session, tenant_id: uuid.UUID, claim: ReviewClaim) -> Conflict:
    name = agents.names(session, tenant_id).get(str(claim.agent_id), "?")
    return Conflict(
        "REVIEW_TAKEN", "%(name)s is already reviewing this application.", params={"name": name}
    )


def claim(
    session: Session,
    settings: Settings,
    who: AgentPrincipal,
    app_id: uuid.UUID,
    *,
    at: dt.datetime,
    ip: str,
) -> None:
    """Take the application for review; a second agent is told who has it."""
    agents.require(who, Action.DECIDE)
    app = _open(session, who, app_id)
    if who.agent_id in _approvals(session, who.tenant_id).get(app.id, []):
        raise Conflict(
            "ALREADY_APPROVED",
            "You have approved this application already: the second approval must come "
            "from someone else.",
        )
    expires = at + dt.timedelta(minutes=settings.security.review_claim_minutes)
    current = session.scalar(
        select(ReviewClaim).where(ReviewClaim.application_id == app.id).with_for_update()
    )
    if current is None:
        try:
            with session.begin_nested():
                session.add(
                    ReviewClaim(
                        tenant_id=who.tenant_id,
                        application_id=app.id,
                        agent_id=who.agent_id,
                        claimed_at=at,
                        expires_at=expires,
                    )
                )
        except IntegrityError:
            found = session.scalar(select(ReviewClaim).where(ReviewClaim.application_id == app.id))
            assert found is not None
            raise _taken(session, who.tenant_id, found) from None
    elif current.agent_id != who.agent_id and current.expires_at > at:
        raise _taken(session, who.tenant_id, current)
    else:
        current.agent_id, current.claimed_at, current.expires_at = who.agent_id, at, expires
    session.flush()
    _audit(session, who, app, "review.claimed", at, ip)


def release(
    session: Session, who: AgentPrincipal, app_id: uuid.UUID, *, at: dt.datetime, ip: str
) -> None:
    agents.require(who, Action.DECIDE)
    app = queries.for_review(session, who.tenant_id, app_id)
    current = claim_of(session, who.tenant_id, app.id, at)
    if current is not None and current.agent_id == who.agent_id:
        session.delete(current)
        session.flush()
        _audit(session, who, app, "review.released", at, ip)


def _held(session: Session, who: AgentPrincipal, app: Application, at: dt.datetime) -> ReviewClaim:
    current = claim_of(session, who.tenant_id, app.id, at)
    if current is None:
        raise Conflict("REVIEW_NOT_CLAIMED", "Take this application for review first.")
    if current.agent_id != who.agent_id:
        raise _taken(session, who.tenant_id, current)
    return current


def _note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise Invalid("NOTE_TOO_LONG", "This is too long.", field="note")
    return note


def approve(
    session: Session,
    settings: Settings,
    who: AgentPrincipal,
    app_id: uuid.UUID,
    *,
    note: str,
    at: dt.datetime,
    ip: str,
) -> bool:
    """Record an approval; True when it was the last one needed (provisioning starts)."""
    agents.require(who, Action.DECIDE)
    note = _note(note)
    app = _open(session, who, app_id)
    held = _held(session, who, app, at)
    before = _approvals(session, who.tenant_id).get(app.id, [])
    if who.agent_id in before:
        raise Conflict(
            "ALREADY_APPROVED",
            "You have approved this application already: the second approval must come "
            "from someone else.",
        )
    needed = 2 if app.route == "four_eyes" else 1
    if before and not who.can(Action.SECOND_APPROVAL):
        raise Forbidden("SUPERVISOR_NEEDED", "The second approval must come from a supervisor.")
    session.add(
        ReviewDecision(
            tenant_id=who.tenant_id,
            application_id=app.id,
            agent_id=who.agent_id,
            decision="approve",
            note=note,
            at=at,
        )
    )
    session.delete(held)
    session.flush()
    count = len(before) + 1
    _audit(session, who, app, "review.approved", at, ip, approval=count, of=needed, note=note)
    if count >= needed:
        flow.approved_by_review(session, settings.secret_bytes, app, at=at, actor=who.actor(ip))
        return True
    return False


def reject(
    session: Session,
    settings: Settings,
    who: AgentPrincipal,
    app_id: uuid.UUID,
    *,
    reason: str,
    note: str,
    at: dt.datetime,
    ip: str,
) -> None:
    agents.require(who, Action.DECIDE)
    note = _note(note)
    if reason not in queries.REJECTIONS:
        raise Invalid("REASON_UNKNOWN", "Choose one of the offered values.", field="reason")
    app = _open(session, who, app_id)
    held = _held(session, who, app, at)
    if who.agent_id in _approvals(session, who.tenant_id).get(app.id, []):
        raise Conflict("ALREADY_DECIDED", "You have decided on this application already.")
    session.add(
        ReviewDecision(
            tenant_id=who.tenant_id,
            application_id=app.id,
            agent_id=who.agent_id,
            decision="reject",
            reason=reason,
            note=note,
            at=at,
        )
    )
    session.delete(held)
    session.flush()
    _audit(session, who, app, "review.rejected", at, ip, reason=reason, note=note)
    flow.rejected_by_review(session, settings.secret_bytes, app, reason, at=at, actor=who.actor(ip))


def _audit(
    session: Session,
    who: AgentPrincipal,
    app: Application,
    action: str,
    at: dt.datetime,
    ip: str,
    **details: object,
) -> None:
    audit.record(
        session,
        tenant_id=who.tenant_id,
        actor=who.actor(ip),
        action=action,
        subject_type="application",
        subject_id=str(app.id),
        at=at,
        details=dict(details),
    )
