from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import inspect, select

from resim.db.engine import make_engine, make_sessionmaker, transaction
from resim.db.migrate import alembic_config, check, upgrade
from resim.tenant.models import Tenant


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
