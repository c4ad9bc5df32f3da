"""`resim smdp-sandbox` on its own, as another system would reach it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from resim.integrations.es2plus.client import Es2PlusClient
from resim.kit.telecom import Iccid
from tests.smdp.conftest import call_id
from tests.workers import free_port


def test_the_standalone_sandbox_keeps_its_state_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "smdp.sqlite3"
    env = {**os.environ, "RESIM_VAR_DIR": str(tmp_path)}
    reserved: list[str] = []
    said: list[str] = []
    for run in range(2):
        port = free_port()
        args = [sys.executable, "-m", "resim", "smdp-sandbox", "--port", str(port)]
        args += ["--db", str(state), "--requester", "resim"]
        if run == 0:
            args += ["--pool", "lira-consumer:89390177:22288:3"]
        proc = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, text=True)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 20
            while True:
                try:
                    httpx.get(f"{url}/sandbox/pool/lira-consumer", timeout=1)
                    break
                except httpx.TransportError:
                    assert proc.poll() is None and time.monotonic() < deadline
                    time.sleep(0.1)
            with Es2PlusClient(url, "resim") as es2:
                reserved.append(es2.download_order(call_id(), profile_type="lira-consumer"))
            pool = httpx.get(f"{url}/sandbox/pool/lira-consumer").json()
        finally:
            proc.terminate()
            said.append(proc.communicate(timeout=10)[1])
        assert pool == {"Allocated": run + 1, "Available": 2 - run}
    assert "3 profiles of type lira-consumer added" in said[0]
    assert "added" not in said[1]  # the second run found the pool in its state file
    assert len(set(reserved)) == 2 and all(Iccid(i).startswith("89390177") for i in reserved)


def test_a_bad_pool_spec_is_explained(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            *(sys.executable, "-m", "resim", "smdp-sandbox"),
            *("--db", str(tmp_path / "s.sqlite3"), "--pool", "lira:12345:22288:3"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert (
        "iccid_prefix" in result.stderr and "TYPE:ICCID_PREFIX:IMSI_PREFIX:COUNT" in result.stderr
    )
