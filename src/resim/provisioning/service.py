"""The provisioning workflow: a new profile for a line, ordered and put on the network.

A step that calls another system is one job: it reads the provisioning row, does its
external call, and in the same transaction records where it got to and enqueues the next
step, so a crash at any point leaves either the step to run again or the next one queued.
Steps that touch nothing but resim's own database (the subscriber steps on the embedded
registry, the finish) join the transaction of the step before them: no crash can fall
between them. Steps are idempotent by
state: ES2+ calls reuse the functionCallIdentifier written when the provisioning began (the
SM-DP+ answers a retry as it answered the first call), and HLR steps look at the HLR before
changing it. A step that fails for good turns the workflow to COMPENSATE, which undoes what
was done (the old pairing back, cancelOrder) and the round ends failed with the reason.

Provisioning does not know what an application is: it provisions a line for a round
(``application_id`` is an opaque reference) and reports back, as an :data:`Outcome`, whether
the round is still going, done, or failed and why. The replacement's flow decides what that
means for the application.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.camara import subscriptions as swap_events
from resim.config import JobsSettings
from resim.errors import IntegrationError
from resim.integrations.calls import CallRecord, Observer
from resim.integrations.es2plus.port import Es2Plus, Es2PlusError
from resim.integrations.es2plus.protocol import FinalProfileStatus
from resim.integrations.hlr.port import SubscriberDb
from resim.jobs.registry import JobType, Payload
from resim.jobs.retry import backoff_seconds
from resim.kit.activation_code import ActivationCode
from resim.kit.clock import Clock
from resim.kit.crypto import KeyRing, keyed_hash
from resim.line import service as lines
from resim.line.models import ProfileState
from resim.provisioning import inventory
from resim.provisioning.models import ExternalCall, Provisioning, Step
from resim.provisioning.outcomes import ONGOING as ONGOING
from resim.provisioning.outcomes import Done as Done
from resim.provisioning.outcomes import Failed as Failed
from resim.provisioning.outcomes import Ongoing as Ongoing
from resim.provisioning.outcomes import Order as Order
from resim.provisioning.outcomes import Outcome as Outcome
from resim.tenant import service as tenants


class StepRef(Payload):
    provisioning_id: uuid.UUID
    step: str  # the step this job is for: a job for a step already done is stale


# One step of a provisioning; the next one, due at once, runs in the same claim.
STEP = JobType("provisioning.step", StepRef, chain=True)


@dataclass(frozen=True)
class Ports:
    smdp: Callable[[Observer], Es2Plus]  # the SM-DP+ for one step, recording each call
    hlr: Callable[[Session, Observer], SubscriberDb]
    keyring: KeyRing
    clock: Clock
    jobs: JobsSettings
    secret: bytes  # derives the confirmation code; seals the flow's e-mails to the holder
    smdp_address: str  # put in the activation code when the SM-DP+ does not say its own
    # Whoever runs a step hands its outcome here, in the step's transaction (the composition
    # root wires the replacement's flow): provisioning itself never moves an application.
    report: Callable[[Session, Outcome], None]
    public_url: str = ""  # where banks reach resim: the source of SIM swap events


class StepFailed(Exception):
    """A step cannot succeed, whatever the retries: compensate."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def start(session: Session, ports: Ports, order: Order) -> Provisioning | Failed:
    """A round's provisioning, once: the first step queued. ``Failed("LINE_BUSY")`` when
    another provisioning runs on the line. A later round starts from the line's current
    profile (the caller decides when a round is due)."""
    at = ports.clock.now()
    found = of_round(session, order.application_id, order.round)
    if found is not None:
        return found  # this job ran before its completion was recorded
    line = lines.get_line(session, order.tenant_id, order.line_id)
    busy = session.scalar(select(Provisioning).where(Provisioning.active_line_id == line.id))
    if busy is not None:
        return Failed(order.tenant_id, order.application_id, "LINE_BUSY", at)
    policy = tenants.policy(tenants.by_id(session, order.tenant_id))
    prov = Provisioning(
        tenant_id=order.tenant_id,
        application_id=order.application_id,
        round=order.round,
        line_id=line.id,
        active_line_id=line.id,
        step=Step.ORDER,
        msisdn=line.msisdn,
        old_iccid=line.iccid,
        old_imsi=line.imsi,
        profile_type=policy.profile_type,
        download_call_id=str(uuid.uuid4()),
        confirm_call_id=str(uuid.uuid4()),
        cancel_call_id=str(uuid.uuid4()),
        tries=0,
        created_at=at,
        updated_at=at,
    )
    session.add(prov)
    session.flush()  # a second provisioning for the line breaks the unique active_line_id
    _next(session, prov, at)
    return prov


