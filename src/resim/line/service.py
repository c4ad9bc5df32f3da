"""Lines: their status, and the customer's one-tap suspension and reactivation.

Step 1 of the process (PRODUCT.md): check the status; suspend a lost line at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.customer import service as customers
from resim.errors import Conflict, Invalid, NotFound
from resim.kit.telecom import InvalidIdentifier, Msisdn
from resim.line import repository
from resim.line.models import (
    DeviceState,
    EsimProfile,
    Line,
    LineEvent,
    LineEventKind,
    LineState,
    ProfileState,
)
from resim.line.schemas import NewLine, ReactivateReason, SuspendReason, SystemReason
from resim.registry import service as registry
from resim.tenant import service as tenants
from resim.tenant.models import Plan


@dataclass(frozen=True)
class LineOverview:
    """Everything the status page shows of one line."""

    line: Line
    plan: Plan
    profile: EsimProfile | None
    events: list[LineEvent]


def create(
    session: Session,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    data: NewLine,
    *,
    at: dt.datetime,
    actor: audit.Actor,
) -> Line:
    """Register an existing line with its installed profile (import, demo, onboarding)."""
    plan = tenants.plan_by_code(session, tenant_id, data.plan_code)
    if plan is None:
        raise Invalid("PLAN_NOT_FOUND", "This plan does not exist.", field="plan_code")
    if repository.by_msisdn(session, tenant_id, data.msisdn) is not None:
        raise Conflict("MSISDN_EXISTS", "This number is already registered.", field="msisdn")
    if repository.iccid_taken(session, data.iccid):
        raise Conflict("ICCID_EXISTS", "This ICCID is already registered.", field="iccid")
    line = Line(
        tenant_id=tenant_id,
        customer_id=customer_id,
        msisdn=data.msisdn,
        iccid=data.iccid,
        imsi=data.imsi,
        eid=data.eid,
        plan_id=plan.id,
        plan_valid_until=data.plan_valid_until,
        billing=data.billing,
        credit_cents=data.credit_cents,
        reseller_order=data.reseller_order,
        ported_in_on=data.ported_in_on,
        state=LineState(data.state),
        state_changed_at=at,
        created_at=at,
    )
    session.add(line)
    session.flush()
    session.add(
        EsimProfile(
            tenant_id=tenant_id,
            line_id=line.id,
            iccid=data.iccid,
            imsi=data.imsi,
            matching_id=None,
            state=ProfileState.INSTALLED,
            device_state=DeviceState.ENABLED if data.state == "active" else DeviceState.UNKNOWN,
            created_at=at,
            updated_at=at,
        )
    )
    registry.register(session, imsi=data.imsi, iccid=data.iccid, msisdn=data.msisdn, at=at)
    _event(session, line, LineEventKind.ACTIVATED, at, actor, None, {"imsi": data.imsi})
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="line.created",
        subject_type="line",
        subject_id=str(line.id),
        at=at,
        details={"msisdn": data.msisdn},
    )
    return line


def overview(
    session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, events: int = 5
) -> list[LineOverview]:
    return [
        _overview(session, line, events)
        for line in repository.lines_of(session, tenant_id, customer_id)
    ]


def line_overview(
    session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, msisdn: str, events: int = 20
) -> LineOverview:
    return _overview(session, owned_line(session, tenant_id, customer_id, msisdn), events)


def owned_line(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, msisdn: str) -> Line:
    """The customer's line with this number; someone else's line is simply not found."""
    line = repository.by_msisdn(session, tenant_id, msisdn)
    if line is None or line.customer_id != customer_id:
        raise NotFound("LINE_NOT_FOUND", "You have no line with this number.")
    return line


def suspend(
    session: Session,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    msisdn: str,
    reason: SuspendReason,
    *,
    at: dt.datetime,
    actor: audit.Actor,
) -> Line:
    line = _locked_owned(session, tenant_id, customer_id, msisdn)
    if line.state == LineState.SUSPENDED:
        raise Conflict("LINE_ALREADY_SUSPENDED", "This line is already suspended.")
    if line.state == LineState.CEASED:
        raise Conflict("LINE_CEASED", "This line has been ceased.")
    return _change_state(
        session, line, LineState.SUSPENDED, LineEventKind.SUSPENDED, reason, at, actor
    )


def reactivate(
    session: Session,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    msisdn: str,
    reason: ReactivateReason,
    *,
    at: dt.datetime,
    actor: audit.Actor,
) -> Line:
    line = _locked_owned(session, tenant_id, customer_id, msisdn)
    if line.state == LineState.ACTIVE:
        raise Conflict("LINE_ALREADY_ACTIVE", "This line is already active.")
    if line.state == LineState.CEASED:
        raise Conflict("LINE_CEASED", "This line has been ceased.")
    return _change_state(
        session, line, LineState.ACTIVE, LineEventKind.REACTIVATED, reason, at, actor
    )


def _locked_owned(
    session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, msisdn: str
) -> Line:
    line = repository.lock_by_msisdn(session, tenant_id, msisdn)
    if line is None or line.customer_id != customer_id:
        raise NotFound("LINE_NOT_FOUND", "You have no line with this number.")
    return line


def _change_state(
    session: Session,
    line: Line,
    state: LineState,
    kind: LineEventKind,
    reason: SuspendReason | ReactivateReason | SystemReason,
    at: dt.datetime,
    actor: audit.Actor,
) -> Line:
    previous = line.state
    line.state = state
    line.state_changed_at = at
    _event(session, line, kind, at, actor, reason.value, {})
    audit.record(
        session,
        tenant_id=line.tenant_id,
        actor=actor,
        action=f"line.{kind.value}",
        subject_type="line",
        subject_id=str(line.id),
        at=at,
        details={"from": previous.value, "to": state.value, "reason": reason.value},
    )
    return line


def _event(
    session: Session,
    line: Line,
    kind: LineEventKind,
    at: dt.datetime,
    actor: audit.Actor,
    reason: str | None,
    details: dict[str, str],
) -> None:
    session.add(
        LineEvent(
            tenant_id=line.tenant_id,
            line_id=line.id,
            seq=repository.next_event_seq(session, line.id),
            kind=kind,
            at=at,
            actor=actor.type,
            reason=reason,
            details=details,
        )
    )
    session.flush()


def _overview(session: Session, line: Line, events: int) -> LineOverview:
    return LineOverview(
        line=line,
        plan=tenants.plan(session, line.tenant_id, line.plan_id),
        profile=repository.profile_by_iccid(session, line.tenant_id, line.iccid),
        events=repository.recent_events(session, line.tenant_id, line.id, events),
    )


def find_line(session: Session, tenant_id: uuid.UUID, msisdn: str) -> Line | None:
    """The tenant's line with this number, whoever holds it (for holder checks)."""
    return repository.by_msisdn(session, tenant_id, msisdn)


