"""How fast the CAMARA SIM Swap `check` answers, against the same server's cheapest route.

    .venv/bin/python bench/camara_check.py [--lines 1000000] [--seconds 10] [--rate 500]
                                           [--workers 2]

Everything runs here, on loopback: a throwaway PostgreSQL cluster holding a registry of
``--lines`` lines (each with its activation, one in twenty with a SIM change in the last 20
days), `resim serve` with ``--workers`` processes (no job worker, logs at WARNING), and two
load generators:

1. Throughput: wrk (Debian's), closed loop, 1 thread and 16 connections for ``--seconds``
   each on `GET /livez` (no database: the framework's ceiling) and on `POST
   /camara/sim-swap/v2/check` with a bank's token, numbers drawn from the registry. Printed:
   requests a second of each, the CPU time resim's process spent on one request, and the
   ratio.
2. Latency at a steady rate: an open-loop generator (asyncio, raw HTTP/1.1 on keep-alive
   connections) sends ``--rate`` requests a second for ``--seconds``; each latency counts from
   the request's scheduled time, so queueing is not hidden. Printed: median and p99 of both.

Every figure comes from this one run on this machine; the script bounds every phase in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from tests import factories
from tests.pg import free_port, start_cluster

from resim.audit.service import Actor
from resim.camara import service as camara
from resim.config import Settings
from resim.db.engine import make_engine, make_sessionmaker, transaction
from resim.db.migrate import upgrade
from resim.kit.clock import SystemClock

CHECK = "/camara/sim-swap/v2/check"


def load_registry(url: str, count: int) -> tuple[str, str, list[str]]:
    """A tenant with ``count`` lines; returns the bank's credentials and sample numbers."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    now = SystemClock().now()
    with transaction(sessions) as session:
        tenant = factories.tenant(session, "bench", now)
        holder = factories.customer(session, tenant.id, now)
        plan = session.execute(
            text("SELECT id FROM plan WHERE tenant_id = :t LIMIT 1"), {"t": tenant.id}
        ).scalar_one()
        ids = {"t": tenant.id, "c": holder.id, "p": plan}
        session.execute(
            text(
                """
                INSERT INTO line (id, tenant_id, customer_id, msisdn, iccid, imsi, plan_id,
                                  billing, credit_cents, state, state_changed_at, created_at)
                SELECT gen_random_uuid(), :t, :c, '+39350' || lpad(g::text, 7, '0'),
                       '8939' || lpad(g::text, 16, '0'), '22288' || lpad(g::text, 10, '0'), :p,
                       'prepaid', 0, 'active', now() - (g % 900) * interval '1 day',
                       now() - (g % 900 + 1) * interval '1 day'
                FROM generate_series(1, :n) AS g
                """
            ),
            {**ids, "n": count},
        )
        session.execute(
            text(
                """
                INSERT INTO line_event (id, tenant_id, line_id, seq, kind, at, actor, details)
                SELECT gen_random_uuid(), tenant_id, id, 1, 'activated', created_at, 'import',
                       '{}'::json
                FROM line WHERE tenant_id = :t
                """
            ),
            ids,
        )
        session.execute(
            text(
                """
                INSERT INTO line_event (id, tenant_id, line_id, seq, kind, at, actor, details)
                SELECT gen_random_uuid(), tenant_id, id, 2, 'sim_changed',
                       now() - random() * interval '20 days', 'import', '{}'::json
                FROM line WHERE tenant_id = :t AND right(msisdn, 2)::int % 20 = 0
                """
            ),
            ids,
        )
        made = camara.create_client(
            session,
            Settings().secret_bytes,
            name="Banca Bench",
            scopes=[camara.CHECK],
            tenant_ids=[tenant.id],
            per_minute=10_000_000,
            per_day=None,
            actor=Actor("cli"),
            at=now,
        )
        client_id, secret = made.client.client_id, made.secret
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        numbers = [
            row[0]
            for row in conn.execute(
                text("SELECT msisdn FROM line TABLESAMPLE SYSTEM (1) LIMIT 2000")
            )
        ]
    engine.dispose()
    return client_id, secret, numbers


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
        return shutil.which("wrk") or "wrk"
    sys.exit("wrk is needed: apt-get install wrk")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process and its children (the server's workers) have
    used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return own + sum(cpu_seconds(int(child)) for child in children)


def wrk(binary: str, url: str, seconds: int, script: Path | None) -> tuple[float, int]:
    """Requests a second, and how many requests were answered."""
    command = [binary, "-t1", "-c16", f"-d{seconds}s", "--timeout", "5s"]
    if script is not None:
        command += ["-s", str(script)]
    done = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if found is None:
        sys.exit(f"wrk said:\n{done.stdout}{done.stderr}")
    if "Non-2xx" in done.stdout:
        sys.exit(f"wrk saw errors:\n{done.stdout}")
    count = re.search(r"(\d+) requests in", done.stdout)
    return float(found.group(1)), int(count.group(1)) if count else 0


def wrk_script(folder: Path, token: str, numbers: list[str]) -> Path:
    bodies = ",\n".join(json.dumps(json.dumps({"phoneNumber": n})) for n in numbers)
    path = folder / "check.lua"
    path.write_text(
        f"""
local bodies = {{ {bodies} }}
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
request = function()
  n = n % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[n])
end
"""
    )
    return path


async def steady(
    port: int, requests: list[bytes], rate: int, seconds: int, connections: int = 32
) -> list[float]:
    """Open loop: request i is due at start + i / rate; its latency counts from then."""
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    latencies: list[float] = []
    total = rate * seconds
    start = time.perf_counter() + 0.2

    async def one(index: int) -> None:
        due = start + index / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        reader, writer = await idle.get()
        writer.write(requests[index % len(requests)])
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head.decode(errors="replace"))
        length = int(re.search(rb"content-length: (\d+)", head.lower()).group(1))  # type: ignore[union-attr]
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - due)
        idle.put_nowait((reader, writer))

    await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(total))), timeout=seconds + 30)
    while not idle.empty():
        _reader, writer = idle.get_nowait()
        writer.close()
    return latencies