def advance(session: Session, ports: Ports, prov_id: uuid.UUID, expected: str) -> Outcome:
    """Job: run the provisioning's current step; say whether the round is done or failed."""
    prov = session.get(Provisioning, prov_id, with_for_update=True)
    if prov is None or prov.step != expected:
        return ONGOING  # a stale job: the step it was for is done
    at = ports.clock.now()
    calls: list[CallRecord] = []
    outcome: Outcome | None = None
    try:
        while outcome is None:
            try:
                following = STEPS[Step(prov.step)](session, ports, prov, calls.append, at)
            except (IntegrationError, StepFailed) as exc:
                outcome = _failed(session, ports, prov, exc, at)
            else:
                outcome = _went_on(session, ports, prov, following, at)
    finally:
        _record(session, prov, calls, at)
    return outcome


def _went_on(
    session: Session, ports: Ports, prov: Provisioning, following: Step, at: dt.datetime
) -> Outcome | None:
    """Record a step's success: the round's end, the next step queued, or None when the
    next step touches only this database and joins this transaction."""
    prov.step, prov.tries, prov.last_error = following, 0, None
    if following in (Step.DONE, Step.FAILED):
        prov.active_line_id, prov.finished_at = None, at
        return _done(prov, at) if following == Step.DONE else _failure(prov, at)
    if _local(session, ports, following):
        return None
    _next(session, prov, at)
    return ONGOING


# Steps that call nothing but the subscriber database (and resim's own tables).
HLR_ONLY = frozenset({Step.HLR_CREATE, Step.HLR_MOVE, Step.HLR_RETIRE})


def _local(session: Session, ports: Ports, step: Step) -> bool:
    """Whether ``step`` can run in the current transaction: it calls no other system
    (finish), or only a subscriber database that commits with it (resim's registry)."""
    if step == Step.FINISH:
        return True
    return step in HLR_ONLY and ports.hlr(session, lambda _call: None).in_transaction


def _done(prov: Provisioning, at: dt.datetime) -> Done:
    iccid, imsi = _new(prov)
    return Done(prov.tenant_id, prov.application_id, prov.round, iccid, imsi, at)


def _failure(prov: Provisioning, at: dt.datetime) -> Failed:
    reason = prov.failure_reason or "PROVISIONING_FAILED"
    return Failed(prov.tenant_id, prov.application_id, reason, at)


def _record(session: Session, prov: Provisioning, calls: list[CallRecord], at: dt.datetime) -> None:
    prov.updated_at = at
    for call in calls:
        session.add(
            ExternalCall(
                tenant_id=prov.tenant_id,
                provisioning_id=prov.id,
                system=call.system,
                operation=call.operation,
                key=call.key,
                outcome=call.outcome,
                duration_ms=call.duration_ms,
                response=call.response,
                at=at,
            )
        )
    session.flush()


def _next(session: Session, prov: Provisioning, at: dt.datetime, delay: float = 0) -> None:
    STEP.enqueue(
        session,
        StepRef(provisioning_id=prov.id, step=prov.step),
        at=at,
        tenant_id=prov.tenant_id,
        run_after=at + dt.timedelta(seconds=delay),
    )


def _failed(
    session: Session, ports: Ports, prov: Provisioning, exc: Exception, at: dt.datetime
) -> Outcome:
    prov.tries += 1
    prov.last_error = (
        f"{exc.system}: {exc.detail}" if isinstance(exc, IntegrationError) else str(exc)
    )
    transient = isinstance(exc, IntegrationError) and exc.transient
    compensating = prov.step == Step.COMPENSATE
    if transient and (compensating or prov.tries < ports.jobs.step_max_tries):
        # Undoing must finish: it retries until the other system is back, at the capped delay.
        delay = backoff_seconds(
            prov.tries, base=ports.jobs.backoff_base_seconds, cap=ports.jobs.backoff_max_seconds
        )
        _next(session, prov, at, delay)
        return ONGOING
    if compensating:  # the undo itself was refused: an agent must look
        prov.step, prov.active_line_id, prov.finished_at = Step.FAILED, None, at
        audit.record(
            session,
            tenant_id=prov.tenant_id,
            actor=audit.SYSTEM,
            action="provisioning.compensation_failed",
            subject_type="provisioning",
            subject_id=str(prov.id),
            at=at,
            details={"error": prov.last_error or ""},
        )
        return _failure(prov, at)
    prov.failure_reason = _reason(exc, prov.step)
    prov.step, prov.tries = Step.COMPENSATE, 0
    _next(session, prov, at)
    return ONGOING


def _reason(exc: Exception, step: str) -> str:
    if isinstance(exc, StepFailed):
        return exc.reason
    assert isinstance(exc, IntegrationError)
    system = "SMDP" if exc.system == "smdp" else "HLR"
    return f"{system}_{'UNAVAILABLE' if exc.transient else 'REFUSED'}"


