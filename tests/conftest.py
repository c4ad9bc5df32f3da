"""Every database test runs on SQLite and on PostgreSQL, each in a fresh database.

The schema is built once per backend by the real migrations (a template), then each test
gets a copy: a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL.

Under pytest-xdist every worker has its own of everything session-scoped here: its own
PostgreSQL cluster (or, with RESIM_TEST_PG_URL, its own template database in the given one),
its own templates, its own SM-DP+ sandbox, and its ports and addresses (tests.workers).
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
from tests.workers import worker_id

BACKENDS = [b for b in os.environ.get("RESIM_TEST_DATABASES", "sqlite,postgresql").split(",") if b]
START = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)
PG_TEMPLATE = f"resim_template_{worker_id()}"  # workers sharing RESIM_TEST_PG_URL never meet


def pytest_report_header() -> str:
    return f"resim databases: {', '.join(BACKENDS)}"


@pytest.fixture(scope="session", autouse=True)
def _var_per_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Settings built from the environment (``resim`` commands run by tests, ``Settings()``)
    keep their files in this worker's own folder, not in the checkout's var/, where workers
    would share one SM-DP+ sandbox state file and a developer's demo data."""
    var = tmp_path_factory.mktemp("var")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RESIM_VAR_DIR", str(var))
        patch.setenv("RESIM_SMDP__SANDBOX_DB", str(var / "smdp-sandbox.sqlite3"))
        patch.setenv("RESIM_EMAIL__OUTBOX_DIR", str(var / "outbox" / "email"))
        patch.setenv("RESIM_SMS__OUTBOX_DIR", str(var / "outbox" / "sms"))
        patch.setenv("RESIM_DOCUMENTS__FOLDER", str(var / "documents"))
        yield


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
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_TEMPLATE}"'))
            conn.execute(text(f'CREATE DATABASE "{PG_TEMPLATE}"'))
        engine.dispose()
        url = make_url(admin).set(database=PG_TEMPLATE).render_as_string(hide_password=False)
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
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{PG_TEMPLATE}"'))
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
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    items[:] = slow_first(keep, workers)


# The longest tests, longest first (measured with --durations): each xdist worker starts its
# share of the run with some of them, so none is left to start near the end and run alone.
# A test not listed here only loses this head start.
SLOW = (
    "tests/provisioning/test_crash.py",
    "tests/cli/test_cli.py::test_demo_loads_valid_data_once",
    "tests/camara/test_demo.py",
    "tests/jobs/test_worker.py::test_two_worker_processes",
    "tests/office/test_matrix.py",
    "tests/e2e/",
    "tests/camara/test_openapi.py",
    "tests/kit/test_activation_code.py",
    "tests/cli/test_cli.py",
)


def _slowness(item: pytest.Item) -> int:
    """The rank of the first SLOW prefix the test's id starts with; len(SLOW) if none."""
    return next((i for i, p in enumerate(SLOW) if item.nodeid.startswith(p)), len(SLOW))


def slow_first(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """``items`` reordered so that each of the contiguous shares xdist's worksteal scheduler
    first hands the ``workers`` workers (sizes as it computes them) begins with slow tests,
    dealt out longest first; every other test keeps its place in the order."""
    if workers < 2:
        return items
    slow = sorted((i for i in items if _slowness(i) < len(SLOW)), key=_slowness)
    rest = [i for i in items if _slowness(i) == len(SLOW)]
    sizes, left = [], len(items)
    for share in range(workers):
        sizes.append(left // (workers - share))
        left -= sizes[-1]
    heads: list[list[pytest.Item]] = [[] for _ in sizes]
    for n, item in enumerate(slow):
        heads[n % workers].append(item)
    ordered: list[pytest.Item] = []
    for head, size in zip(heads, sizes, strict=True):
        ordered += head
        ordered += rest[: max(0, size - len(head))]
        rest = rest[max(0, size - len(head)) :]
    return ordered + rest


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
