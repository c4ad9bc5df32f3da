"""How long the provisioning workflow takes, and how many requests a second it can carry.

    .venv/bin/python bench/provisioning.py [--latency N] [--batch M] [--workers 1,2,4]

Everything runs here over loopback: a throwaway PostgreSQL 15 cluster, the SM-DP+ sandbox as
its own process (`resim smdp-sandbox`), and `resim worker` processes. resim's line registry is
the HLR.

1. Latency: N low-risk applications are submitted one after the other (each committed with
   its AGCOM window already over, as `submit` leaves a verified holder's where policy allows);
   one worker runs them. Printed: the median and p95 time from the commit to "activation
   code ready", and their ratio to the sum of the bare ES2+ round trips (downloadOrder +
   confirmOrder, timed with the same client against the same sandbox in the same run).
2. Throughput: M applications submitted at once, worked by 1, 2 and 4 worker processes;
   printed: the time to finish them all and requests per second.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, func, select, text
from tests import factories
from tests.pg import free_port, start_cluster
from tests.provisioning.world import Case, approve, holder

from resim.config import Settings
from resim.db.engine import make_engine, make_sessionmaker, transaction
from resim.db.migrate import upgrade
from resim.integrations.es2plus.client import Es2PlusClient
from resim.kit.clock import SystemClock
from resim.provisioning import inventory
from resim.replacement.models import Application
from resim.replacement.states import ApplicationState

PROFILE_TYPE = "bench-consumer"
REQUESTER = "resim"


def sandbox(folder: Path, port: int, profiles: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "resim",
            "smdp-sandbox",
            "--port",
            str(port),
            "--db",
            str(folder / "smdp.sqlite3"),
            "--pool",
            f"{PROFILE_TYPE}:8939990:22299:{profiles}",
            "--pool",
            f"bare:8939980:22298:{profiles}",
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{url}/sandbox/pool/{PROFILE_TYPE}", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("the sandbox did not start")


def environment(db_url: str, smdp_url: str, folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "RESIM_DB__URL": db_url,
        "RESIM_SMDP__URL": smdp_url,
        "RESIM_SMDP__REQUESTER_ID": REQUESTER,
        "RESIM_VAR_DIR": str(folder),
        "RESIM_EMAIL__OUTBOX_DIR": str(folder / "email"),
        "RESIM_SMS__OUTBOX_DIR": str(folder / "sms"),
        "RESIM_JOBS__POLL_SECONDS": "0.02",
        "RESIM_LOG_LEVEL": "WARNING",
    }


def stock(settings: Settings, smdp_url: str, db_url: str) -> uuid.UUID:
    """The tenant "bench", its stock loaded from the sandbox's output file."""
    sessions = make_sessionmaker(make_engine(db_url))
    now = SystemClock().now()
    csv = httpx.get(f"{smdp_url}/sandbox/output-file/{PROFILE_TYPE}").text
    with transaction(sessions) as session:
        tenant = factories.tenant(session, "bench", now)
        tenant.policy = {**tenant.policy, "profile_type": PROFILE_TYPE}
        keyring = settings.documents.keyring(settings.secret_bytes)
        inventory.load(session, keyring, tenant.id, PROFILE_TYPE, inventory.parse(csv), at=now)
        return tenant.id


def holders(db_url: str, count: int) -> list[Case]:
    sessions = make_sessionmaker(make_engine(db_url))
    return [holder(sessions, SystemClock().now(), slug="bench") for _ in range(count)]


def submit(db_url: str, cases: list[Case]) -> list[tuple[uuid.UUID, float]]:
    """Applications whose waiting window is over: the window job approves them at once."""
    sessions = make_sessionmaker(make_engine(db_url))
    out = []
    for case in cases:
        app_id = approve(sessions, case, SystemClock().now(), window_over=True)
        out.append((app_id, time.perf_counter()))  # committed
    return out


def ready(db_url: str, app_ids: list[uuid.UUID]) -> int:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        count = conn.scalar(
            select(func.count()).where(
                Application.id.in_(app_ids), Application.state == ApplicationState.CODE_READY
            )
        )
    engine.dispose()
    return count or 0


