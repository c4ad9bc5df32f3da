"""Jobs declared once with a typed payload; a workflow's next step runs in the same claim."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy.orm import Session, sessionmaker

from resim.config import JobsSettings
from resim.db.engine import Waker, transaction
from resim.jobs import registry
from resim.jobs import service as jobs
from resim.jobs.models import Job, JobStatus
from resim.jobs.registry import JobType, Payload
from resim.jobs.worker import Worker
from resim.kit.clock import FixedClock


class Touch(Payload):
    n: int
    ref: uuid.UUID


class Hop(Payload):
    left: int


@dataclass
class Env:
    seen: list[tuple[int, uuid.UUID]] = field(default_factory=list)
    hops: list[int] = field(default_factory=list)
    now: dt.datetime | None = None


TOUCH = JobType("test.registry_touch", Touch, formerly=("test.registry_poke",))
HOP = JobType("test.registry_hop", Hop, chain=True)


@TOUCH.handler
def touch(env: Env, _session: Session, payload: Touch) -> None:
    env.seen.append((payload.n, payload.ref))


@HOP.handler
def hop(env: Env, session: Session, payload: Hop) -> None:
    env.hops.append(payload.left)
    if payload.left > 0:
        assert env.now is not None
        HOP.enqueue(session, Hop(left=payload.left - 1), at=env.now)


def _worker(
    sessions: sessionmaker[Session], clock: FixedClock, env: Env, lease: int = 300
) -> Worker:
    settings = JobsSettings(lease_seconds=lease)
    return Worker(sessions, clock, settings, registry.handlers(env, [TOUCH, HOP]))


def _status(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return jobs.counts(session)


def test_a_typed_job_reaches_its_handler_with_its_payload(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    env, ref = Env(), uuid.uuid4()
    with transaction(sessions) as session:
        TOUCH.enqueue(session, Touch(n=3, ref=ref), at=clock.now())
    assert [o.status for o in _worker(sessions, clock, env).run_until_idle()] == [JobStatus.DONE]
    assert env.seen == [(3, ref)]


def test_a_row_queued_under_the_jobs_former_name_still_runs(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    env, ref = Env(), uuid.uuid4()
    with transaction(sessions) as session:
        jobs.enqueue(session, "test.registry_poke", {"n": 5, "ref": str(ref)}, at=clock.now())
    assert [o.status for o in _worker(sessions, clock, env).run_until_idle()] == [JobStatus.DONE]
    assert env.seen == [(5, ref)]


def test_a_payload_that_does_not_fit_its_job_is_parked_at_once(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    env = Env()
    with transaction(sessions) as session:
        job = jobs.enqueue(session, TOUCH.name, {"n": "three"}, at=clock.now())
    _worker(sessions, clock, env).run_until_idle()
    with sessions() as session:
        stored = session.get(Job, job.id)
        assert stored is not None
        assert stored.status == JobStatus.PARKED and stored.attempts == 1
    assert env.seen == []


def test_enqueueing_another_jobs_payload_is_refused(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with pytest.raises(TypeError, match="Touch"), transaction(sessions) as session:
        TOUCH.enqueue(session, Hop(left=1), at=clock.now())  # type: ignore[arg-type]
    assert _status(sessions) == {}


def test_a_job_is_declared_once_with_one_handler() -> None:
    with pytest.raises(ValueError, match="twice"):
        JobType("test.registry_touch", Touch)
    with pytest.raises(ValueError, match="twice"):
        JobType("test.registry_other", Touch, formerly=("test.registry_poke",))
    with pytest.raises(ValueError, match="feature"):
        JobType("RegistryTouch", Touch)
    with pytest.raises(ValueError, match="handler already"):
        TOUCH.handler(touch)


def test_a_chained_step_runs_in_the_same_claim_and_no_other_worker_takes_it(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    env, other_env = Env(now=clock.now()), Env(now=clock.now())
    with transaction(sessions) as session:
        HOP.enqueue(session, Hop(left=2), at=clock.now())
    first, other = _worker(sessions, clock, env), _worker(sessions, clock, other_env)
    assert first.run_once() is not None
    assert env.hops == [2]
    assert _status(sessions) == {"done": 1, "running": 1}  # the next step is claimed already
    assert other.run_once() is None  # nothing for another worker
    assert [o.status for o in first.run_until_idle()] == [JobStatus.DONE, JobStatus.DONE]
    assert env.hops == [2, 1, 0] and other_env.hops == []
    assert _status(sessions) == {"done": 3}


def test_a_chained_step_of_a_dead_worker_is_taken_after_its_lease(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    env, other_env = Env(now=clock.now()), Env(now=clock.now())
    with transaction(sessions) as session:
        HOP.enqueue(session, Hop(left=1), at=clock.now())
    _worker(sessions, clock, env, lease=60).run_once()  # then the process dies
    other = _worker(sessions, clock, other_env, lease=60)
    assert other.run_once() is None
    clock.advance(dt.timedelta(seconds=61))
    other_env.now = clock.now()
    assert [o.status for o in other.run_until_idle()] == [JobStatus.DONE]
    assert env.hops == [1] and other_env.hops == [0]


def test_a_stopping_worker_gives_back_the_step_it_holds(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    env, other_env = Env(now=clock.now()), Env(now=clock.now())
    with transaction(sessions) as session:
        HOP.enqueue(session, Hop(left=1), at=clock.now())
    stopping = _worker(sessions, clock, env)
    assert len(stopping.run_until_idle(limit=1)) == 1  # then it stops, holding the next step
    other = _worker(sessions, clock, other_env)
    assert [o.status for o in other.run_until_idle()] == [JobStatus.DONE]  # at once, no lease
    assert env.hops == [1] and other_env.hops == [0]


@pytest.mark.postgres_only
def test_an_idle_worker_wakes_when_a_job_is_committed(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    engine = sessions.kw["bind"]
    waker = Waker(engine)
    waker.wait(0.01)  # listening from now on
    woke: list[float] = []

    def wait() -> None:
        started = time.monotonic()
        waker.wait(10)
        woke.append(time.monotonic() - started)

    waiting = threading.Thread(target=wait)
    waiting.start()
    time.sleep(0.2)
    with transaction(sessions) as session:
        TOUCH.enqueue(session, Touch(n=1, ref=uuid.uuid4()), at=clock.now())
    waiting.join(timeout=10)
    waker.close()
    assert woke and woke[0] < 5  # the commit woke it, long before its 10 s poll
