"""Provisioning reports back and never moves the application: a round's outcome goes to
whoever runs the step (``Ports.report``), and only the flow acts on it."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy.orm import Session

from resim import tasks
from resim.deps import Deps
from resim.jobs.worker import Worker
from resim.kit.clock import FixedClock
from resim.provisioning import service as provisioning
from tests.provisioning.world import approve, holder, state_of


def test_a_finished_round_is_reported_done_and_only_the_flow_makes_the_code_ready(
    deps: Deps, clock: FixedClock
) -> None:
    reported: list[provisioning.Outcome] = []

    def record(_session: Session, outcome: provisioning.Outcome) -> None:
        reported.append(outcome)

    case = holder(deps.sessions, clock.now())
    app_id = approve(deps.sessions, case, clock.now())
    unwired = dataclasses.replace(tasks.ports(deps), report=record)
    handlers = tasks.handlers(deps, unwired)
    worker = Worker(deps.sessions, deps.clock, deps.settings.jobs, handlers)
    for _ in range(10):
        worker.run_until_idle()
        clock.advance(dt.timedelta(minutes=15))

    finished = [o for o in reported if not isinstance(o, provisioning.Ongoing)]
    assert len(finished) == 1
    done = finished[0]
    assert isinstance(done, provisioning.Done)
    assert (done.application_id, done.tenant_id, done.round) == (app_id, case.tenant_id, 1)
    with deps.sessions() as session:
        prov = provisioning.for_application(session, app_id)
        assert prov is not None and (prov.new_iccid, prov.new_imsi) == (done.iccid, done.imsi)
    # Nobody handed the outcome to the flow: the application is still being provisioned.
    assert state_of(deps.sessions, app_id) == ("provisioning", None)

    with deps.sessions() as session, session.begin():
        tasks.ports(deps).report(session, done)
    assert state_of(deps.sessions, app_id)[0] == "code_ready"
