"""A throwaway PostgreSQL cluster for the test session (one per xdist worker), on loopback, on a
port of the worker's block, stopped afterwards, or by its watchdog if the worker dies first."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.workers import free_port

PREFERRED = Path("/usr/lib/postgresql/15/bin")
TEST_USER = "resim-test"
# Stops the cluster when the pytest process that started it is gone (a killed xdist worker runs
# no finalizer): $1 is that process, $2 the cluster's folder, the rest the stop command.
WATCHDOG = (
    'parent=$1; root=$2; shift 2; while kill -0 "$parent" 2>/dev/null; do sleep 1; done; '
    '"$@" >/dev/null 2>&1; rm -rf "$root"'
)


def bin_dirs() -> list[Path]:
    """PostgreSQL 15 first, then any other installed version."""
    others = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
    return [PREFERRED, *others]


def find_bin() -> Path | None:
    for folder in bin_dirs():
        if (folder / "initdb").exists():
            return folder
    return None


@dataclass
class Cluster:
    root: Path
    bin: Path
    port: int
    user: str | None
    watchdog: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_owner(self, args: Sequence[str]) -> list[str]:
        command = list(args)
        return ["runuser", "-u", self.user, "--", *command] if self.user else command

    def _run(self, args: Sequence[str]) -> None:
        subprocess.run(self._as_owner(args), check=True, capture_output=True, timeout=120)

    def _stop_args(self) -> list[str]:
        data = str(self.root / "data")
        return [str(self.bin / "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"]

    def init(self) -> None:
        data = self.root / "data"
        self._run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ]
        )

    def start(self) -> None:
        data = self.root / "data"
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-l",
                str(self.root / "log"),
                "start",
            ]
        )
        stop = self._as_owner(self._stop_args())
        self.watchdog = subprocess.Popen(
            ["sh", "-c", WATCHDOG, "watchdog", str(os.getpid()), str(self.root), *stop],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.watchdog is not None:
            self.watchdog.kill()
            self.watchdog.wait()
        try:
            self._run(self._stop_args())
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> Cluster:
    """Start a cluster; as root, initdb refuses to run, so it runs as an unprivileged user."""
    folder = find_bin()
    if folder is None:
        raise RuntimeError(
            "PostgreSQL server binaries not found (looked in "
            + ", ".join(map(str, bin_dirs()))
            + "). Install them with: apt-get install postgresql-15 "
            "(./scripts/test does this), or set RESIM_TEST_DATABASES=sqlite to skip PostgreSQL."
        )
    root = Path(tempfile.mkdtemp(prefix="resim-pg-"))
    user = None
    if os.geteuid() == 0:
        user = TEST_USER
        _ensure_user(user)
        shutil.chown(root, user=user)
    cluster = Cluster(root=root, bin=folder, port=free_port(), user=user)
    cluster.init()
    for _ in range(2):
        try:
            cluster.start()
            return cluster
        except subprocess.CalledProcessError:
            # Another test run on this machine may have taken the port since it was checked.
            cluster.port = free_port()
    cluster.start()
    return cluster


def _ensure_user(user: str) -> None:
    """Create the unprivileged owner once; xdist workers may race to create it."""
    try:
        pwd.getpwnam(user)
        return
    except KeyError:
        pass
    created = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user],
        capture_output=True,
        check=False,
    )
    try:
        pwd.getpwnam(user)
    except KeyError:
        raise RuntimeError(f"useradd {user} failed: {created.stderr.decode()}") from None
