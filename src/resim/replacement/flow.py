"""The replacement's lifecycle: the one module that moves an application from state to state.

The states and the allowed steps are one table (:mod:`resim.replacement.states`); only
:func:`_move` here applies it. Every lifecycle decision is taken here: the end of the AGCOM
window, the reviewers' verdict, a withdrawal or an objection, a provisioning round started,
done or failed, a code expired or asked for again, the profile downloaded, installed or not.
The services this calls (provisioning, delivery, billing) report back by their return values
and never touch the application: provisioning's step job hands its outcome to
:func:`provisioning_reported` through its ``Ports.report``, wired by :mod:`resim.tasks`; the
SM-DP+'s notifications come through :func:`profile_notified`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.billing import service as billing
from resim.config import Settings
from resim.delivery import schedule as delivery_books
from resim.delivery import service as delivery
from resim.errors import Conflict, Invalid, NotFound
from resim.jobs.registry import JobType, Payload
from resim.kit.crypto import keyed_hash
from resim.line import service as lines
from resim.provisioning import notifications
from resim.provisioning import service as provisioning
from resim.replacement import handover, notices, queries, repository, timeline
from resim.replacement.models import Application
from resim.replacement.states import ApplicationState, transition
from resim.tenant.models import Tenant

S = ApplicationState

# Each job is handled in resim.replacement.tasks.


class AppRef(Payload):
    application_id: uuid.UUID


class Expiry(AppRef):
    expires_at: str  # the expiry this job was queued for (a later renewal makes it stale)


class LinkOn(AppRef):
    channel: str  # email | sms


class NewRound(AppRef):
    round: int


# The lifecycle's jobs; a step due at once runs in the same claim as the one before it.
WINDOW_ENDS = JobType("replacement.window_ends", AppRef, chain=True)  # AGCOM window over
# The first provisioning round; the next three were delivery's and provisioning's jobs.
PROVISION = JobType("replacement.provision", AppRef, chain=True, formerly=("provisioning.start",))
CODE_EXPIRES = JobType("replacement.code_expires", Expiry, formerly=("delivery.expire",))
SEND_LINK = JobType("replacement.send_link", LinkOn, formerly=("delivery.send_link",))
REISSUE = JobType("replacement.reissue", NewRound, chain=True, formerly=("delivery.reissue",))

OBJECTION_WORDS = {"NO", "STOP", "NON", "不"}


def _move(
    session: Session,
    app: Application,
    target: ApplicationState,
    at: dt.datetime,
    actor: audit.Actor,
    **details: Any,
) -> None:
    """The only change of an application's state: allowed by the table, on the timeline,
    audited."""
    previous = app.state
    app.state = transition(app.state, target)
    app.updated_at = at
    timeline.record(session, app, at, actor.type, **details)
    audit.record(
        session,
        tenant_id=app.tenant_id,
        actor=actor,
        action=f"replacement.{target.value}",
        subject_type="application",
        subject_id=str(app.id),
        at=at,
        details={"from": previous.value, **details},
    )


# Submission, the AGCOM window, the review.


def submitted(
    session: Session,
    app: Application,
    at: dt.datetime,
    actor: audit.Actor,
    *,
    score: int,
    announce: Callable[[], None],
) -> None:
    """The draft is submitted: its confirmation window opens, is announced (``announce``:
    the AGCOM SMS and e-mail), and a job ends it."""
    _move(session, app, S.AWAITING_CONFIRMATION, at, actor, score=score)
    announce()
    _end_window_at(session, app, at)


def _end_window_at(session: Session, app: Application, at: dt.datetime) -> None:
    WINDOW_ENDS.enqueue(
        session,
        AppRef(application_id=app.id),
        at=at,
        tenant_id=app.tenant_id,
        run_after=app.confirm_until,
    )


def window_ended(
    session: Session, key: bytes, tenant_id: uuid.UUID, app_id: uuid.UUID, at: dt.datetime
) -> None:
    """Job: the waiting window is over with no objection; route the application."""
    app = repository.by_id(session, tenant_id, app_id, lock=True)
    if app is None or app.state != S.AWAITING_CONFIRMATION:
        return  # objected, withdrawn, or done already: nothing to do
    assert app.confirm_until is not None
    if at < app.confirm_until:
        _end_window_at(session, app, at)
        return
    target = S.APPROVED if app.route == "auto_approve" else S.IN_REVIEW
    _move(session, app, target, at, audit.SYSTEM, route=app.route or "")
    notices.notify(session, key, app, target, at)
    if target == S.APPROVED:
        _provision(session, app, at)


def _provision(session: Session, app: Application, at: dt.datetime) -> None:
    """An approved application's first round is started by a job (:func:`start_round`)."""
    PROVISION.enqueue(session, AppRef(application_id=app.id), at=at, tenant_id=app.tenant_id)


