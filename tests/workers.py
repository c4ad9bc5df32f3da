"""What each pytest-xdist worker owns, so parallel workers never meet: a block of TCP ports,
a block of loopback addresses for osmo-hlr, and a name for its databases.

Without xdist (``-n 0``) the run is worker 0. Other test runs on the same machine (other
checkouts) use the same blocks, so every port and address is also checked free before use.
"""

from __future__ import annotations

import errno
import itertools
import os
import random
import socket
from collections.abc import Iterator

# Ports below Linux's ephemeral range (32768-60999), which the kernel hands to outgoing
# connections and to bind(0) elsewhere: a port here is taken only by someone who chose it.
PORT_BASE = 20000
PORTS_PER_WORKER = 1000
PORT_WORKERS = 12  # 20000-31999

# osmo-hlr's CTRL port is fixed (4259), so instances differ by address: 127.0.0.20-219.
HOST_BASE = 20
HOSTS_PER_WORKER = 25
HOST_WORKERS = 8


def worker_id() -> str:
    """xdist's name for this process ("gw0", "gw1", ...), "main" without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def worker_index() -> int:
    name = worker_id()
    return int(name[2:]) if name.startswith("gw") and name[2:].isdigit() else 0


def _cycle(base: int, size: int) -> Iterator[int]:
    """Every number of the block once per round, from a random start (two runs of the same
    worker number in two checkouts seldom try the same one first)."""
    start = random.randrange(size)
    for offset in itertools.count(start):
        yield base + offset % size


_ports = _cycle(PORT_BASE + worker_index() % PORT_WORKERS * PORTS_PER_WORKER, PORTS_PER_WORKER)
_hosts = _cycle(HOST_BASE + worker_index() % HOST_WORKERS * HOSTS_PER_WORKER, HOSTS_PER_WORKER)


def _bindable(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
                return False
            raise
        return True


def free_port() -> int:
    """A port on 127.0.0.1 from this worker's block that nobody holds now; the block is walked
    round, so a port comes back only after all the others."""
    for _ in range(PORTS_PER_WORKER):
        port = next(_ports)
        if _bindable("127.0.0.1", port):
            return port
    raise RuntimeError(f"no free port left in worker {worker_id()}'s block")


def free_host(port: int) -> str:
    """A loopback address from this worker's block where ``port`` is free."""
    for _ in range(HOSTS_PER_WORKER):
        host = f"127.0.0.{next(_hosts)}"
        if _bindable(host, port):
            return host
    raise RuntimeError(f"port {port} is taken on every address of worker {worker_id()}'s block")
