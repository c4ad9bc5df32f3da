"""Enqueue jobs in the caller's transaction; list and retry parked ones."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from resim.db.engine import notify_workers
from resim.errors import Conflict, NotFound
from resim.jobs.models import Job, JobStatus

_NAME = re.compile(r"^[a-z_]+\.[a-z_]+$")
# session.info key: the chainable jobs this transaction enqueued, for the worker running it.
CHAINED = "resim.jobs.chained"
NOTIFIED = "resim.jobs.notified"  # the transaction that has told idle workers already


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name))


def enqueue(
    session: Session,
    name: str,
    payload: dict[str, Any],
    *,
    at: dt.datetime,
    tenant_id: uuid.UUID | None = None,
    run_after: dt.datetime | None = None,
    chain: bool = False,
) -> Job:
    """Write a job row; it runs only if the caller's transaction commits. Features enqueue
    through their declared :class:`resim.jobs.registry.JobType`, which types the payload."""
    if not valid_name(name):
        raise ValueError(f"job names are '<feature>.<action>', not {name!r}")
    job = Job(
        tenant_id=tenant_id,
        name=name,
        payload=payload,
        status=JobStatus.QUEUED,
        attempts=0,
        run_after=run_after or at,
        created_at=at,
    )
    session.add(job)
    session.flush()
    if chain:
        session.info.setdefault(CHAINED, []).append(job)
    # Once per transaction is enough; a savepoint's own, since its rollback drops it.
    transaction = session.get_nested_transaction() or session.get_transaction()
    if session.info.get(NOTIFIED) is not transaction:
        session.info[NOTIFIED] = transaction
        notify_workers(session)
    return job


def get(session: Session, job_id: uuid.UUID) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound("JOB_NOT_FOUND", "This job does not exist.")
    return job


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status.value: count for status, count in rows}


def troubled(
    session: Session, tenant_id: uuid.UUID, now: dt.datetime, limit: int = 200
) -> list[Job]:
    """The tenant's jobs that need a person: parked for good, failing and waiting to retry,
    or running past their lease (their worker died)."""
    stmt = (
        select(Job)
        .where(
            Job.tenant_id == tenant_id,
            (Job.status == JobStatus.PARKED)
            | ((Job.status == JobStatus.QUEUED) & (Job.attempts > 0))
            | ((Job.status == JobStatus.RUNNING) & (Job.locked_until < now)),
        )
        .order_by(Job.created_at)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def sent_to(
    session: Session,
    tenant_id: uuid.UUID,
    names: tuple[str, ...],
    recipients: set[str],
    limit: int = 100,
) -> list[Job]:
    """The tenant's jobs of these names whose payload's ``to`` is one of ``recipients``,
    newest first (the messages sent to a holder; their text stays sealed)."""
    stmt = (
        select(Job)
        .where(Job.tenant_id == tenant_id, Job.name.in_(names))
        .order_by(Job.created_at.desc())
    )
    found = []
    for job in session.scalars(stmt.execution_options(yield_per=500)):
        if job.payload.get("to") in recipients:
            found.append(job)
            if len(found) >= limit:
                break
    return found


def retry(
    session: Session, job_id: uuid.UUID, *, at: dt.datetime, tenant_id: uuid.UUID | None = None
) -> Job:
    """Put a parked job back in the queue, with a fresh count of attempts. With
    ``tenant_id``, another tenant's job is not found."""
    job = get(session, job_id)
    if tenant_id is not None and job.tenant_id != tenant_id:
        raise NotFound("JOB_NOT_FOUND", "This job does not exist.")
    if job.status != JobStatus.PARKED:
        raise Conflict("JOB_NOT_PARKED", "Only a parked job can be retried.")
    job.status = JobStatus.QUEUED
    job.attempts = 0
    job.run_after = at
    job.finished_at = None
    session.flush()
    return job