def approved_by_review(
    session: Session, key: bytes, app: Application, *, at: dt.datetime, actor: audit.Actor
) -> None:
    """The reviewers approved: the application goes on to provisioning by itself."""
    _move(session, app, S.APPROVED, at, actor)
    app.decided_at = at
    notices.notify(session, key, app, S.APPROVED, at)
    _provision(session, app, at)


def rejected_by_review(
    session: Session,
    key: bytes,
    app: Application,
    reason: str,
    *,
    at: dt.datetime,
    actor: audit.Actor,
) -> None:
    if reason not in queries.REJECTIONS:
        raise Invalid("REASON_UNKNOWN", "Choose one of the offered values.", field="reason")
    _move(session, app, S.REJECTED, at, actor, reason=reason)
    app.decided_at = at
    notices.notify(session, key, app, S.REJECTED, at, detail=queries.REJECTIONS[reason])


def withdraw(session: Session, app: Application, *, at: dt.datetime, actor: audit.Actor) -> None:
    _move(session, app, S.WITHDRAWN, at, actor)


def object_to(
    session: Session,
    settings: Settings,
    tenant: Tenant,
    objection: str,
    *,
    at: dt.datetime,
    ip: str,
) -> Application:
    """The holder stops the SIM change from the link in the SMS or e-mail."""
    app = repository.by_objection_hash(
        session, tenant.id, keyed_hash(settings.secret_bytes, "objection", objection)
    )
    if app is None:
        raise NotFound("OBJECTION_NOT_FOUND", "This link is not valid.")
    if app.state == S.OBJECTED:
        return app
    if app.state not in (S.AWAITING_CONFIRMATION, S.IN_REVIEW):
        raise Conflict("TOO_LATE_TO_OBJECT", "This request can no longer be stopped here: call us.")
    _move(session, app, S.OBJECTED, at, audit.Actor("customer", None, ip))
    notices.notify(session, settings.secret_bytes, app, S.OBJECTED, at)
    return app


def reply_by_sms(
    session: Session, settings: Settings, tenant: Tenant, msisdn: str, text: str, *, at: dt.datetime
) -> Application | None:
    """AGCOM 86/21/CIR: the holder answers the confirmation SMS; NO (or STOP) objects."""
    if text.strip().split(" ")[0].upper().strip(".!") not in OBJECTION_WORDS:
        return None
    line = lines.find_line(session, tenant.id, msisdn)
    if line is None:
        return None
    app = repository.open_for_line(session, tenant.id, line.id)
    if app is None or app.state not in (S.AWAITING_CONFIRMATION, S.IN_REVIEW):
        return None
    _move(session, app, S.OBJECTED, at, audit.Actor("customer", None, None), channel="sms")
    notices.notify(session, settings.secret_bytes, app, S.OBJECTED, at)
    return app


# Provisioning: a round started, then done or failed.


def start_round(
    session: Session, ports: provisioning.Ports, app_id: uuid.UUID, round_: int = 1
) -> None:
    """Job: an approved application gets its provisioning, once per round. Round 1 follows
    the approval; a later round follows a customer's request for a new code."""
    at = ports.clock.now()
    app = queries.lock(session, app_id)
    expected = S.APPROVED if round_ == 1 else S.PROVISIONING
    if app is None or app.state != expected:
        return
    if round_ == 1:
        _move(session, app, S.PROVISIONING, at, audit.SYSTEM)
        if _line_taken(session, app):
            _failed(session, ports.secret, app, "LINE_BUSY", at)
            return
    order = provisioning.Order(app.tenant_id, app.id, round_, app.line_id)
    started = provisioning.start(session, ports, order)
    if isinstance(started, provisioning.Failed):
        _failed(session, ports.secret, app, started.reason, at)


def _line_taken(session: Session, app: Application) -> bool:
    """Another application of the line has its new SIM, or is getting one: the line is
    replaced once, whichever round of the queue runs first."""
    return any(
        other.id != app.id and other.state in (S.PROVISIONING, S.CODE_READY)
        for other in queries.of_line(session, app.tenant_id, app.line_id)
    )


def provisioning_reported(session: Session, key: bytes, outcome: provisioning.Outcome) -> None:
    """A provisioning step's outcome, in the step's transaction: a round done makes the code
    ready for delivery; a round failed (and undone) fails the application with its reason."""
    if isinstance(outcome, provisioning.Ongoing):
        return
    app = queries.lock(session, outcome.application_id)
    if app is None or app.state != S.PROVISIONING:
        return
    if isinstance(outcome, provisioning.Done):
        _code_ready(session, key, app, outcome.at)
    else:
        _failed(session, key, app, outcome.reason, outcome.at)


