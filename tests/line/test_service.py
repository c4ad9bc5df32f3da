from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from resim.audit.models import AuditEvent
from resim.audit.service import Actor
from resim.db.engine import transaction
from resim.errors import Conflict, Invalid, NotFound
from resim.kit.clock import FixedClock
from resim.line import service
from resim.line.models import LineEventKind, LineState
from resim.line.schemas import NewLine, ReactivateReason, SuspendReason
from tests import factories

CUSTOMER = Actor("customer")


def test_suspend_then_reactivate_records_events_and_audit(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    world = factories.world(sessions, clock.now())
    number = world.msisdns[0]
    clock.advance(dt.timedelta(days=3))
    with transaction(sessions) as session:
        line = service.suspend(
            session,
            world.tenant_id,
            world.customer_id,
            number,
            SuspendReason.STOLEN,
            at=clock.now(),
            actor=CUSTOMER,
        )
        assert line.state == LineState.SUSPENDED
    with sessions() as session:
        view = service.line_overview(session, world.tenant_id, world.customer_id, number)
        assert view.line.state == LineState.SUSPENDED
        assert view.events[0].kind == LineEventKind.SUSPENDED and view.events[0].reason == "stolen"
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject_id == str(view.line.id))
        ).all()
        assert "line.suspended" in actions
    clock.advance(dt.timedelta(hours=5))
    with transaction(sessions) as session:
        service.reactivate(
            session,
            world.tenant_id,
            world.customer_id,
            number,
            ReactivateReason.FOUND,
            at=clock.now(),
            actor=CUSTOMER,
        )
    with sessions() as session:
        view = service.line_overview(session, world.tenant_id, world.customer_id, number)
        assert view.line.state == LineState.ACTIVE
        assert [e.kind for e in view.events[:2]] == [
            LineEventKind.REACTIVATED,
            LineEventKind.SUSPENDED,
        ]


def test_suspending_twice_is_a_conflict_and_changes_nothing(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    world = factories.world(sessions, clock.now())
    number = world.msisdns[0]
    with transaction(sessions) as session:
        service.suspend(
            session,
            world.tenant_id,
            world.customer_id,
            number,
            SuspendReason.LOST,
            at=clock.now(),
            actor=CUSTOMER,
        )
    with pytest.raises(Conflict) as raised, transaction(sessions) as session:
        service.suspend(
            session,
            world.tenant_id,
            world.customer_id,
            number,
            SuspendReason.LOST,
            at=clock.now(),
            actor=CUSTOMER,
        )
    assert raised.value.code == "LINE_ALREADY_SUSPENDED"
    with sessions() as session:
        events = service.line_overview(session, world.tenant_id, world.customer_id, number).events
        assert [e.kind for e in events].count(LineEventKind.SUSPENDED) == 1


def test_reactivating_an_active_line_is_a_conflict(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    world = factories.world(sessions, clock.now())
    with pytest.raises(Conflict) as raised, transaction(sessions) as session:
        service.reactivate(
            session,
            world.tenant_id,
            world.customer_id,
            world.msisdns[0],
            ReactivateReason.FOUND,
            at=clock.now(),
            actor=CUSTOMER,
        )
    assert raised.value.code == "LINE_ALREADY_ACTIVE"


def test_another_holders_line_is_not_found(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    world = factories.world(sessions, clock.now())
    with pytest.raises(NotFound), transaction(sessions) as session:
        service.suspend(
            session,
            world.tenant_id,
            world.customer_id,
            world.other_msisdn,
            SuspendReason.LOST,
            at=clock.now(),
            actor=CUSTOMER,
        )
    with sessions() as session:
        assert len(service.overview(session, world.tenant_id, world.customer_id)) == 2


def test_queries_are_scoped_to_the_tenant(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    world = factories.world(sessions, clock.now())
    with sessions() as session:
        from resim.customer import service as customers
        from resim.tenant import service as tenants

        other = tenants.get(session, "other")
        same_email = customers.find_by_email(session, other.id, world.email)
        assert same_email is not None and same_email.id != world.customer_id
        assert service.overview(session, other.id, same_email.id) == []
        with pytest.raises(NotFound):
            service.owned_line(session, other.id, same_email.id, world.msisdns[0])


def test_a_line_with_an_unknown_plan_or_taken_number_is_refused(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    world = factories.world(sessions, clock.now())
    base = {"iccid": "8939010000000009992", "imsi": "222010000009999", "billing": "prepaid"}
    with pytest.raises(Invalid), transaction(sessions) as session:
        service.create(
            session,
            world.tenant_id,
            world.customer_id,
            NewLine(msisdn="+393471110000", plan_code="NOPE", **base),
            at=clock.now(),
            actor=CUSTOMER,
        )
    with pytest.raises(Conflict) as raised, transaction(sessions) as session:
        service.create(
            session,
            world.tenant_id,
            world.customer_id,
            NewLine(msisdn=world.msisdns[0], plan_code="START", **base),
            at=clock.now(),
            actor=CUSTOMER,
        )
    assert raised.value.code == "MSISDN_EXISTS"
