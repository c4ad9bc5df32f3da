"""osmo-hlr, the Osmocom HLR, driven over its CTRL interface (IPA-framed text commands).

A command is ``SET <id> <variable> <value>`` or ``GET <id> <variable>``; the answer is
``SET_REPLY``/``GET_REPLY`` with the same id, or ``ERROR <id> <text>``. Each frame is a
two-byte length, the IPA protocol byte 0xEE (Osmocom) and the extension byte 0x00 (CTRL).
"""

from __future__ import annotations

import itertools
import socket
import struct
import time

from resim.integrations.calls import CallRecord, Observer
from resim.integrations.hlr.port import SYSTEM, HlrError, Subscriber, national

IPA_OSMO = 0xEE
EXT_CTRL = 0x00
NO_SUCH = "No such subscriber"
EXISTS = "Subscriber already exists"


class CtrlError(Exception):
    """osmo-hlr answered ERROR: the text says why."""


class OsmoHlr:
    name = "osmo-hlr"
    in_transaction = False  # another system: each command stands on its own

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 4259,
        *,
        timeout_seconds: float = 5.0,
        observer: Observer | None = None,
    ) -> None:
        self.address = (host, port)
        self.timeout = timeout_seconds
        self.observer = observer
        self._ids = itertools.count(1)

    # The port.

    def get(self, imsi: str) -> Subscriber | None:
        info = self._lookup(f"by-imsi-{imsi}", imsi)
        if info is None:
            return None
        return Subscriber(
            imsi=info["imsi"],
            msisdn=info.get("msisdn"),
            enabled=info.get("nam_cs") == "1" and info.get("nam_ps") == "1",
        )

    def owner_of(self, msisdn: str) -> str | None:
        info = self._lookup(f"by-msisdn-{national(msisdn)}", msisdn)
        return None if info is None else info["imsi"]

    def create(self, imsi: str, *, iccid: str, ki: str, opc: str) -> None:
        del iccid  # osmo-hlr keeps no ICCID
        try:
            self._command("SET", "subscriber.create", imsi, key=imsi)
        except CtrlError as exc:
            if EXISTS not in str(exc):
                raise self._failed("create", exc) from exc
        self._set(imsi, "aud3g", f"milenage,{ki},opc,{opc}")

    def set_msisdn(self, imsi: str, msisdn: str | None) -> None:
        self._set(imsi, "msisdn", national(msisdn) if msisdn else "none")

    def set_enabled(self, imsi: str, enabled: bool) -> None:
        self._set(imsi, "cs-enabled", "1" if enabled else "0")
        self._set(imsi, "ps-enabled", "1" if enabled else "0")

    def delete(self, imsi: str) -> None:
        try:
            self._command("SET", "subscriber.delete", imsi, key=imsi)
        except CtrlError as exc:
            if NO_SUCH not in str(exc) and "doesn't exist" not in str(exc):
                raise self._failed("delete", exc) from exc

    def details(self, imsi: str) -> dict[str, str]:
        """Everything osmo-hlr holds of the subscriber, keys included (for diagnostics)."""
        try:
            return self._info(f"subscriber.by-imsi-{imsi}.info-all", imsi)
        except CtrlError as exc:
            raise self._failed("info-all", exc) from exc

    # The plumbing.

    def _set(self, imsi: str, field: str, value: str) -> None:
        try:
            self._command("SET", f"subscriber.by-imsi-{imsi}.{field}", value, key=imsi)
        except CtrlError as exc:
            raise self._failed(field, exc) from exc

    def _lookup(self, selector: str, key: str) -> dict[str, str] | None:
        """A subscriber's info fields, None when osmo-hlr has no such subscriber."""
        try:
            return self._info(f"subscriber.{selector}.info", key)
        except CtrlError as exc:
            if NO_SUCH in str(exc):
                return None
            raise self._failed("info", exc) from exc

    def _info(self, variable: str, key: str) -> dict[str, str]:
        text = self._command("GET", variable, None, key=key)
        pairs = (line.split("\t", 1) for line in text.splitlines() if "\t" in line)
        return {pair[0]: pair[1] for pair in pairs}

    @staticmethod
    def _failed(operation: str, exc: CtrlError) -> HlrError:
        return HlrError(f"osmo-hlr refused {operation}: {exc}", transient=False)

    def _command(self, verb: str, variable: str, value: str | None, *, key: str) -> str:
        ident = next(self._ids)
        text = f"{verb} {ident} {variable}" + (f" {value}" if value is not None else "")
        operation = variable.rsplit(".", 1)[-1] if ".by-" in variable else variable
        started = time.monotonic()
        outcome = "error"
        try:
            try:
                answer = self._exchange(text.encode())
            except TimeoutError as exc:
                outcome = "timeout"
                raise HlrError(f"osmo-hlr: {operation} timed out", transient=True) from exc
            except OSError as exc:
                outcome = "unreachable"
                raise HlrError(f"osmo-hlr: {type(exc).__name__}", transient=True) from exc
            kind, _, rest = answer.partition(" ")
            got_id, _, rest = rest.partition(" ")
            if got_id != str(ident):
                outcome = "malformed"
                raise HlrError("osmo-hlr answered another command", transient=True)
            if kind == "ERROR":
                outcome = "refused"
                raise CtrlError(rest.strip())
            if kind not in ("SET_REPLY", "GET_REPLY"):
                outcome = "malformed"
                raise HlrError(f"osmo-hlr: unexpected {kind!r}", transient=False)
            outcome = "success"
            _, _, result = rest.partition(" ")  # drop the variable's name
            return result
        finally:
            if self.observer is not None:
                self.observer(
                    CallRecord(
                        SYSTEM,
                        f"{verb} {operation}",
                        key,
                        outcome,
                        round((time.monotonic() - started) * 1000),
                        None,
                    )
                )

    def _exchange(self, payload: bytes) -> str:
        body = bytes([EXT_CTRL]) + payload
        with socket.create_connection(self.address, timeout=self.timeout) as conn:
            conn.settimeout(self.timeout)
            conn.sendall(struct.pack(">HB", len(body), IPA_OSMO) + body)
            length, proto = struct.unpack(">HB", _read(conn, 3))
            data = _read(conn, length)
        if proto != IPA_OSMO or not data or data[0] != EXT_CTRL:
            raise HlrError("osmo-hlr: not a CTRL answer", transient=False)
        return data[1:].decode("ascii", "replace")


def _read(conn: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            raise ConnectionResetError("osmo-hlr closed the connection")
        data += chunk
    return data
