"""The line a CAMARA question is about, by number or by the line a consent names, with its
latest SIM change: one prepared statement each, since every question asks it (the hot path).

The answer comes from the line's recorded SIM changes: the time the number was paired with
a new IMSI (a replacement's install), or with its first one (the activation; the spec counts
a new subscription as a swap)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from resim.camara.spec import CHANGE_KINDS
from resim.line.models import Line, LineEvent, LineState


@dataclass(frozen=True)
class Subject:
    tenant_id: uuid.UUID
    line_id: uuid.UUID
    phone_number: str
    ceased: bool
    latest_change: dt.datetime | None


# The API's hot path: statements built once, run on the session's connection (the ORM's
# per-call statement building cost more than the database's work).
_LATEST_CHANGE = (
    select(func.max(LineEvent.at))
    .where(LineEvent.line_id == Line.id, LineEvent.kind.in_(CHANGE_KINDS))
    .scalar_subquery()
)
_SUBJECT = select(Line.id, Line.tenant_id, Line.msisdn, Line.state, _LATEST_CHANGE.label("latest"))
_BY_NUMBER = (
    _SUBJECT.where(
        Line.msisdn == bindparam("number"),
        Line.tenant_id.in_(bindparam("tenants", expanding=True)),
    )
    .order_by(Line.created_at.desc())
    .limit(1)
)
_BY_LINE = _SUBJECT.where(Line.id == bindparam("line"), Line.tenant_id == bindparam("tenant"))


def _subject(row: object | None) -> Subject | None:
    if row is None:
        return None
    return Subject(
        tenant_id=row.tenant_id,  # type: ignore[attr-defined]
        line_id=row.id,  # type: ignore[attr-defined]
        phone_number=row.msisdn,  # type: ignore[attr-defined]
        ceased=row.state == LineState.CEASED,  # type: ignore[attr-defined]
        latest_change=row.latest,  # type: ignore[attr-defined]
    )


def subject_by_number(
    session: Session, tenant_ids: frozenset[uuid.UUID], phone_number: str
) -> Subject | None:
    """The line with this number among the client's tenants (one query)."""
    if not tenant_ids:
        return None
    params = {"number": phone_number, "tenants": list(tenant_ids)}
    return _subject(session.connection().execute(_BY_NUMBER, params).first())


def subject_by_line(session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID) -> Subject | None:
    params = {"line": line_id, "tenant": tenant_id}
    return _subject(session.connection().execute(_BY_LINE, params).first())
