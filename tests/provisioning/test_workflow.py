"""The provisioning workflow against the SM-DP+ sandbox over HTTP and the line registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from resim.deps import Deps, keyring
from resim.integrations.calls import Observer
from resim.integrations.hlr.port import HlrError, SubscriberDb
from resim.jobs.models import Job
from resim.kit.clock import FixedClock
from resim.line.models import EsimProfile, Line, LineEvent, LineEventKind, ProfileState
from resim.provisioning import inventory
from resim.provisioning import service as provisioning
from resim.provisioning.models import ExternalCall, ProfileStock, Provisioning, Step
from resim.registry import service as registry
from resim.registry.models import Subscriber
from resim.tasks import make_worker
from tests import factories
from tests.provisioning.world import approve, check_invariants, holder, state_of


@pytest.fixture(autouse=True)
def _no_faults_left(smdp_url: str) -> Iterator[None]:
    yield
    httpx.delete(f"{smdp_url}/sandbox/faults")


def fault(smdp_url: str, **spec: Any) -> None:
    assert httpx.post(f"{smdp_url}/sandbox/faults", json=spec).status_code == 204


def run(deps: Deps, clock: FixedClock, rounds: int = 40) -> None:
    """Run the worker, letting time pass for the retries, until nothing is left."""
    worker = make_worker(deps)
    for _ in range(rounds):
        worker.run_until_idle()
        clock.advance(dt.timedelta(minutes=15))
    worker.run_until_idle()


def pairing(deps: Deps, *msisdns: str) -> dict[str, str | None]:
    with deps.sessions() as session:
        return {m: registry.owner(session, m) for m in msisdns}


def sandbox_state(iccid: str) -> str:
    found = [p for p in factories.SANDBOX.store.profiles() if p.iccid == iccid]
    return found[0].state if found else "absent"


def provisioning_of(deps: Deps, app_id: Any) -> Provisioning:
    with deps.sessions() as session:
        found = provisioning.for_application(session, app_id)
        assert found is not None
        session.expunge(found)
        return found


def test_an_approved_application_reaches_code_ready_on_the_same_number(
    deps: Deps, clock: FixedClock
) -> None:
    case = holder(deps.sessions, clock.now())
    with deps.sessions() as session:
        before = session.get(Line, case.line_id)
        assert before is not None
        plan, credit = before.plan_id, before.credit_cents
    approved_at = clock.now()
    app_id = approve(deps.sessions, case, approved_at)
    run(deps, clock)

    assert state_of(deps.sessions, app_id) == ("code_ready", None)
    prov = provisioning_of(deps, app_id)
    assert prov.step == Step.DONE and prov.new_iccid and prov.new_imsi
    with deps.sessions() as session:
        line = session.get(Line, case.line_id)
        assert line is not None
        # The number, plan and credit stay; the line now lives on the new profile.
        assert (line.msisdn, line.plan_id, line.credit_cents) == (case.msisdn, plan, credit)
        assert (line.iccid, line.imsi) == (prov.new_iccid, prov.new_imsi)
        profiles = {
            p.iccid: p.state
            for p in session.scalars(select(EsimProfile).where(EsimProfile.line_id == line.id))
        }
        assert profiles == {
            case.old_iccid: ProfileState.UNAVAILABLE,
            prov.new_iccid: ProfileState.RELEASED,
        }
        change = session.scalar(
            select(LineEvent).where(
                LineEvent.line_id == line.id, LineEvent.kind == LineEventKind.SIM_CHANGED
            )
        )
        assert change is not None and change.details["old_iccid"] == case.old_iccid
        assert change.details["application"] == str(app_id) and change.at >= approved_at
        # The registry: the number on the new IMSI, the old IMSI gone, each change timed.
        assert registry.owner(session, case.msisdn) == prov.new_imsi
        assert session.get(Subscriber, case.old_imsi) is None
        new = session.get(Subscriber, prov.new_imsi)
        assert new is not None and new.iccid == prov.new_iccid and new.keys is not None
        history = [(c.imsi, c.change) for c in registry.history(session, case.msisdn)]
        assert history[-4:] == [
            (case.old_imsi, "unpaired"),
            (prov.new_imsi, "paired"),
            (case.old_imsi, "barred"),
            (case.old_imsi, "deleted"),
        ]
        calls = [
            (c.system, c.operation, c.outcome) for c in provisioning.calls_of(session, prov.id)
        ]
        assert calls == [
            ("smdp", "downloadOrder", "success"),
            ("smdp", "confirmOrder", "success"),
        ]
        confirm = session.scalar(
            select(ExternalCall).where(ExternalCall.operation == "confirmOrder")
        )
        assert confirm is not None and confirm.response is not None
        assert confirm.response["matchingId"] == "***"
    # The activation code names the SM-DP+ and the matching ID it holds for the profile.
    code = provisioning.activation_code(keyring(deps), prov)
    assert code is not None and code.smdp_address == "smdp.sandbox.resim.test"
    held = next(p for p in factories.SANDBOX.store.profiles() if p.iccid == prov.new_iccid)
    assert held.state == "Released" and code.matching_id == held.matching_id
    assert not code.confirmation_code_required
    with deps.sessions() as session:
        assert inventory.available(session, case.tenant_id) == factories.POOL_SIZE - 1


def test_a_flaky_smdp_is_retried_with_the_same_call_identifier(
    deps: Deps, clock: FixedClock, smdp_url: str
) -> None:
    case = holder(deps.sessions, clock.now())
    app_id = approve(deps.sessions, case, clock.now())
    fault(smdp_url, function="downloadOrder", kind="http500", count=2)
    run(deps, clock)
    assert state_of(deps.sessions, app_id)[0] == "code_ready"
    prov = provisioning_of(deps, app_id)
    with deps.sessions() as session:
        orders = [
            (c.key, c.outcome)
            for c in provisioning.calls_of(session, prov.id)
            if c.operation == "downloadOrder"
        ]
    assert orders == [(prov.download_call_id, o) for o in ("http 500", "http 500", "success")]
    taken = [
        p for p in factories.SANDBOX.store.profiles(case.profile_type) if p.state != "Available"
    ]
    assert [p.iccid for p in taken] == [prov.new_iccid]  # reserved once


def test_a_refused_order_fails_the_application_with_its_reason_and_changes_nothing(
    deps: Deps, clock: FixedClock, smdp_url: str
) -> None:
    case = holder(deps.sessions, clock.now())
    app_id = approve(deps.sessions, case, clock.now())
    fault(smdp_url, function="downloadOrder", kind="failed", subjectCode="8.2.5", reasonCode="3.7")
    run(deps, clock)
    assert state_of(deps.sessions, app_id) == ("failed", "SMDP_REFUSED")
    with deps.sessions() as session:
        line = session.get(Line, case.line_id)
        assert line is not None and (line.iccid, line.imsi) == (case.old_iccid, case.old_imsi)
        assert registry.owner(session, case.msisdn) == case.old_imsi
    check_invariants(deps.sessions, [app_id], pairing(deps, case.msisdn))


def test_an_smdp_down_for_good_ends_in_a_cancelled_order(
    deps: Deps, clock: FixedClock, smdp_url: str
) -> None:
    case = holder(deps.sessions, clock.now())
    app_id = approve(deps.sessions, case, clock.now())
    fault(smdp_url, function="confirmOrder", kind="http500", count=100)
    run(deps, clock)
    assert state_of(deps.sessions, app_id) == ("failed", "SMDP_UNAVAILABLE")
    prov = provisioning_of(deps, app_id)
    assert prov.new_iccid is not None
    assert sandbox_state(prov.new_iccid) == "Available"  # cancelOrder gave it back
    with deps.sessions() as session:
        assert inventory.available(session, case.tenant_id) == factories.POOL_SIZE
        cancels = [
            c for c in provisioning.calls_of(session, prov.id) if c.operation == "cancelOrder"
        ]
        assert [c.outcome for c in cancels] == ["success"]
        confirms = [
            c for c in provisioning.calls_of(session, prov.id) if c.operation == "confirmOrder"
        ]
        assert len(confirms) == deps.settings.jobs.step_max_tries
    check_invariants(deps.sessions, [app_id], pairing(deps, case.msisdn))


class RefusingHlr:
    """The registry, except that one operation on one IMSI is refused for good."""

    def __init__(self, inner: SubscriberDb, refuse: str, imsi: str) -> None:
        self.inner, self.refuse, self.imsi, self.name = inner, refuse, imsi, inner.name

    def __getattr__(self, name: str) -> Any:
        operation = getattr(self.inner, name)
        if name != self.refuse:
            return operation

        def refused(imsi: str, *args: Any, **kwargs: Any) -> Any:
            if imsi == self.imsi:
                raise HlrError(f"{name} refused", transient=False)
            return operation(imsi, *args, **kwargs)

        return refused


def test_an_hlr_failure_after_the_move_puts_the_number_back_on_the_old_imsi(
    deps: Deps, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = holder(deps.sessions, clock.now())
    app_id = approve(deps.sessions, case, clock.now())
    real = deps.hlr

    def hlr(session: Session, observer: Observer | None = None) -> SubscriberDb:
        return RefusingHlr(real(session, observer), "delete", case.old_imsi)

    monkeypatch.setattr(deps, "hlr", hlr)
    run(deps, clock)
    assert state_of(deps.sessions, app_id) == ("failed", "HLR_REFUSED")
    prov = provisioning_of(deps, app_id)
    with deps.sessions() as session:
        old = session.get(Subscriber, case.old_imsi)
        assert old is not None and old.msisdn == case.msisdn and old.enabled
        history = [(c.imsi, c.change) for c in registry.history(session, case.msisdn)]
        assert history[-7:-1] == [
            (case.old_imsi, "unpaired"),
            (prov.new_imsi, "paired"),
            (case.old_imsi, "barred"),
            (prov.new_imsi, "unpaired"),  # the compensation, in reverse
            (case.old_imsi, "paired"),
            (case.old_imsi, "enabled"),
        ]
        assert history[-1] == (prov.new_imsi, "deleted")
        assert session.get(Subscriber, prov.new_imsi) is None
    assert prov.new_iccid is not None and sandbox_state(prov.new_iccid) == "Available"
    check_invariants(deps.sessions, [app_id], pairing(deps, case.msisdn))


def test_a_line_is_never_provisioned_twice(deps: Deps, clock: FixedClock) -> None:
    case = holder(deps.sessions, clock.now())
    first = approve(deps.sessions, case, clock.now())
    second = approve(deps.sessions, case, clock.now())  # past the one-open-application rule
    run(deps, clock)
    states = sorted([state_of(deps.sessions, first), state_of(deps.sessions, second)])
    assert states == [("code_ready", None), ("failed", "LINE_BUSY")]
    check_invariants(deps.sessions, [first, second], pairing(deps, case.msisdn))


def test_without_stock_the_order_is_cancelled(deps: Deps, clock: FixedClock) -> None:
    case = holder(deps.sessions, clock.now())
    with deps.sessions() as session, session.begin():
        session.execute(delete(ProfileStock).where(ProfileStock.tenant_id == case.tenant_id))
    app_id = approve(deps.sessions, case, clock.now())
    run(deps, clock)
    assert state_of(deps.sessions, app_id) == ("failed", "PROFILE_NOT_IN_STOCK")
    prov = provisioning_of(deps, app_id)
    assert prov.new_iccid is not None and sandbox_state(prov.new_iccid) == "Available"


def test_a_first_round_queued_by_the_previous_release_still_runs(
    deps: Deps, clock: FixedClock
) -> None:
    """Rows an earlier release left in the queue under the job's old name are run."""
    case = holder(deps.sessions, clock.now())
    app_id = approve(deps.sessions, case, clock.now())
    with deps.sessions() as session, session.begin():
        session.execute(
            update(Job).where(Job.name == "replacement.provision").values(name="provisioning.start")
        )
    run(deps, clock)
    assert state_of(deps.sessions, app_id) == ("code_ready", None)
