"""Approved applications ready for the workflow, and the invariants it must keep."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from resim.db.engine import transaction
from resim.deps import Deps, es2plus_client, keyring, open_sandbox
from resim.jobs.models import Job, JobStatus
from resim.line.models import Line, LineEvent, LineEventKind
from resim.provisioning import inventory
from resim.provisioning.models import Provisioning
from resim.registry.models import Subscriber
from resim.replacement import flow
from resim.replacement.models import Application, ApplicationEvent
from resim.replacement.states import ApplicationState
from resim.tenant import service as tenants
from tests import factories
from tests.workers import free_port


@dataclass(frozen=True)
class Case:
    tenant_id: uuid.UUID
    customer_id: uuid.UUID
    msisdn: str
    line_id: uuid.UUID
    old_iccid: str
    old_imsi: str
    profile_type: str


def holder(
    sessions: sessionmaker[Session], at: dt.datetime, slug: str = "acme", stock: int = 4
) -> Case:
    """A tenant with ``stock`` replacement profiles and a holder with one suspended line."""
    with transaction(sessions) as session:
        found = tenants.find(session, slug)
        if found is None:
            found = factories.tenant(session, slug, at)
            if stock != factories.POOL_SIZE:
                factories.stock(session, found, at, stock)
        person = factories.customer(session, found.id, at)
        msisdn = factories.line(session, found.id, person.id, at, state="suspended")
        line = session.scalar(select(Line).where(Line.msisdn == msisdn))
        assert line is not None
        return Case(
            found.id,
            person.id,
            msisdn,
            line.id,
            line.iccid,
            line.imsi,
            tenants.policy(found).profile_type,
        )


def approve(
    sessions: sessionmaker[Session], case: Case, at: dt.datetime, *, window_over: bool = False
) -> uuid.UUID:
    """An application for the case's line, approved: the state the workflow starts from. With
    ``window_over``, submitted instead, its AGCOM window over: the window job approves it."""
    with transaction(sessions) as session:
        app = Application(
            tenant_id=case.tenant_id,
            customer_id=case.customer_id,
            line_id=case.line_id,
            state=ApplicationState.AWAITING_CONFIRMATION
            if window_over
            else ApplicationState.APPROVED,
            reason="lost",
            checks=[],
            risk_reasons=[],
            risk_score=0,
            route="auto_approve",
            submitted_at=at,
            confirm_until=at,
            decided_at=None if window_over else at,
            created_at=at,
            updated_at=at,
        )
        session.add(app)
        session.flush()
        job = flow.WINDOW_ENDS if window_over else flow.PROVISION
        job.enqueue(session, flow.AppRef(application_id=app.id), at=at, tenant_id=case.tenant_id)
        return app.id


def state_of(sessions: sessionmaker[Session], app_id: uuid.UUID) -> tuple[str, str | None]:
    """The application's state, and the reason its last event gives."""
    with sessions() as session:
        return _state(session, app_id)


def _state(session: Session, app_id: uuid.UUID) -> tuple[str, str | None]:
    app = session.get(Application, app_id)
    assert app is not None
    last = session.scalar(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == app_id)
        .order_by(ApplicationEvent.seq.desc())
        .limit(1)
    )
    return app.state.value, (last.details.get("reason") if last else None)


def check_invariants(
    sessions: sessionmaker[Session], apps: list[uuid.UUID], pairing: dict[str, str | None]
) -> dict[str, int]:
    """Every application completed once or failed with a reason; nothing left in the queue;
    the HLR pairs each number with the IMSI of its line (``pairing``: MSISDN to IMSI, read
    from the HLR under test)."""
    outcome = {"code_ready": 0, "failed": 0}
    with sessions() as session:
        for app_id in apps:
            app = session.get(Application, app_id)
            assert app is not None
            assert app.state.value in outcome, f"{app_id} stuck in {app.state.value}"
            outcome[app.state.value] += 1
            line = session.get(Line, app.line_id)
            assert line is not None
            changes = session.scalar(
                select(func.count()).where(
                    LineEvent.line_id == line.id,
                    LineEvent.kind == LineEventKind.SIM_CHANGED,
                    LineEvent.details["application"].as_string() == str(app_id),
                )
            )
            provs = list(
                session.scalars(select(Provisioning).where(Provisioning.application_id == app_id))
            )
            if app.state == ApplicationState.CODE_READY:
                assert changes == 1, "a completed replacement records one SIM change"
                assert len(provs) == 1 and provs[0].new_imsi == line.imsi
            else:
                assert changes == 0
                assert _state(session, app_id)[1], "a failed application says why"
            assert pairing[line.msisdn] == line.imsi, "the HLR and the line agree"
        # Only each ready code's expiry waits, for its hour.
        busy = session.scalar(
            select(func.count()).where(
                Job.status != JobStatus.DONE, Job.name != flow.CODE_EXPIRES.name
            )
        )
        assert busy == 0, "no job left queued, running or parked"
        doubled = session.scalar(
            select(func.count()).select_from(
                select(Subscriber.msisdn)
                .where(Subscriber.msisdn.is_not(None))
                .group_by(Subscriber.msisdn)
                .having(func.count() > 1)
                .subquery()
            )
        )
        assert doubled == 0
    return outcome


def embedded(
    deps: Deps, at: dt.datetime, profile_type: str, prefixes: tuple[str, str], **policy: object
) -> tuple[Case, int]:
    """resim's own mounted sandbox (no SM-DP+ URL) with one profile of a new type stocked
    for a new holder's tenant; returns the holder and the port resim must be served on."""
    port = free_port()
    deps.settings.smdp.url = None
    deps.settings.public_url = f"http://127.0.0.1:{port}"
    deps.es2plus = deps.closing.enter_context(es2plus_client(deps.settings))
    case = holder(deps.sessions, at)
    sandbox = open_sandbox(deps.settings)
    sandbox.add_pool(profile_type, prefixes[0], prefixes[1], 2)
    rows = [
        inventory.StockedProfile(p.iccid, p.imsi, p.ki, p.opc)
        for p in sandbox.store.profiles(profile_type)
    ]
    with transaction(deps.sessions) as session:
        inventory.load(session, keyring(deps), case.tenant_id, profile_type, rows, at=at)
        tenant = tenants.by_id(session, case.tenant_id)
        tenant.policy = {**tenant.policy, "profile_type": profile_type, **policy}
    return case, port
