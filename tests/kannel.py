"""A real Kannel on loopback: bearerbox with Kannel's fake SMSC (kannel-extras' fakesmsc
plays the operator's SMSC and prints what it receives), and smsbox with its sendsms
interface, all from a configuration generated per test on ports the test chose. Given an
``inbound_url``, smsbox also forwards the texts phones send (``Kannel.phone_sends``) there,
as an sms-service get-url."""

from __future__ import annotations

import re
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.workers import free_port

BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
GOT = re.compile(r"Got message \d+: <(\S+) (\S+) (\S+) (.*)>$")


@dataclass(frozen=True)
class Received:
    sender: str
    to: str
    text: str


@dataclass
class Kannel:
    sendsms_url: str
    username: str
    password: str
    received: list[Received] = field(default_factory=list)
    smsc: subprocess.Popen[bytes] | None = None

    def phone_sends(self, sender: str, to: str, text: str) -> None:
        """A phone's text (ASCII) reaches the SMSC, which hands it to Kannel."""
        assert self.smsc is not None and self.smsc.stdin is not None
        self.smsc.stdin.write(f"{sender} {to} text {text}\n".encode("ascii"))
        self.smsc.stdin.flush()

    def wait_for(self, count: int, timeout: float = 15) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"the SMSC got {len(self.received)} of {count}"
            time.sleep(0.05)
        return list(self.received)


def decode(coding: str, text: str) -> str:
    """fakesmsc prints the text URL-encoded; UCS-2 texts as UTF-16 bytes."""
    raw = urllib.parse.unquote_to_bytes(text.replace("+", "%20"))
    return raw.decode("utf-16-be") if coding == "ucs-2" else raw.decode("latin-1")


def _config(
    folder: Path, ports: dict[str, int], password: str, inbound_url: str | None = None
) -> Path:
    path = folder / "kannel.conf"
    # Every text a phone sends goes to inbound_url; Kannel answers the phone nothing.
    service = (
        f"""
group = sms-service
keyword = default
catch-all = true
get-url = "{inbound_url}"
max-messages = 0
"""
        if inbound_url
        else ""
    )
    path.write_text(
        f"""group = core
admin-port = {ports["admin"]}
admin-interface = 127.0.0.1
admin-password = {password}
admin-allow-ip = 127.0.0.1
smsbox-port = {ports["smsbox"]}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = {folder}/bearerbox.log
log-level = 1
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = {ports["smsc"]}
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {ports["smsbox"]}
sendsms-port = {ports["sendsms"]}
sendsms-interface = 127.0.0.1
log-file = {folder}/smsbox.log
log-level = 1

group = sendsms-user
username = resim
password = {password}
user-allow-ip = 127.0.0.1
{service}"""
    )
    return path


def _wait_port(url: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            assert time.monotonic() < deadline, f"{url} did not come up"
            time.sleep(0.1)


@contextmanager
def running_kannel(folder: Path, inbound_url: str | None = None) -> Iterator[Kannel]:
    password = "kannel-test-pw"
    ports = {name: free_port() for name in ("admin", "smsbox", "smsc", "sendsms")}
    config = _config(folder, ports, password, inbound_url)
    processes: list[subprocess.Popen[bytes]] = []
    kannel = Kannel(f"http://127.0.0.1:{ports['sendsms']}/cgi-bin/sendsms", "resim", password)
    try:
        processes.append(
            subprocess.Popen(
                [BEARERBOX, str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
        _wait_port(f"http://127.0.0.1:{ports['admin']}/status")
        # stdin stays open: fakesmsc runs interactively, sending nothing, printing what it gets.
        smsc = subprocess.Popen(
            [FAKESMSC, "-H", "127.0.0.1", "-r", str(ports["smsc"])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        processes.append(smsc)
        kannel.smsc = smsc

        def read() -> None:
            assert smsc.stdout is not None
            for line in iter(smsc.stdout.readline, b""):
                found = GOT.search(line.decode("latin-1").rstrip())
                if found:
                    sender, to, coding, text = found.groups()
                    kannel.received.append(Received(sender, to, decode(coding, text)))

        threading.Thread(target=read, daemon=True).start()
        processes.append(
            subprocess.Popen(
                [SMSBOX, str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )
        _wait_port(kannel.sendsms_url)
        yield kannel
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            with suppress(Exception):
                if process.stdin:
                    process.stdin.close()