# The steps: each returns the step that follows.


def _new(prov: Provisioning) -> tuple[str, str]:
    """The ordered profile's ICCID and IMSI, known from the ORDER step on."""
    if prov.new_iccid is None or prov.new_imsi is None:
        raise StepFailed("PROFILE_NOT_ORDERED")
    return prov.new_iccid, prov.new_imsi


StepFn = Callable[[Session, Ports, Provisioning, Observer, dt.datetime], Step]


def _order(
    session: Session, ports: Ports, prov: Provisioning, see: Observer, at: dt.datetime
) -> Step:
    if prov.new_iccid is None:
        prov.new_iccid = ports.smdp(see).download_order(
            prov.download_call_id, profile_type=prov.profile_type
        )
    stocked = inventory.take(session, ports.keyring, prov.new_iccid, at)
    if stocked is None:
        raise StepFailed("PROFILE_NOT_IN_STOCK")
    prov.new_imsi = stocked.imsi
    return Step.CONFIRM


def _confirm(
    session: Session, ports: Ports, prov: Provisioning, see: Observer, at: dt.datetime
) -> Step:
    iccid, imsi = _new(prov)
    policy = tenants.policy(tenants.by_id(session, prov.tenant_id))
    # The same code on every retry of this call: derived from the call's own identifier.
    confirmation = (
        _confirmation_code(ports.secret, prov.confirm_call_id) if policy.confirmation_code else None
    )
    confirmed = ports.smdp(see).confirm_order(
        prov.confirm_call_id, iccid=iccid, release_flag=True, confirmation_code=confirmation
    )
    prov.smdp_address = confirmed.smdp_address or ports.smdp_address
    code = ActivationCode(prov.smdp_address, confirmed.matching_id, None, confirmation is not None)
    prov.code_key_id, prov.activation_code = ports.keyring.encrypt(code.lpa.encode(), prov.id.bytes)
    if confirmation is not None:
        _key, prov.confirmation_code = ports.keyring.encrypt(
            confirmation.encode(), prov.id.bytes + b"confirmation"
        )
    line = lines.get_line(session, prov.tenant_id, prov.line_id)
    lines.add_profile(session, line, iccid=iccid, imsi=imsi, state=ProfileState.RELEASED, at=at)
    return Step.HLR_CREATE


def _hlr_create(
    session: Session, ports: Ports, prov: Provisioning, see: Observer, at: dt.datetime
) -> Step:
    iccid, imsi = _new(prov)
    stocked = inventory.take(session, ports.keyring, iccid, at)
    if stocked is None:
        raise StepFailed("PROFILE_NOT_IN_STOCK")
    ports.hlr(session, see).create(imsi, iccid=iccid, ki=stocked.ki, opc=stocked.opc)
    return Step.HLR_MOVE


def _hlr_move(
    session: Session, ports: Ports, prov: Provisioning, see: Observer, at: dt.datetime
) -> Step:
    """Clear the old pairing, then set the new one: never two IMSIs on the number."""
    _iccid, imsi = _new(prov)
    hlr = ports.hlr(session, see)
    owner = hlr.owner_of(prov.msisdn)
    if owner == imsi:
        return Step.HLR_RETIRE
    if owner is not None and owner != prov.old_imsi:
        raise StepFailed("NUMBER_ON_ANOTHER_IMSI")
    if owner == prov.old_imsi:
        hlr.set_msisdn(prov.old_imsi, None)
    hlr.set_msisdn(imsi, prov.msisdn)
    return Step.HLR_RETIRE


def _hlr_retire(
    session: Session, ports: Ports, prov: Provisioning, see: Observer, at: dt.datetime
) -> Step:
    hlr = ports.hlr(session, see)
    old = hlr.get(prov.old_imsi)
    if old is not None:
        if old.enabled:
            hlr.set_enabled(prov.old_imsi, False)
        hlr.delete(prov.old_imsi)
    return Step.FINISH


def _finish(
    session: Session, ports: Ports, prov: Provisioning, see: Observer, at: dt.datetime
) -> Step:
    iccid, imsi = _new(prov)
    lines.change_sim(
        session,
        prov.tenant_id,
        prov.line_id,
        iccid=iccid,
        imsi=imsi,
        at=at,
        actor=audit.SYSTEM,
        application_id=str(prov.application_id),
    )
    swap_events.on_sim_change(
        session, prov.tenant_id, prov.line_id, at, swap_events.source(ports.public_url)
    )
    return Step.DONE