def _code_ready(session: Session, key: bytes, app: Application, at: dt.datetime) -> None:
    """The new profile is ordered and the number moved to it: the code can be delivered.
    It expires unused after the tenant's hours; a link goes on the remembered channel."""
    _move(session, app, S.CODE_READY, at, audit.SYSTEM)
    notices.notify(session, key, app, S.CODE_READY, at)
    renewed = delivery_books.code_ready(session, app.tenant_id, app.id, at)
    expiry = Expiry(application_id=app.id, expires_at=renewed.expires_at.isoformat())
    CODE_EXPIRES.enqueue(
        session, expiry, at=at, tenant_id=app.tenant_id, run_after=renewed.expires_at
    )
    if renewed.link_channel is not None:
        link = LinkOn(application_id=app.id, channel=renewed.link_channel)
        SEND_LINK.enqueue(session, link, at=at, tenant_id=app.tenant_id)


def _failed(session: Session, key: bytes, app: Application, reason: str, at: dt.datetime) -> None:
    """A round failed for good and was undone: the old SIM's pairing stands."""
    _move(session, app, S.FAILED, at, audit.SYSTEM, reason=reason)
    notices.notify(session, key, app, S.FAILED, at)


# The new profile on the device, as the SM-DP+ reports it.


def profile_notified(
    session: Session, key: bytes, notice: notifications.Notice, *, at: dt.datetime
) -> str:
    """handleDownloadProgressInfo: provisioning records it and says what it means for the
    round whose code is this profile's; the application waiting for that code follows."""
    reported = notifications.receive(session, notice, at=at)
    if reported.application_id is None or reported.event is None:
        return reported.applied
    app = queries.lock(session, reported.application_id)
    if app is None or app.state != S.CODE_READY:
        return reported.applied
    if reported.event == "downloaded":
        delivery_books.downloaded(session, app.id, at)
        timeline.record(session, app, at, audit.SYSTEM.type, profile="downloaded")
    elif reported.event == "installed":
        _installed(session, key, app, at)
    elif reported.event == "install_failed":
        timeline.record(session, app, at, audit.SYSTEM.type, profile="install_failed")
    return reported.applied


def _installed(session: Session, key: bytes, app: Application, at: dt.datetime) -> None:
    """The new profile is installed: the fee is charged as quoted, the receipt e-mailed."""
    _move(session, app, S.INSTALLED, at, audit.SYSTEM)
    charged = billing.charge(
        session,
        tenant_id=app.tenant_id,
        application_id=app.id,
        line=queries.line_of(session, app),
        amount_cents=app.fee_cents or 0,
        charge_to=app.fee_charge_to or "none",
        free_reason=app.fee_free_reason,
        at=at,
    )
    notices.notify(session, key, app, S.INSTALLED, at, receipt=charged)


# A code not installed in time, and asking again.


def code_expired(session: Session, ports: provisioning.Ports, app_id: uuid.UUID, due: str) -> None:
    """Job: a code not installed by its expiry (``due``, unless a later round renewed it) is
    cancelled on the SM-DP+ (Unavailable) and the holder told; a downloaded one is left to
    install."""
    app = queries.lock(session, app_id)
    prov = provisioning.for_application(session, app_id)
    if app is None or prov is None or app.state != S.CODE_READY:
        return
    ready = delivery.ReadyCode(prov.round, prov.new_iccid)
    if not delivery.releasable(session, app.id, ready, due):
        return
    at = ports.clock.now()
    if provisioning.release(session, ports, prov, at):
        delivery.expired(session, ports.secret, handover.holder(session, app), at)


def ask_again(session: Session, app: Application, *, at: dt.datetime, actor: audit.Actor) -> int:
    """The holder asks for a new code after the last one expired or failed to install:
    within the cap, a new round orders a new profile. Returns the new round."""
    ready = handover.ready_code(session, app)
    delivery.may_ask_again(session, app.id, ready, at)
    assert ready is not None
    round_ = ready.round + 1
    _move(session, app, S.PROVISIONING, at, actor, round=round_)
    REISSUE.enqueue(
        session, NewRound(application_id=app.id, round=round_), at=at, tenant_id=app.tenant_id
    )
    return round_


def reissue(session: Session, ports: provisioning.Ports, app_id: uuid.UUID, round_: int) -> None:
    """Job: cancel the previous round's profile if it still stands, then start the new round."""
    previous = provisioning.of_round(session, app_id, round_ - 1)
    if previous is not None and previous.activation_code is not None:
        at = ports.clock.now()
        if provisioning.release(session, ports, previous, at):
            delivery_books.released(session, app_id, at)
    start_round(session, ports, app_id, round_)
