"""A throwaway PostgreSQL cluster for the test session, on loopback, stopped afterwards."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PREFERRED = Path("/usr/lib/postgresql/15/bin")
TEST_USER = "resim-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, args: Sequence[str]) -> None:
        command = list(args)
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
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

    def stop(self) -> None:
        try:
            self._run(
                [
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.root / "data"),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ]
            )
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
        try:
            pwd.getpwnam(user)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user],
                check=True,
            )
        shutil.chown(root, user=user)
    cluster = Cluster(root=root, bin=folder, port=free_port(), user=user)
    cluster.start()
    return cluster