def _compensate(
    session: Session, ports: Ports, prov: Provisioning, see: Observer, at: dt.datetime
) -> Step:
    """Undo in reverse: the number back on the old IMSI, the new subscriber gone, the order
    cancelled on the SM-DP+ (its profile Available again); the round ends failed."""
    if prov.new_imsi is not None:
        hlr = ports.hlr(session, see)
        old = hlr.get(prov.old_imsi)
        owner = hlr.owner_of(prov.msisdn)
        if old is None and owner == prov.new_imsi:
            return Step.FINISH  # the old IMSI is gone already: forward is the only way
        if owner == prov.new_imsi:
            hlr.set_msisdn(prov.new_imsi, None)
            owner = None
        if old is not None:
            if owner is None:  # a number on a third IMSI was never ours to move: left alone
                hlr.set_msisdn(prov.old_imsi, prov.msisdn)
            if not old.enabled:
                hlr.set_enabled(prov.old_imsi, True)
        hlr.delete(prov.new_imsi)
    if prov.new_iccid is not None:
        try:
            ports.smdp(see).cancel_order(
                prov.cancel_call_id,
                iccid=prov.new_iccid,
                final_status=FinalProfileStatus.AVAILABLE,
            )
            inventory.put_back(session, prov.new_iccid)
        except Es2PlusError as exc:
            if exc.transient:
                raise
            # Not cancellable (already cancelled, or downloaded): the profile stays used.
        lines.drop_profile(session, prov.tenant_id, prov.new_iccid)
        prov.activation_code = prov.code_key_id = None
    return Step.FAILED


STEPS: dict[Step, StepFn] = {
    Step.ORDER: _order,
    Step.CONFIRM: _confirm,
    Step.HLR_CREATE: _hlr_create,
    Step.HLR_MOVE: _hlr_move,
    Step.HLR_RETIRE: _hlr_retire,
    Step.FINISH: _finish,
    Step.COMPENSATE: _compensate,
}


def for_application(session: Session, app_id: uuid.UUID) -> Provisioning | None:
    """The application's latest round."""
    stmt = select(Provisioning).where(Provisioning.application_id == app_id)
    return session.scalar(stmt.order_by(Provisioning.round.desc()).limit(1))


def of_round(session: Session, app_id: uuid.UUID, round_: int) -> Provisioning | None:
    return session.scalar(
        select(Provisioning).where(
            Provisioning.application_id == app_id, Provisioning.round == round_
        )
    )


def done_with(session: Session, iccid: str) -> Provisioning | None:
    """The latest finished round whose new profile is this one."""
    return session.scalar(
        select(Provisioning)
        .where(Provisioning.new_iccid == iccid, Provisioning.step == Step.DONE)
        .order_by(Provisioning.round.desc())
        .limit(1)
    )


def activation_code(keyring: KeyRing, prov: Provisioning) -> ActivationCode | None:
    """The round's activation code (``LPA:1$address$matchingId``): a secret, never logged."""
    if prov.activation_code is None or prov.code_key_id is None:
        return None
    text = keyring.decrypt(prov.code_key_id, prov.activation_code, prov.id.bytes).decode()
    return ActivationCode.parse(text)


def confirmation_code(keyring: KeyRing, prov: Provisioning) -> str | None:
    """The confirmation code the device must present, where the tenant uses one."""
    if prov.confirmation_code is None or prov.code_key_id is None:
        return None
    aad = prov.id.bytes + b"confirmation"
    return keyring.decrypt(prov.code_key_id, prov.confirmation_code, aad).decode()


def _confirmation_code(secret: bytes, call_id: str) -> str:
    """Eight digits, the same for every retry of one confirmOrder call."""
    digest = keyed_hash(secret, "confirmation-code", call_id)
    return f"{int(digest, 16) % 10**8:08d}"


def release(session: Session, ports: Ports, prov: Provisioning, at: dt.datetime) -> bool:
    """Cancel a finished round's profile that was never installed (its code expired, or its
    installation failed): cancelOrder with Unavailable, so it is never handed out again.
    False when the SM-DP+ refuses because the device has it already."""
    if prov.step != Step.DONE or prov.new_iccid is None:
        return False
    calls: list[CallRecord] = []
    try:
        ports.smdp(calls.append).cancel_order(
            prov.cancel_call_id,
            iccid=prov.new_iccid,
            final_status=FinalProfileStatus.UNAVAILABLE,
        )
    except Es2PlusError as exc:
        if exc.transient:
            raise
        return False
    finally:
        _record(session, prov, calls, at)
    lines.cancel_profile(session, prov.tenant_id, prov.new_iccid, at=at)
    prov.activation_code = prov.confirmation_code = None
    return True


def calls_of(session: Session, prov_id: uuid.UUID) -> list[ExternalCall]:
    stmt = select(ExternalCall).where(ExternalCall.provisioning_id == prov_id)
    return list(session.scalars(stmt.order_by(ExternalCall.at)))
