from __future__ import annotations

import collections
import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from resim.audit.models import AuditEvent
from resim.audit.service import Actor, record
from resim.config import JobsSettings
from resim.db.engine import transaction
from resim.errors import IntegrationError
from resim.jobs import service as jobs
from resim.jobs.models import Job, JobStatus
from resim.jobs.retry import backoff_seconds
from resim.jobs.worker import Handler, PermanentJobError, Worker
from resim.kit.clock import FixedClock
from tests import factories


def _worker(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    handlers: dict[str, Handler],
    **overrides: Any,
) -> Worker:
    settings = JobsSettings(**{"max_attempts": 3, "backoff_base_seconds": 2.0, **overrides})
    return Worker(sessions, clock, settings, handlers)


def _job(sessions: sessionmaker[Session], job_id: Any) -> Job:
    with sessions() as session:
        found = session.get(Job, job_id)
        assert found is not None
        return found


def test_a_committed_job_runs_once_with_its_payload(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    seen: list[dict[str, Any]] = []
    with transaction(sessions) as session:
        job = jobs.enqueue(session, "test.touch", {"n": 1}, at=clock.now())
    worker = _worker(sessions, clock, {"test.touch": lambda _s, p: seen.append(p)})
    assert [o.status for o in worker.run_until_idle()] == [JobStatus.DONE]
    assert seen == [{"n": 1}]
    assert worker.run_until_idle() == []
    assert _job(sessions, job.id).status == JobStatus.DONE


def test_a_job_whose_transaction_rolled_back_never_runs(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    seen: list[dict[str, Any]] = []
    with pytest.raises(RuntimeError), transaction(sessions) as session:
        jobs.enqueue(session, "test.touch", {"n": 1}, at=clock.now())
        raise RuntimeError("the change failed")
    assert (
        _worker(sessions, clock, {"test.touch": lambda _s, p: seen.append(p)}).run_until_idle()
        == []
    )
    assert seen == []


def test_a_failing_job_backs_off_then_is_parked(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    calls = []

    def broken(_session: Session, _payload: dict[str, Any]) -> None:
        calls.append(clock.now())
        raise ValueError("boom with personal data +393471234567")

    with transaction(sessions) as session:
        job = jobs.enqueue(session, "test.broken", {}, at=clock.now())
    worker = _worker(sessions, clock, {"test.broken": broken})
    assert worker.run_once() is not None
    stored = _job(sessions, job.id)
    assert stored.status == JobStatus.QUEUED and stored.attempts == 1
    assert stored.run_after > clock.now()
    assert worker.run_once() is None  # not due yet
    for _ in range(2):
        clock.advance(dt.timedelta(hours=2))
        worker.run_once()
    stored = _job(sessions, job.id)
    assert stored.status == JobStatus.PARKED and stored.attempts == 3 and len(calls) == 3
    assert stored.last_error == "ValueError"  # no message: it may hold personal data
    with transaction(sessions) as session:
        jobs.retry(session, job.id, at=clock.now())
    worker.run_once()
    assert len(calls) == 4


def test_backoff_grows_exponentially_within_bounds() -> None:
    import random

    rng = random.Random(1)
    for attempt, ceiling in [(1, 2.0), (2, 4.0), (3, 8.0), (10, 60.0)]:
        delays = [backoff_seconds(attempt, base=2.0, cap=60.0, rng=rng) for _ in range(200)]
        assert min(delays) >= 1.0 and max(delays) <= ceiling
        assert max(delays) - min(delays) > 0.1  # jittered


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (IntegrationError("smtp", "server answered 550", transient=False), JobStatus.PARKED),
        (IntegrationError("smtp", "timeout", transient=True), JobStatus.QUEUED),
        (PermanentJobError("cannot ever work"), JobStatus.PARKED),
    ],
)
def test_permanent_failures_park_at_once(
    sessions: sessionmaker[Session], clock: FixedClock, error: Exception, status: JobStatus
) -> None:
    def fail(_session: Session, _payload: dict[str, Any]) -> None:
        raise error

    with transaction(sessions) as session:
        job = jobs.enqueue(session, "test.fail", {}, at=clock.now())
    _worker(sessions, clock, {"test.fail": fail}).run_once()
    stored = _job(sessions, job.id)
    assert stored.status == status and stored.attempts == 1
    if isinstance(error, IntegrationError):
        assert stored.last_error == f"smtp: {error.detail}"


def test_a_handlers_writes_roll_back_with_its_failure(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with transaction(sessions) as session:
        tenant = factories.tenant(session, "acme", clock.now())
        jobs.enqueue(session, "test.half", {}, at=clock.now())

    def half(session: Session, _payload: dict[str, Any]) -> None:
        record(
            session,
            tenant_id=tenant.id,
            actor=Actor("system"),
            action="half.done",
            subject_type="test",
            subject_id="1",
            at=clock.now(),
        )
        raise RuntimeError("failed after writing")

    _worker(sessions, clock, {"test.half": half}).run_once()
    with sessions() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "half.done" not in actions


def test_a_job_of_a_dead_worker_is_claimed_again_after_its_lease(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    seen: list[int] = []
    with transaction(sessions) as session:
        jobs.enqueue(session, "test.touch", {"n": 7}, at=clock.now())
    dead = _worker(sessions, clock, {}, lease_seconds=60)
    assert dead.claim() is not None  # claimed, then the process died
    alive = _worker(
        sessions, clock, {"test.touch": lambda _s, p: seen.append(p["n"])}, lease_seconds=60
    )
    assert alive.run_once() is None
    clock.advance(dt.timedelta(seconds=61))
    assert alive.run_once() is not None and seen == [7]


def test_an_unknown_job_name_is_parked(sessions: sessionmaker[Session], clock: FixedClock) -> None:
    with transaction(sessions) as session:
        job = jobs.enqueue(session, "test.nobody", {}, at=clock.now())
    _worker(sessions, clock, {}).run_once()
    assert _job(sessions, job.id).status == JobStatus.PARKED


def test_job_names_follow_feature_dot_action(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with pytest.raises(ValueError, match="feature"), transaction(sessions) as session:
        jobs.enqueue(session, "SendEmail", {}, at=clock.now())


@pytest.mark.postgres_only
def test_two_worker_processes_never_run_the_same_job(
    db_url: str, sessions: sessionmaker[Session], clock: FixedClock, tmp_path: Path
) -> None:
    total = 300
    with transaction(sessions) as session:
        for n in range(total):
            jobs.enqueue(session, "test.touch", {"n": n}, at=clock.now() - dt.timedelta(seconds=1))
    record_file = tmp_path / "runs.txt"
    script = Path(__file__).with_name("worker_proc.py")
    procs = [
        subprocess.Popen([sys.executable, str(script), db_url, str(record_file)]) for _ in range(2)
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    runs = [line.split() for line in record_file.read_text().splitlines()]
    counts = collections.Counter(n for n, _pid in runs)
    assert len(counts) == total and max(counts.values()) == 1
    assert len({pid for _n, pid in runs}) == 2  # both processes took a share
    with sessions() as session:
        done = session.scalar(
            select(func.count()).select_from(Job).where(Job.status == JobStatus.DONE)
        )
    assert done == total
