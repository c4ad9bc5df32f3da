"""The worker loop: claim a due job, run its handler, record the outcome.

A claim is its own short transaction (``SKIP LOCKED`` on PostgreSQL, so several workers
on several machines share the queue; SQLite's write lock serialises claims). The handler
runs in a second transaction that also marks the job done, so its work and its
completion commit together. Handlers are idempotent by state: a job may run again after
a crash between an external call and that commit.

A workflow's next step does not wait for a poll: when a handler enqueues a job declared
with ``chain`` and due at once, the worker claims it in that handler's own transaction and
runs it next. If the worker dies first, the claim's lease runs out and another worker takes
the job, exactly as with any claimed job. Idle workers wait on a ``Waker`` (PostgreSQL
LISTEN/NOTIFY), so a new job starts at once rather than at the next poll.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from resim.config import JobsSettings
from resim.db.engine import skip_locked, transaction
from resim.errors import IntegrationError
from resim.jobs.models import Job, JobStatus
from resim.jobs.retry import backoff_seconds
from resim.jobs.service import CHAINED
from resim.kit.clock import Clock

log = structlog.get_logger("resim.jobs")

Handler = Callable[[Session, dict[str, Any]], None]


class PermanentJobError(Exception):
    """A failure that retrying cannot fix: the job is parked at once."""


@dataclass(frozen=True)
class Outcome:
    job_id: uuid.UUID
    name: str
    status: JobStatus


class Worker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        settings: JobsSettings,
        handlers: dict[str, Handler],
        worker_id: str | None = None,
        wait: Callable[[float], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings
        self.handlers = handlers
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._stop = threading.Event()
        self._wait = wait
        self._chained: Job | None = None  # claimed by the last handler's transaction

    def claim(self) -> Job | None:
        now = self.clock.now()
        with transaction(self.sessions) as session:
            due = or_(
                and_(Job.status == JobStatus.QUEUED, Job.run_after <= now),
                and_(Job.status == JobStatus.RUNNING, Job.locked_until < now),
            )
            stmt = select(Job).where(due).order_by(Job.run_after, Job.created_at).limit(1)
            job: Job | None = session.scalar(skip_locked(stmt, session))
            if job is None:
                return None
            self._lease(job, now)
            session.flush()
            session.expunge(job)
            return job

    def _lease(self, job: Job, now: dt.datetime) -> None:
        job.status = JobStatus.RUNNING
        job.locked_by = self.worker_id
        job.locked_until = now + dt.timedelta(seconds=self.settings.lease_seconds)
        job.attempts += 1

    def _chain(self, session: Session) -> Job | None:
        """The first chainable job this transaction enqueued that is due now: claimed here,
        so it commits with the step that asked for it."""
        enqueued: list[Job] = session.info.pop(CHAINED, [])
        now = self.clock.now()
        for job in enqueued:
            if job not in session:  # its savepoint rolled back: it was never queued
                continue
            if job.status == JobStatus.QUEUED and job.run_after <= now:
                self._lease(job, now)
                session.flush()
                return job
        return None

    def run_once(self) -> Outcome | None:
        """Claim and run one job (the chained one first); None when nothing is due."""
        job, self._chained = self._chained, None
        if job is None:
            job = self.claim()
        if job is None:
            return None
        handler = self.handlers.get(job.name)
        try:
            if handler is None:
                raise PermanentJobError(f"no handler for {job.name}")
            with transaction(self.sessions) as session:
                current = session.get(Job, job.id, with_for_update=True)
                if current is None or current.locked_by != self.worker_id:
                    return None  # our lease ran out and another worker took it
                handler(session, dict(current.payload))
                current.status = JobStatus.DONE
                current.finished_at = self.clock.now()
                current.locked_until = None
                current.last_error = None
                if "sealed" in current.payload:  # secrets are not kept once delivered
                    current.payload = {k: v for k, v in current.payload.items() if k != "sealed"}
                chained = self._chain(session)
                if chained is not None:
                    session.expunge(chained)
            self._chained = chained  # committed: it is ours to run next
            log.info("job.done", job=job.name, job_id=str(job.id), attempt=job.attempts)
            return Outcome(job.id, job.name, JobStatus.DONE)
        except Exception as exc:
            return self._failed(job, exc)

    def _failed(self, job: Job, exc: Exception) -> Outcome:
        permanent = isinstance(exc, PermanentJobError) or (
            isinstance(exc, IntegrationError) and not exc.transient
        )
        error = _describe(exc)
        now = self.clock.now()
        with transaction(self.sessions) as session:
            current = session.get(Job, job.id, with_for_update=True)
            assert current is not None
            current.last_error = error
            current.locked_until = None
            if permanent or current.attempts >= self.settings.max_attempts:
                current.status = JobStatus.PARKED
                current.finished_at = now
            else:
                delay = backoff_seconds(
                    current.attempts,
                    base=self.settings.backoff_base_seconds,
                    cap=self.settings.backoff_max_seconds,
                )
                current.status = JobStatus.QUEUED
                current.run_after = now + dt.timedelta(seconds=delay)
            status = current.status
        log.warning(
            "job.failed",
            job=job.name,
            job_id=str(job.id),
            attempt=job.attempts,
            status=status.value,
            error=error,
        )
        return Outcome(job.id, job.name, status)

    def run_until_idle(self, limit: int = 1000) -> list[Outcome]:
        """Run due jobs until none is left (tests, the CLI's --once)."""
        outcomes: list[Outcome] = []
        while len(outcomes) < limit:
            outcome = self.run_once()
            if outcome is None:
                break
            outcomes.append(outcome)
        self.release()
        return outcomes

    def release(self) -> None:
        """Give back the chained job this worker holds but will not run now (it stops):
        queued again at once, for any worker, rather than after its lease."""
        job, self._chained = self._chained, None
        if job is None:
            return
        with transaction(self.sessions) as session:
            current = session.get(Job, job.id, with_for_update=True)
            if current is None or current.locked_by != self.worker_id:
                return
            if current.status == JobStatus.RUNNING:
                current.status = JobStatus.QUEUED
                current.locked_by = current.locked_until = None
                current.attempts = max(current.attempts - 1, 0)

    def run_forever(self) -> None:
        log.info("worker.started", worker=self.worker_id)
        while not self._stop.is_set():
            try:
                outcome = self.run_once()
            except Exception:
                log.error("worker.claim_failed", error=traceback.format_exc(limit=1))
                outcome = None
            if outcome is None and not self._stop.is_set():
                if self._wait is not None:
                    self._wait(self.settings.poll_seconds)
                else:
                    self._stop.wait(self.settings.poll_seconds)
        try:
            self.release()
        except Exception:
            log.error("worker.release_failed", error=traceback.format_exc(limit=1))
        log.info("worker.stopped", worker=self.worker_id)

    def stop(self) -> None:
        self._stop.set()


def _describe(exc: Exception) -> str:
    """A failure's description for the job row: integration errors are pre-redacted."""
    if isinstance(exc, IntegrationError):
        return f"{exc.system}: {exc.detail}"
    if isinstance(exc, PermanentJobError):
        return str(exc)[:500]
    return type(exc).__name__
