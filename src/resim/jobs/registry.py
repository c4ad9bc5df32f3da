"""Jobs declared once: a name, a typed payload and one handler.

A feature declares each of its jobs as a :class:`JobType` next to the service that enqueues
it, and attaches the handler in its ``tasks.py``::

    STEP = JobType("provisioning.step", StepRef, chain=True)   # service.py

    @STEP.handler                                               # tasks.py
    def step(env: Env, session: Session, payload: StepRef) -> None: ...

``env`` is what the handler needs from the process (ports, settings, clock): each feature's
``tasks.py`` names it as a small ``Protocol``, and the composition root (``resim.tasks``)
hands the same wired object to every handler (and has mypy check that it fits them all).
Enqueueing is typed too (``STEP.enqueue(session, StepRef(...), at=...)``), so a payload
that does not fit its job is a type error, not a parked job. The worker stays generic: it
sees only the plain ``name -> handler(session, dict)`` table that :func:`handlers` builds.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session

from resim.jobs import service
from resim.jobs.models import Job
from resim.jobs.worker import Handler, PermanentJobError

P = TypeVar("P", bound="Payload")
# The handler's first argument: the wired process (typed by each feature's own Protocol).
Run = Callable[[Any, Session, P], None]


class Payload(BaseModel):
    """A job's arguments: small, JSON-serialisable, never secret in clear (seal it)."""

    # Rows written by an older release may carry keys this one no longer reads.
    model_config = ConfigDict(frozen=True, extra="ignore")


_DECLARED: dict[str, JobType[Any]] = {}


class JobType(Generic[P]):
    """One kind of job. ``chain``: when a handler enqueues this job due at once, the same
    worker claims it in that handler's transaction and runs it next (a workflow's steps do
    not each wait for a poll of the queue)."""

    def __init__(
        self, name: str, payload: type[P], *, chain: bool = False, formerly: tuple[str, ...] = ()
    ) -> None:
        for known in (name, *formerly):
            if not service.valid_name(known):
                raise ValueError(f"job names are '<feature>.<action>', not {known!r}")
            if any(known in _names(t) for t in _DECLARED.values()):
                raise ValueError(f"job {known!r} is declared twice")
        self.name = name
        self.payload = payload
        self.chain = chain
        # Names an earlier release queued this job under: rows it left still run.
        self.formerly = formerly
        self._run: Run[P] | None = None
        _DECLARED[name] = self

    def __repr__(self) -> str:
        return f"JobType({self.name!r})"

    def enqueue(
        self,
        session: Session,
        payload: P,
        *,
        at: dt.datetime,
        tenant_id: uuid.UUID | None = None,
        run_after: dt.datetime | None = None,
    ) -> Job:
        """Write the job in the caller's transaction; it runs only if that commits."""
        if not isinstance(payload, self.payload):
            raise TypeError(f"{self.name} takes {self.payload.__name__}")
        return service.enqueue(
            session,
            self.name,
            payload.model_dump(mode="json", exclude_none=True),
            at=at,
            tenant_id=tenant_id,
            run_after=run_after,
            chain=self.chain,
        )

    def handler(self, run: Run[P]) -> Run[P]:
        """Decorator: the one function that runs this job."""
        if self._run is not None:
            raise ValueError(f"job {self.name!r} has a handler already")
        self._run = run
        return run

    def bind(self, env: object) -> Handler:
        """The worker's handler: the stored payload validated, then the typed function."""
        run = self._run
        if run is None:
            raise LookupError(f"job {self.name!r} has no handler: import its tasks module")

        def handle(session: Session, raw: dict[str, Any]) -> None:
            try:
                payload = self.payload.model_validate(raw)
            except ValidationError as exc:
                # A row that cannot be read will not become readable by retrying.
                raise PermanentJobError(f"{self.name}: payload does not fit") from exc
            run(env, session, payload)

        return handle


def _names(job_type: JobType[Any]) -> tuple[str, ...]:
    return (job_type.name, *job_type.formerly)


def declared() -> list[JobType[Any]]:
    return list(_DECLARED.values())


def handlers(env: object, types: Iterable[JobType[Any]] | None = None) -> dict[str, Handler]:
    """Every declared job (or ``types``) bound to ``env``, under its name and the names it
    had before: the worker's table."""
    table: dict[str, Handler] = {}
    for job_type in declared() if types is None else types:
        bound = job_type.bind(env)
        table.update(dict.fromkeys(_names(job_type), bound))
    return table
