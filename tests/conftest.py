"""Every database test runs on SQLite and on PostgreSQL, each in a fresh database.

The schema is built once per backend by the real migrations (a template), then each test
gets a copy: a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

import resim.models  # noqa: F401 - every table known before the first query
from resim.config import Settings
from resim.db.migrate import upgrade
from resim.deps import Deps, build_deps
from resim.kit.clock import FixedClock

if TYPE_CHECKING:
    from fastapi.testclient import TestClient
from tests.pg import Cluster, start_cluster

BACKENDS = [b for b in os.environ.get("RESIM_TEST_DATABASES", "sqlite,postgresql").split(",") if b]
START = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)


def pytest_report_header() -> str:
    return f"resim databases: {', '.join(BACKENDS)}"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster | str]:
    given = os.environ.get("RESIM_TEST_PG_URL")
    if given:
        yield given
        return
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


def _pg_admin_url(pg: Cluster | str) -> str:
    return pg if isinstance(pg, str) else pg.url


@pytest.fixture(scope="session")
def templates(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """A migrated template database per backend."""
    found: dict[str, str] = {}
    if "sqlite" in BACKENDS:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        upgrade(f"sqlite:///{path}")
        found["sqlite"] = str(path)
    if "postgresql" in BACKENDS:
        admin = _pg_admin_url(request.getfixturevalue("pg_cluster"))
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS resim_template"))
            conn.execute(text("CREATE DATABASE resim_template"))
        engine.dispose()
        url = make_url(admin).set(database="resim_template").render_as_string(hide_password=False)
        upgrade(url)
        found["postgresql"] = admin
    return found


@pytest.fixture(params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, templates: dict[str, str], tmp_path: Path
) -> Iterator[str]:
    """A fresh, migrated database of one backend, dropped after the test."""
    backend = request.param
    if backend == "sqlite":
        target = tmp_path / "resim.sqlite3"
        shutil.copyfile(templates["sqlite"], target)
        yield f"sqlite:///{target}"
        return
    if "postgres_only" in request.keywords and backend != "postgresql":
        pytest.skip("PostgreSQL only")  # never reached: see pytest_collection_modifyitems
    admin = templates["postgresql"]
    name = f"t_{uuid.uuid4().hex[:16]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE resim_template'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked postgres_only is deselected (and reported so) for SQLite."""
    keep = []
    dropped = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("db_url") if callspec is not None else None
        if item.get_closest_marker("postgres_only") and backend != "postgresql":
            dropped.append(item)
            continue
        keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = keep


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture(scope="session")
def smdp_url() -> Iterator[str]:
    """The test session's SM-DP+ sandbox over real HTTP (see tests.factories.SANDBOX)."""
    from resim.smdp_sandbox.server import create_app
    from tests.factories import SANDBOX
    from tests.servers import serve

    with serve(create_app(SANDBOX)) as url:
        yield url


@pytest.fixture
def settings(db_url: str, tmp_path: Path, smdp_url: str) -> Settings:
    return Settings(
        db={"url": db_url},
        smdp={"url": smdp_url, "sandbox_db": tmp_path / "smdp.sqlite3"},
        var_dir=tmp_path,
        email={"outbox_dir": tmp_path / "outbox"},
        sms={"outbox_dir": tmp_path / "sms"},
        documents={"folder": tmp_path / "documents"},
        jobs={"embedded_worker": False, "poll_seconds": 0.05},
        demo=True,
    )


@pytest.fixture
def deps(settings: Settings, clock: FixedClock) -> Iterator[Deps]:
    built = build_deps(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
def sessions(deps: Deps) -> sessionmaker[Session]:
    return deps.sessions


@pytest.fixture
def backend(db_url: str) -> str:
    return "sqlite" if db_url.startswith("sqlite") else "postgresql"


@pytest.fixture
def client(deps: Deps) -> Iterator[TestClient]:
    from fastapi.testclient import TestClient

    from resim.app import create_app

    with TestClient(create_app(deps=deps), base_url="http://testserver") as test_client:
        yield test_client