def get_line(session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID) -> Line:
    line = repository.by_id(session, tenant_id, line_id)
    if line is None:
        raise NotFound("LINE_NOT_FOUND", "You have no line with this number.")
    return line


def sim_changes_since(session: Session, line: Line, since: dt.datetime) -> int:
    return repository.count_events(
        session, line.tenant_id, line.id, LineEventKind.SIM_CHANGED, since
    )


def count_lines(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> int:
    return len(repository.lines_of(session, tenant_id, customer_id))


def record_sim_change(session: Session, line: Line, *, at: dt.datetime, actor: audit.Actor) -> None:
    """Note that the line's current profile replaced another at ``at`` (imports, demo data)."""
    _event(session, line, LineEventKind.SIM_CHANGED, at, actor, None, {"iccid": line.iccid})


def add_profile(
    session: Session, line: Line, *, iccid: str, imsi: str, state: ProfileState, at: dt.datetime
) -> EsimProfile:
    """A new profile ordered for the line; it becomes the line's at the SIM change."""
    found = repository.profile_by_iccid(session, line.tenant_id, iccid)
    if found is not None:
        found.state, found.updated_at = state, at
        return found
    profile = EsimProfile(
        tenant_id=line.tenant_id,
        line_id=line.id,
        iccid=iccid,
        imsi=imsi,
        matching_id=None,
        state=state,
        device_state=DeviceState.UNKNOWN,
        created_at=at,
        updated_at=at,
    )
    session.add(profile)
    session.flush()
    return profile


def drop_profile(session: Session, tenant_id: uuid.UUID, iccid: str) -> None:
    """A cancelled order's profile was never the line's: forget it."""
    found = repository.profile_by_iccid(session, tenant_id, iccid)
    if found is not None and found.state != ProfileState.INSTALLED:
        session.delete(found)
        session.flush()


def cancel_profile(session: Session, tenant_id: uuid.UUID, iccid: str, *, at: dt.datetime) -> None:
    """The SM-DP+ cancelled the order of a profile never installed: it is Unavailable."""
    found = repository.profile_by_iccid(session, tenant_id, iccid)
    if found is not None and found.state != ProfileState.INSTALLED:
        found.state = ProfileState.UNAVAILABLE
        found.updated_at = at
        session.flush()


def change_sim(
    session: Session,
    tenant_id: uuid.UUID,
    line_id: uuid.UUID,
    *,
    iccid: str,
    imsi: str,
    at: dt.datetime,
    actor: audit.Actor,
    application_id: str,
) -> Line:
    """The number now lives on the new profile: the old one is retired, and the SIM change is
    recorded with its time (the CAMARA SIM Swap API reads it). Number, plan and credit stay."""
    line = repository.by_id(session, tenant_id, line_id, lock=True)
    if line is None:
        raise NotFound("LINE_NOT_FOUND", "You have no line with this number.")
    if line.iccid == iccid:
        return line
    old = repository.profile_by_iccid(session, tenant_id, line.iccid)
    if old is not None:
        old.state, old.updated_at = ProfileState.UNAVAILABLE, at
    previous = {"old_iccid": line.iccid, "old_imsi": line.imsi}
    line.iccid, line.imsi, line.eid = iccid, imsi, None
    details = {**previous, "iccid": iccid, "imsi": imsi, "application": application_id}
    _event(session, line, LineEventKind.SIM_CHANGED, at, actor, "replacement", details)
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="line.sim_changed",
        subject_type="line",
        subject_id=str(line.id),
        at=at,
        details=details,
    )
    return line


