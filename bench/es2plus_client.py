"""What one ES2+ client per process saves against one client per job step.

    .venv/bin/python bench/es2plus_client.py [-n 50]

The SM-DP+ sandbox is served on loopback, over plain HTTP and over mutual TLS. N
downloadOrder + confirmOrder round trips are made twice: each call through a new client (what
each provisioning step did, one step a call: a new ``httpx.Client``, its TLS context and CA
bundle loaded, a new connection), and all of them through one client, each call through an
observed view of it (what a step does now). Printed: the median and the total of both, and
their ratio.
"""

from __future__ import annotations

import argparse
import ssl
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import make_pki, serve

from resim.integrations.es2plus.client import Es2PlusClient, TlsFiles
from resim.integrations.es2plus.port import Es2Plus
from resim.smdp_sandbox.rules import Sandbox
from resim.smdp_sandbox.server import create_app
from resim.smdp_sandbox.store import Store

TYPE = "bench-consumer"
REQUESTER = "resim-bench"


def _pair(step: Callable[[], AbstractContextManager[Es2Plus]]) -> None:
    """downloadOrder then confirmOrder, each in its own step."""
    with step() as es2:
        iccid = es2.download_order(str(uuid.uuid4()), profile_type=TYPE)
    with step() as es2:
        es2.confirm_order(str(uuid.uuid4()), iccid=iccid, release_flag=True)


def _timed(n: int, one: Callable[[], None]) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        one()
        times.append((time.perf_counter() - started) * 1000)
    return times


@contextmanager
def _smdp(n: int, tls: bool, folder: Path) -> Iterator[tuple[str, TlsFiles | None]]:
    store = Store()
    sandbox = Sandbox(store, smdp_address="smdp.bench.resim.test")
    sandbox.add_pool(TYPE, "893901550", "22201", 2 * n + 10)
    server: dict[str, Any] = {}
    client = None
    if tls:
        pki = make_pki(folder)
        server = {
            "ssl_certfile": pki.server_cert,
            "ssl_keyfile": pki.server_key,
            "ssl_ca_certs": pki.ca,
            "ssl_cert_reqs": ssl.CERT_REQUIRED,
        }
        client = TlsFiles(pki.client_cert, pki.client_key, pki.ca)
    with serve(create_app(sandbox), **server) as url:
        yield url, client
    store.close()


def run(n: int, tls: bool) -> None:
    with tempfile.TemporaryDirectory() as folder, _smdp(n, tls, Path(folder)) as (url, files):

        def new_client() -> Es2PlusClient:
            return Es2PlusClient(url, REQUESTER, tls=files)

        _timed(3, lambda: _pair(new_client))  # warm up the server and the imports
        fresh = _timed(n, lambda: _pair(new_client))
        with Es2PlusClient(url, REQUESTER, tls=files) as shared:
            kept = _timed(n, lambda: _pair(lambda: nullcontext(shared.observed(None))))
    name = "mutual TLS" if tls else "plain HTTP"
    for label, times in (("a client per step", fresh), ("one kept client", kept)):
        print(
            f"{name:10}  {label:17}  median {statistics.median(times):6.1f} ms"
            f"  total {sum(times):7.0f} ms for {n} downloadOrder+confirmOrder"
        )
    ratio = statistics.median(fresh) / statistics.median(kept)
    print(f"{name:10}  a client per step takes {ratio:.1f}x the median of one kept client")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="Round trips of each kind.")
    args = parser.parse_args()
    run(args.n, tls=False)
    run(args.n, tls=True)


if __name__ == "__main__":
    main()
