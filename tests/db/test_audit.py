from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from resim.audit.models import AuditEvent
from resim.db.engine import transaction
from resim.errors import Conflict
from resim.tenant.models import Tenant
from tests import factories

AT = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


def _count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_an_audit_event_commits_with_its_change(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        factories.tenant(session, "acme", AT)
    with sessions() as session:
        event = session.scalars(select(AuditEvent)).one()
        assert event.action == "tenant.created" and event.actor_type == "cli"


def test_a_rolled_back_change_leaves_no_audit_event(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), transaction(sessions) as session:
        factories.tenant(session, "acme", AT)
        raise RuntimeError("the request failed after the change")
    assert _count(sessions) == 0
    with sessions() as session:
        assert session.scalars(select(Tenant)).all() == []


def test_audit_events_cannot_be_edited_or_deleted(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        factories.tenant(session, "acme", AT)
    with pytest.raises(Conflict), transaction(sessions) as session:
        event = session.scalars(select(AuditEvent)).one()
        event.action = "forged"
        session.flush()
    with pytest.raises(Conflict), transaction(sessions) as session:
        session.delete(session.scalars(select(AuditEvent)).one())
        session.flush()
    with sessions() as session:
        assert session.scalars(select(AuditEvent.action)).one() == "tenant.created"
