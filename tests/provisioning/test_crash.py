"""Kill the worker (SIGKILL) at every point of the workflow where an external call has been
made and its step not committed; restart; the invariants hold. On PostgreSQL, two worker
processes then share a queue with a kill in each and two applications for one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from resim.config import JobsSettings
from resim.deps import Deps
from resim.jobs.worker import Worker
from resim.kit.clock import FixedClock, SystemClock
from resim.registry import service as registry
from resim.tasks import handlers
from tests.provisioning.world import Case, approve, check_invariants, holder

# downloadOrder, confirmOrder; create; owner_of, unpair, pair; get, bar, delete.
CALLS_PER_PROVISIONING = 9
WORKER = str(Path(__file__).with_name("crash_worker.py"))


def env(deps: Deps, tmp_path: Path) -> dict[str, str]:
    settings = deps.settings
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "RESIM_DB__URL": settings.db.url,
        "RESIM_SMDP__URL": str(settings.smdp.url),
        "RESIM_VAR_DIR": str(tmp_path),
        "RESIM_EMAIL__OUTBOX_DIR": str(settings.email.outbox_dir),
        "RESIM_SMS__OUTBOX_DIR": str(settings.sms.outbox_dir),
        "RESIM_JOBS__LEASE_SECONDS": "1",
        "RESIM_JOBS__BACKOFF_BASE_SECONDS": "0.05",
        "RESIM_JOBS__BACKOFF_MAX_SECONDS": "0.2",
        "RESIM_LOG_LEVEL": "WARNING",
    }


def spawn(
    deps: Deps, tmp_path: Path, kill_after: int, idle: float = 1.5
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, WORKER, str(kill_after), str(idle)],
        env=env(deps, tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def killed(process: subprocess.Popen[bytes]) -> None:
    _out, err = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, err.decode()[-2000:]


def recover(deps: Deps) -> None:
    """Restart: a worker on the real clock takes over once the dead one's lease runs out."""
    time.sleep(1.1)
    settings = JobsSettings(lease_seconds=1, backoff_base_seconds=0.05, backoff_max_seconds=0.2)
    worker = Worker(deps.sessions, SystemClock(), settings, handlers(deps))
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < 0.6:
        if worker.run_until_idle():
            idle_since = time.monotonic()
        time.sleep(0.05)


def pairings(deps: Deps, cases: list[Case]) -> dict[str, str | None]:
    with deps.sessions() as session:
        return {c.msisdn: registry.owner(session, c.msisdn) for c in cases}


def test_a_kill_after_any_call_loses_nothing_and_does_nothing_twice(
    deps: Deps, clock: FixedClock, tmp_path: Path
) -> None:
    cases: list[Case] = []
    apps: list[uuid.UUID] = []
    for kill_after in range(1, CALLS_PER_PROVISIONING + 1):
        case = holder(deps.sessions, clock.now(), stock=CALLS_PER_PROVISIONING + 8)
        cases.append(case)
        apps.append(approve(deps.sessions, case, clock.now()))
        killed(spawn(deps, tmp_path, kill_after))
        recover(deps)
        outcome = check_invariants(deps.sessions, apps, pairings(deps, cases))
        assert outcome == {"code_ready": len(apps), "failed": 0}, f"killed after {kill_after}"


@pytest.mark.postgres_only
def test_two_workers_killed_midway_then_restarted_finish_every_request(
    deps: Deps, clock: FixedClock, tmp_path: Path
) -> None:
    cases = [holder(deps.sessions, clock.now(), stock=12) for _ in range(5)]
    apps = [approve(deps.sessions, case, clock.now()) for case in cases]
    apps.append(approve(deps.sessions, cases[0], clock.now()))  # a second one for one line
    first, second = spawn(deps, tmp_path, 7), spawn(deps, tmp_path, 11)
    killed(first)
    killed(second)
    time.sleep(1.1)
    survivors = [spawn(deps, tmp_path, 0, idle=2.0) for _ in range(2)]
    for process in survivors:
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()[-2000:]
    outcome = check_invariants(deps.sessions, apps, pairings(deps, cases))
    assert outcome == {"code_ready": len(cases), "failed": 1}  # LINE_BUSY
