"""The workflow moving the number in a real osmo-hlr."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from resim.deps import Deps, keyring
from resim.integrations.hlr.osmo import OsmoHlr
from resim.jobs.models import Job
from resim.kit.clock import FixedClock
from resim.line.models import Line
from resim.provisioning import inventory
from resim.provisioning import service as provisioning
from resim.tasks import make_worker
from tests.osmo import osmo_hlr
from tests.provisioning.world import approve, holder, state_of

KI, OPC = "0123456789ABCDEF0123456789ABCDEF", "FEDCBA9876543210FEDCBA9876543210"


@pytest.fixture
def osmo(deps: Deps, tmp_path: Path) -> Iterator[OsmoHlr]:
    with osmo_hlr(tmp_path) as host:
        deps.settings.hlr.backend = "osmo-hlr"
        deps.settings.hlr.host = host
        yield OsmoHlr(host)


def run(deps: Deps, clock: FixedClock) -> None:
    worker = make_worker(deps)
    for _ in range(20):
        worker.run_until_idle()
        clock.advance(dt.timedelta(minutes=15))


def test_the_number_moves_to_the_new_imsi_in_osmo_hlr(
    deps: Deps, clock: FixedClock, osmo: OsmoHlr
) -> None:
    case = holder(deps.sessions, clock.now())
    osmo.create(case.old_imsi, iccid=case.old_iccid, ki=KI, opc=OPC)
    osmo.set_msisdn(case.old_imsi, case.msisdn)
    app_id = approve(deps.sessions, case, clock.now())
    run(deps, clock)

    assert state_of(deps.sessions, app_id) == ("code_ready", None)
    with deps.sessions() as session:
        line = session.get(Line, case.line_id)
        assert line is not None
        prov = provisioning.for_application(session, app_id)
        assert prov is not None and line.imsi == prov.new_imsi != case.old_imsi
        stocked = inventory.take(session, keyring(deps), line.iccid, clock.now())
        assert stocked is not None
        hlr_calls = [
            c.operation for c in provisioning.calls_of(session, prov.id) if c.system == "hlr"
        ]
    assert osmo.owner_of(case.msisdn) == line.imsi
    assert osmo.get(case.old_imsi) is None
    details = osmo.details(line.imsi)
    assert (details["aud3g.k"], details["aud3g.opc"]) == (stocked.ki.lower(), stocked.opc.lower())
    assert "SET subscriber.create" in hlr_calls and "SET subscriber.delete" in hlr_calls
    # Another system: each call to it is a step of its own, so a crash repeats only that one.
    with deps.sessions() as session:
        steps = session.scalars(
            select(Job.payload["step"].as_string()).where(Job.name == provisioning.STEP.name)
        ).all()
    assert sorted(steps) == sorted(["order", "confirm", "hlr_create", "hlr_move", "hlr_retire"])


def test_a_number_held_by_a_third_imsi_is_left_alone_and_the_order_undone(
    deps: Deps, clock: FixedClock, osmo: OsmoHlr
) -> None:
    case = holder(deps.sessions, clock.now())
    stranger = "222019999999999"
    osmo.create(stranger, iccid="", ki=KI, opc=OPC)
    osmo.set_msisdn(stranger, case.msisdn)
    osmo.create(case.old_imsi, iccid=case.old_iccid, ki=KI, opc=OPC)
    app_id = approve(deps.sessions, case, clock.now())
    run(deps, clock)

    assert state_of(deps.sessions, app_id) == ("failed", "NUMBER_ON_ANOTHER_IMSI")
    with deps.sessions() as session:
        prov = provisioning.for_application(session, app_id)
        assert prov is not None and prov.new_imsi is not None
    assert osmo.owner_of(case.msisdn) == stranger
    assert osmo.get(prov.new_imsi) is None  # the new subscriber was removed again
    assert osmo.get(case.old_imsi) is not None