def workers(count: int, env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen([sys.executable, "-m", "resim", "worker"], env=env) for _ in range(count)
    ]


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


def wait_ready(db_url: str, app_ids: list[uuid.UUID], timeout: float = 600) -> float:
    started = time.perf_counter()
    engine = make_engine(db_url)
    try:
        while time.perf_counter() - started < timeout:
            with engine.connect() as conn:
                done = conn.scalar(
                    select(func.count()).where(
                        Application.id.in_(app_ids),
                        Application.state.in_(
                            [ApplicationState.CODE_READY, ApplicationState.FAILED]
                        ),
                    )
                )
            if done == len(app_ids):
                return time.perf_counter()
            time.sleep(0.005)
    finally:
        engine.dispose()
    raise RuntimeError("the applications did not finish in time")


def bare_round_trips(smdp_url: str, count: int) -> list[float]:
    """downloadOrder + confirmOrder with resim's client, nothing else."""
    sums = []
    with Es2PlusClient(smdp_url, REQUESTER) as client:
        for _ in range(count):
            started = time.perf_counter()
            iccid = client.download_order(str(uuid.uuid4()), profile_type="bare")
            client.confirm_order(str(uuid.uuid4()), iccid=iccid, release_flag=True)
            sums.append(time.perf_counter() - started)
    return sums


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=int, default=40, help="applications, one at a time")
    parser.add_argument("--batch", type=int, default=60, help="applications per throughput run")
    parser.add_argument("--workers", default="1,2,4", help="worker processes per run")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    total = args.latency + args.batch * len(counts)

    cluster = start_cluster()
    folder = cluster.root / "bench"
    folder.mkdir()
    smdp_port = free_port()
    smdp_url = f"http://127.0.0.1:{smdp_port}"
    smdp = sandbox(folder, smdp_port, total + args.latency)
    try:
        engine = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("CREATE DATABASE bench"))
        engine.dispose()
        db_url = cluster.url.rsplit("/", 1)[0] + "/bench"
        upgrade(db_url)
        env = environment(db_url, smdp_url, folder)
        settings = Settings(db={"url": db_url})
        stock(settings, smdp_url, db_url)

        print(f"latency: {args.latency} applications, one at a time, 1 worker, PostgreSQL")
        cases = holders(db_url, args.latency)
        running = workers(1, env)
        time.sleep(2)  # the worker is up
        latencies = []
        try:
            for case in cases:
                [(app_id, committed)] = submit(db_url, [case])
                latencies.append(wait_ready(db_url, [app_id]) - committed)
        finally:
            stop(running)
        bare = bare_round_trips(smdp_url, args.latency)
        median, high = statistics.median(latencies), p95(latencies)
        bare_median = statistics.median(bare)
        print(
            f"  submission to code ready: median {median * 1000:.1f} ms, p95 {high * 1000:.1f} ms"
        )
        print(f"  bare ES2+ downloadOrder + confirmOrder: median {bare_median * 1000:.1f} ms")
        print(
            f"  ratio workflow / bare ES2+: median {median / bare_median:.2f}, "
            f"p95 {high / bare_median:.2f}"
        )

        print(f"throughput: {args.batch} applications at once, PostgreSQL")
        base = None
        for count in counts:
            batch = holders(db_url, args.batch)
            running = workers(count, env)
            time.sleep(2)
            try:
                started = time.perf_counter()
                submitted = submit(db_url, batch)
                finished = wait_ready(db_url, [a for a, _ in submitted])
            finally:
                stop(running)
            rate = args.batch / (finished - started)
            base = base or rate
            print(
                f"  {count} worker(s): {finished - started:.2f} s, {rate:.1f} requests/s, "
                f"x{rate / base:.2f} of 1 worker; {ready(db_url, [a for a, _ in submitted])} ready"
            )
    finally:
        smdp.terminate()
        smdp.wait(timeout=10)
        cluster.stop()


if __name__ == "__main__":
    main()
