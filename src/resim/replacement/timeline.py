"""An application's timeline: one event per change, numbered, with the state it is in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from resim.replacement import repository
from resim.replacement.models import Application, ApplicationEvent


def record(session: Session, app: Application, at: dt.datetime, actor: str, **details: Any) -> None:
    """An event on the application's timeline, in the state it is in now."""
    session.add(
        ApplicationEvent(
            tenant_id=app.tenant_id,
            application_id=app.id,
            seq=repository.next_seq(session, app.id),
            at=at,
            state=app.state.value,
            actor=actor,
            details=details,
        )
    )
    session.flush()


def of(session: Session, app: Application) -> list[ApplicationEvent]:
    return repository.events(session, app.id)
