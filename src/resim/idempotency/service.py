"""Idempotency-Key for POST requests: the first answer is kept (sealed) and replayed.

A key is scoped to its caller (the principal); reusing it for a different request is
an error, and a second request while the first is still running is a conflict.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from resim.errors import Conflict, Invalid
from resim.idempotency.models import IdempotencyRecord
from resim.kit.crypto import seal, unseal

# A reservation this old belongs to a request that died without an answer.
ABANDONED_AFTER = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class Replay:
    status_code: int
    content_type: str
    body: bytes


def begin(
    session: Session,
    *,
    principal: str,
    key: str,
    request_hash: str,
    secret: bytes,
    now: dt.datetime,
    ttl: dt.timedelta,
) -> Replay | None:
    """Return the stored answer to replay, or reserve the key (None) for a first run."""
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise Invalid("INVALID_IDEMPOTENCY_KEY", "The Idempotency-Key header is not valid.")
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - ttl))
    found = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
        )
    )
    if found is None:
        try:
            with session.begin_nested():
                session.add(
                    IdempotencyRecord(
                        principal=principal, key=key, request_hash=request_hash, created_at=now
                    )
                )
            return None
        except IntegrityError:
            raise _in_progress() from None
    if found.request_hash != request_hash:
        raise Invalid(
            "IDEMPOTENCY_KEY_REUSED",
            "This Idempotency-Key was already used for a different request.",
        )
    if found.status_code is None or found.body is None:
        if now - found.created_at < ABANDONED_AFTER:
            raise _in_progress()
        found.created_at = now  # the first attempt died: this one takes over the key
        session.flush()
        return None
    return Replay(
        status_code=found.status_code,
        content_type=found.content_type or "application/json",
        body=unseal(secret, found.body).encode("latin-1"),
    )


def finish(
    session: Session,
    *,
    principal: str,
    key: str,
    status_code: int,
    content_type: str,
    body: bytes,
    secret: bytes,
) -> None:
    """Keep the answer (a 5xx is not kept: the client may retry it)."""
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
        )
    )
    if record is None:
        return
    if status_code >= 500:
        session.delete(record)
        return
    record.status_code = status_code
    record.content_type = content_type
    record.body = seal(secret, body.decode("latin-1"))


def _in_progress() -> Conflict:
    return Conflict(
        "IDEMPOTENCY_IN_PROGRESS", "A request with this Idempotency-Key is still being processed."
    )
