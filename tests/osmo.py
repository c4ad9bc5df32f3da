"""A real osmo-hlr for tests: started on its own loopback address (its CTRL port is fixed at
4259, so parallel instances differ by address: each xdist worker has its own block of
addresses, see tests.workers), stopped when the block ends."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.workers import free_host

CTRL_PORT = 4259

CONFIG = """\
log stderr
 logging filter all 1
 logging level all error
line vty
 bind {host}
ctrl
 bind {host}
hlr
 gsup
  bind ip {host}
"""


@contextmanager
def osmo_hlr(folder: Path) -> Iterator[str]:
    """Run osmo-hlr with a fresh database in ``folder``; yields the address its CTRL is on."""
    binary = shutil.which("osmo-hlr") or "/usr/bin/osmo-hlr"
    if not Path(binary).exists():
        raise RuntimeError("osmo-hlr is not installed: ./scripts/test-deps installs it")
    host = free_host(CTRL_PORT)
    config = folder / "osmo-hlr.cfg"
    config.write_text(CONFIG.format(host=host))
    log = (folder / "osmo-hlr.log").open("w")
    process = subprocess.Popen(
        [binary, "-c", str(config), "-l", str(folder / "hlr.db")],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((host, CTRL_PORT), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "osmo-hlr did not start: " + (folder / "osmo-hlr.log").read_text()[-500:]
                    ) from None
                time.sleep(0.05)
        yield host
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
