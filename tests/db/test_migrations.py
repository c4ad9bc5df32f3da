from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from alembic import command
from sqlalchemy import inspect, select

from resim.audit import service as audit
from resim.db.base import UtcDateTime
from resim.db.engine import make_engine, make_sessionmaker, transaction
from resim.db.migrate import alembic_config, check, upgrade
from resim.tenant.models import Tenant
from tests import factories


def test_migrations_reach_head_and_match_the_models(db_url: str) -> None:
    upgrade(db_url)  # already at head: a no-op that must not fail
    check(db_url)  # `alembic check`: models and migrations agree


def test_downgrade_to_base_and_back(db_url: str) -> None:
    config = alembic_config(db_url)
    command.downgrade(config, "base")
    engine = make_engine(db_url)
    assert "line" not in inspect(engine).get_table_names()
    engine.dispose()
    upgrade(db_url)
    engine = make_engine(db_url)
    assert {"tenant", "line", "job", "audit_event"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_timestamps_come_back_aware_and_in_utc(db_url: str) -> None:
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    rome = dt.timezone(dt.timedelta(hours=1))
    at = dt.datetime(2026, 1, 2, 13, 0, tzinfo=rome)
    with transaction(sessions) as session:
        session.add(
            Tenant(
                slug="tz", name="Tz", default_language="it", policy={}, branding={}, created_at=at
            )
        )
    with sessions() as session:
        stored = session.scalars(select(Tenant.created_at)).one()
    assert stored == at and stored.utcoffset() == dt.timedelta(0)
    assert stored.hour == 12
    engine.dispose()


def test_existing_audit_events_are_chained_by_the_migration(db_url: str) -> None:
    command.downgrade(alembic_config(db_url), "0006")
    engine = make_engine(db_url)
    events = sa.table(
        "audit_event",
        sa.column("id", sa.Uuid()),
        sa.column("tenant_id", sa.Uuid()),
        sa.column("at", UtcDateTime(timezone=True)),
        sa.column("actor_type", sa.String()),
        sa.column("actor_id", sa.String()),
        sa.column("ip", sa.String()),
        sa.column("action", sa.String()),
        sa.column("subject_type", sa.String()),
        sa.column("subject_id", sa.String()),
        sa.column("details", sa.JSON()),
    )
    tenants = sa.table(
        "tenant",
        sa.column("id", sa.Uuid()),
        sa.column("slug", sa.String()),
        sa.column("name", sa.String()),
        sa.column("default_language", sa.String()),
        sa.column("policy", sa.JSON()),
        sa.column("branding", sa.JSON()),
        sa.column("created_at", UtcDateTime(timezone=True)),
    )
    tenant_id = uuid.uuid4()
    at = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(tenants).values(
                id=tenant_id,
                slug="old",
                name="Old",
                default_language="it",
                policy={},
                branding={"display_name": "Old"},
                created_at=at,
            )
        )
        for n in range(3):
            conn.execute(
                sa.insert(events).values(
                    id=uuid.uuid4(),
                    tenant_id=tenant_id,
                    at=at + dt.timedelta(minutes=n),
                    actor_type="system",
                    actor_id=None,
                    ip=None,
                    action="old.event",
                    subject_type="line",
                    subject_id=str(n),
                    details={"n": n, "text": "è"},
                )
            )
    engine.dispose()
    upgrade(db_url)
    sessions = make_sessionmaker(make_engine(db_url))
    with sessions() as session:
        assert audit.verify(session, tenant_id) is None
    with transaction(sessions) as session:  # and the chain goes on from where it was
        audit.record(
            session,
            tenant_id=tenant_id,
            actor=factories.ACTOR,
            action="new.event",
            subject_type="line",
            subject_id="x",
            at=at + dt.timedelta(hours=1),
        )
    with sessions() as session:
        assert audit.verify(session, tenant_id) is None
