"""Who calls the CAMARA API, and the questions' hot path: a valid token of an active client
within its limits, the line a question is about, and the record of every answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from resim.camara import service
from resim.camara.clients import ClientCache, Limiter
from resim.camara.responses import STATUS
from resim.camara.spec import Refused
from resim.camara.subjects import Subject
from resim.camara.tokens import Access, InvalidToken, Signer
from resim.db.engine import transaction
from resim.web.context import DB, deps_of
from resim.web.unit_of_work import keep_failed_try


class Runtime:
    """The API's per-process parts: the token signer, the clients' buckets, and sessions
    for the questions' hot path (see :func:`asked`) with as many slots as the pool keeps
    connections: more at once would open and close overflow connections on every request."""

    def __init__(
        self, secret: bytes, issuer: str, sessions: sessionmaker[Session], slots: int
    ) -> None:
        self.sessions = sessions
        self.slots = anyio.CapacityLimiter(slots)
        self.signer = Signer(secret, issuer)
        self.clients = ClientCache()
        self.limiter = Limiter()


def runtime(request: Request) -> Runtime:
    found: Runtime = request.app.state.camara
    return found


@dataclass(frozen=True)
class Call:
    access: Access
    client: service.ClientView
    session: Session
    now: dt.datetime

    @property
    def legs(self) -> int:
        return 3 if self.access.three_legged else 2


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def authorize(request: Request, session: Session, scope: str) -> Call:
    """A valid access token of an active client, holding ``scope``, within its limits."""
    parts, deps = runtime(request), deps_of(request)
    now = deps.clock.now()
    presented = _bearer(request)
    if presented is None:
        raise Refused("UNAUTHENTICATED", "An access token (Authorization: Bearer) is needed.")
    try:
        access = parts.signer.verify(presented, now)
    except InvalidToken:
        raise Refused(
            "UNAUTHENTICATED",
            "Request not authenticated due to missing, invalid, or expired credentials.",
        ) from None
    client = parts.clients.get(session, access.client_id)
    if client is None or not client.active:
        raise Refused("UNAUTHENTICATED", "The client of this token is not active.")
    if scope not in access.scopes:
        raise Refused("PERMISSION_DENIED", f"The access token does not grant the scope {scope}.")
    parts.limiter.take(session, client, now)
    return Call(access, client, session, now)


def caller(scope: str) -> Any:
    """:func:`authorize` as a route's dependency, on the request's session."""

    def dependency(request: Request, session: Session = DB) -> Call:
        return authorize(request, session, scope)

    return Depends(dependency)


T = TypeVar("T")


async def asked(
    request: Request,
    scope: str,
    operation: str,
    phone_number: str | None,
    answer: Callable[[Subject, dt.datetime], tuple[str, T]],
    first: Callable[[], None] = lambda: None,
) -> T:
    """One question about one number, start to end on one worker thread and one session:
    the caller, ``first`` (checks of the request), the line, ``answer`` (an outcome to
    record and a result), the record."""

    def work() -> T:
        # One read and one append, each standing alone: a question changes nothing else.
        with transaction(runtime(request).sessions) as session:
            call = authorize(request, session, scope)
            subject = None
            try:
                first()
                subject = subject_of(call, phone_number)
                outcome, result = answer(subject, call.now)
            except Refused as exc:
                _answered(call, operation, subject, phone_number, STATUS[exc.code], exc.code)
                keep_failed_try(session)  # a refused question is on record too
                raise
            _answered(call, operation, subject, phone_number, 200, outcome)
            return result

    return await anyio.to_thread.run_sync(work, limiter=runtime(request).slots)


def subject_of(call: Call, phone_number: str | None) -> Subject:
    """The line a request is about: from a three-legged token, or the phone number a
    two-legged call must give (the spec's identifier errors)."""
    if call.access.three_legged:
        if phone_number is not None:
            raise Refused(
                "UNNECESSARY_IDENTIFIER", "The phone number is already identified by the token."
            )
        assert call.access.tenant_id is not None
        assert call.access.line_id is not None
        found = service.subject_by_line(call.session, call.access.tenant_id, call.access.line_id)
    else:
        if phone_number is None:
            raise Refused("MISSING_IDENTIFIER", "The phone number cannot be identified.")
        found = service.subject_by_number(call.session, call.client.tenant_ids, phone_number)
    if found is None:
        raise Refused("IDENTIFIER_NOT_FOUND", "The phone number is not known to this operator.")
    if found.ceased:
        raise Refused("SERVICE_NOT_APPLICABLE", "The line of this number has been ceased.")
    return found


def _answered(
    call: Call,
    operation: str,
    subject: Subject | None,
    given: str | None,
    status: int,
    outcome: str,
) -> None:
    service.record_query(
        call.session,
        at=call.now,
        client_ref=call.client.ref,
        tenant_id=subject.tenant_id if subject else None,
        phone_number=subject.phone_number if subject else given,
        operation=operation,
        legs=call.legs,
        status=status,
        outcome=outcome,
    )