def profile_anywhere(session: Session, iccid: str) -> EsimProfile | None:
    """A profile by ICCID whatever its tenant (ICCIDs are unique worldwide)."""
    return repository.profile_by_iccid_any(session, iccid)


def lift_suspension(session: Session, line: Line, *, at: dt.datetime, actor: audit.Actor) -> None:
    """The new eSIM is installed: a line suspended for the loss works again."""
    if line.state == LineState.SUSPENDED:
        _change_state(
            session,
            line,
            LineState.ACTIVE,
            LineEventKind.REACTIVATED,
            SystemReason.NEW_ESIM,
            at,
            actor,
        )


def search(session: Session, tenant_id: uuid.UUID, query: str) -> list[Line]:
    """Lines of the tenant by number, ICCID, IMSI (current or past profile), the holder's
    e-mail or codice fiscale. Empty for a query that names nothing."""
    text = query.strip()
    if not text:
        return []
    found: dict[uuid.UUID, Line] = {}
    if "@" in text:
        holder = customers.find_by_email(session, tenant_id, text.lower())
        if holder is not None:
            found.update((ln.id, ln) for ln in repository.lines_of(session, tenant_id, holder.id))
        return list(found.values())
    compact = text.replace(" ", "").upper()
    if len(compact) == 16 and compact[:6].isalpha():
        holder = customers.find_by_codice_fiscale(session, tenant_id, compact)
        if holder is not None:
            found.update((ln.id, ln) for ln in repository.lines_of(session, tenant_id, holder.id))
        return list(found.values())
    try:
        number = Msisdn(text)
    except InvalidIdentifier:
        number = None
    if number is not None:
        line = repository.by_msisdn(session, tenant_id, str(number))
        if line is not None:
            found[line.id] = line
    if compact.isdigit():
        found.update((ln.id, ln) for ln in repository.by_identifier(session, tenant_id, compact))
    return list(found.values())


def history(
    session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID, limit: int = 200
) -> list[LineEvent]:
    """The line's events, newest first (activations, suspensions, SIM changes)."""
    return repository.recent_events(session, tenant_id, line_id, limit)


def profiles(session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID) -> list[EsimProfile]:
    return repository.profiles_of(session, tenant_id, line_id)


def change_state_by_staff(
    session: Session,
    tenant_id: uuid.UUID,
    line_id: uuid.UUID,
    reason: SuspendReason | ReactivateReason,
    *,
    at: dt.datetime,
    actor: audit.Actor,
) -> Line:
    """An agent suspends (a suspension reason) or reactivates (a reactivation reason) a line,
    for instance when the holder calls."""
    line = get_line(session, tenant_id, line_id)
    if isinstance(reason, SuspendReason):
        return suspend(
            session, tenant_id, line.customer_id, line.msisdn, reason, at=at, actor=actor
        )
    return reactivate(session, tenant_id, line.customer_id, line.msisdn, reason, at=at, actor=actor)