def request_bytes(method: str, path: str, token: str | None, body: bytes | None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def quantiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="resim's server processes")
    args = parser.parse_args()
    binary = ensure_wrk()
    cluster = start_cluster()
    folder = Path(tempfile.mkdtemp(prefix="resim-bench-"))
    server = None
    try:
        admin = create_engine_url(cluster.url)
        started = time.perf_counter()
        upgrade(admin)
        client_id, secret, numbers = load_registry(admin, args.lines)
        print(f"registry: {args.lines} lines loaded in {time.perf_counter() - started:.0f} s")
        port = free_port()
        env = {
            **os.environ,
            "RESIM_DB__URL": admin,
            "RESIM_LOG_LEVEL": "WARNING",
            "RESIM_VAR_DIR": str(folder),
            "RESIM_DEMO": "false",
        }
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "resim", "serve", "--no-worker"),
                *("--port", str(port), "--workers", str(args.workers)),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/livez", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("resim did not start")
            time.sleep(0.2)
        token = httpx.post(
            f"{base}/camara/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
        ).json()["access_token"]
        script = wrk_script(folder, token, numbers)
        wrk(binary, f"{base}/livez", 2, None)  # warm up both
        wrk(binary, f"{base}{CHECK}", 2, script)
        print(f"throughput (wrk, 1 thread, 16 connections, {args.seconds} s each):")
        rates = {}
        for name, url, lua in (
            ("GET /livez (ceiling)", "/livez", None),
            ("POST check", CHECK, script),
        ):
            before = cpu_seconds(server.pid)
            rates[name], count = wrk(binary, f"{base}{url}", args.seconds, lua)
            used = (cpu_seconds(server.pid) - before) / max(count, 1) * 1000
            print(
                f"  {name:21} {rates[name]:6.0f} requests/s   resim's CPU {used:5.2f} ms a request"
            )
        ceiling, check = rates["GET /livez (ceiling)"], rates["POST check"]
        print(f"  ratio check/ceiling   {check / ceiling:6.2f}")
        live = [request_bytes("GET", "/livez", None, None)]
        checks = [
            request_bytes("POST", CHECK, token, json.dumps({"phoneNumber": n}).encode())
            for n in random.Random(7).sample(numbers, min(len(numbers), 1000))
        ]
        print(f"latency at a steady {args.rate} requests/s for {args.seconds} s (open loop):")
        for name, requests in (("GET /livez", live), ("POST check", checks)):
            latencies = asyncio.run(steady(port, requests, args.rate, args.seconds))
            median, p99 = quantiles(latencies)
            print(f"  {name:12} median {median:6.2f} ms   p99 {p99:6.2f} ms   n={len(latencies)}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


def create_engine_url(admin: str) -> str:
    """The cluster's admin URL on a fresh database of its own."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE DATABASE resim_bench"))
    engine.dispose()
    return make_url(admin).set(database="resim_bench").render_as_string(hide_password=False)


if __name__ == "__main__":
    main()
