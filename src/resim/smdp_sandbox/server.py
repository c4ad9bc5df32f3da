"""The sandbox over HTTP: ES2+ at the spec's paths, and /sandbox/ to steer it in tests.

Faults it can be told to play, per function (or ``*``), for the next ``count`` calls:
``http500`` (answers 500, does nothing), ``failed`` (answers Failed with the given codes, does
nothing), ``expired`` (answers Expired, does nothing), ``timeout`` (does the work, then answers
only after ``delaySeconds``: the caller's retry with the same functionCallIdentifier must get
the same answer).
"""

from __future__ import annotations

import csv
import io
import time
from typing import Any, Literal

import httpx
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from resim.integrations.es2plus.protocol import (
    ADMIN_PROTOCOL,
    ADMIN_PROTOCOL_PREFIX,
    FUNCTIONS,
    HANDLE_DOWNLOAD_PROGRESS_INFO,
    PATH_PREFIX,
    Outcome,
    Status,
    StatusCode,
    response_header,
)
from resim.smdp_sandbox.rules import BadRequest, DeviceResult, Sandbox

HEADERS = {"X-Admin-Protocol": ADMIN_PROTOCOL}


class Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class FaultIn(Camel):
    function: str = "*"
    kind: Literal["http500", "failed", "expired", "timeout"]
    count: int = Field(1, ge=1, le=1000)
    delay_seconds: float = Field(30.0, ge=0, le=120)
    subject_code: str = "8.2.1"
    reason_code: str = "4.2"


class PoolIn(Camel):
    profile_type: str = Field(min_length=1, max_length=64)
    iccid_prefix: str
    imsi_prefix: str
    count: int = Field(ge=1, le=100_000)


class DownloadIn(Camel):
    matching_id: str
    eid: str
    confirmation_code: str | None = None


class InstallIn(Camel):
    iccid: str
    success: bool = True


class DeleteIn(Camel):
    iccid: str


class Notifier:
    """Delivers the sandbox's handleDownloadProgressInfo calls to the operator, until taken."""

    def __init__(self, url: str, token: str | None, timeout_seconds: float = 5.0) -> None:
        self.url = url.rstrip("/") + PATH_PREFIX + HANDLE_DOWNLOAD_PROGRESS_INFO
        self.headers = dict(HEADERS)
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout_seconds

    def deliver(self, sandbox: Sandbox) -> int:
        delivered = 0
        for ident, body in sandbox.store.pending_notifications():
            try:
                answer = httpx.post(self.url, json=body, headers=self.headers, timeout=self.timeout)
                ok = answer.status_code == 204
                error = None if ok else f"HTTP {answer.status_code}"
            except httpx.HTTPError as exc:
                ok, error = False, type(exc).__name__
            sandbox.store.mark_notification(ident, delivered=ok, error=error)
            delivered += ok
        return delivered


def create_app(sandbox: Sandbox, notifier: Notifier | None = None) -> FastAPI:
    app = FastAPI(title="resim SM-DP+ sandbox (ES2+)", docs_url=None, redoc_url=None)

    @app.post(PATH_PREFIX + "{function}")
    def es2plus(function: str, body: dict[str, Any], request: Request) -> Response:
        if function not in FUNCTIONS:
            raise HTTPException(404, "unknown ES2+ function")
        if not request.headers.get("x-admin-protocol", "").startswith(ADMIN_PROTOCOL_PREFIX):
            raise HTTPException(400, "X-Admin-Protocol: gsma/rsp/v2.x.y is required")
        fault = sandbox.store.take_fault(function)
        if fault is not None:
            kind, params = fault
            if kind == "http500":
                return PlainTextResponse("sandbox fault", status_code=500)
            if kind in ("failed", "expired"):
                code = StatusCode(params["subjectCode"], params["reasonCode"], "sandbox fault")
                outcome = (
                    Outcome(Status.FAILED, code) if kind == "failed" else Outcome(Status.EXPIRED)
                )
                return JSONResponse({"header": response_header(outcome)}, headers=HEADERS)
        try:
            answer = sandbox.handle(function, body)
        except BadRequest as exc:
            raise HTTPException(400, str(exc)) from exc
        if fault is not None and fault[0] == "timeout":
            time.sleep(float(fault[1]["delaySeconds"]))
        return JSONResponse(answer, headers=HEADERS)

    @app.post("/sandbox/faults", status_code=204)
    def add_fault(fault: FaultIn) -> None:
        sandbox.store.add_fault(
            fault.function, fault.kind, fault.count, fault.model_dump(by_alias=True)
        )

    @app.delete("/sandbox/faults", status_code=204)
    def clear_faults() -> None:
        sandbox.store.clear_faults()

    @app.post("/sandbox/pool")
    def add_pool(pool: PoolIn) -> dict[str, int]:
        try:
            added = sandbox.add_pool(
                pool.profile_type, pool.iccid_prefix, pool.imsi_prefix, pool.count
            )
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        return {"added": added}

    @app.get("/sandbox/pool/{profile_type}")
    def pool_states(profile_type: str) -> dict[str, int]:
        return sandbox.store.count_by_state(profile_type)

    @app.get("/sandbox/profiles/{iccid}")
    def profile(iccid: str) -> dict[str, Any]:
        for found in sandbox.store.profiles():
            if found.iccid == iccid:
                return {
                    "iccid": found.iccid,
                    "imsi": found.imsi,
                    "profileType": found.profile_type,
                    "state": found.state,
                    "eid": found.eid,
                }
        raise HTTPException(404, "unknown ICCID")

    @app.get("/sandbox/output-file/{profile_type}")
    def output_file(profile_type: str) -> PlainTextResponse:
        """The vendor's output file: what the operator loads into its HLR/AuC."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["iccid", "imsi", "ki", "opc"])
        for found in sandbox.store.profiles(profile_type):
            writer.writerow([found.iccid, found.imsi, found.ki, found.opc])
        return PlainTextResponse(out.getvalue(), media_type="text/csv")

    def _device(result: DeviceResult) -> dict[str, Any]:
        delivered = notifier.deliver(sandbox) if notifier and result.notifications else 0
        return {
            "ok": result.ok,
            "state": result.state,
            "detail": result.detail,
            "notifications": len(result.notifications),
            "delivered": delivered,
        }

    @app.post("/sandbox/device/download")
    def download(device: DownloadIn) -> dict[str, Any]:
        return _device(sandbox.download(device.matching_id, device.eid, device.confirmation_code))

    @app.post("/sandbox/device/install")
    def install(device: InstallIn) -> dict[str, Any]:
        return _device(sandbox.install(device.iccid, success=device.success))

    @app.post("/sandbox/device/delete")
    def delete(device: DeleteIn) -> dict[str, Any]:
        return _device(sandbox.delete(device.iccid))

    @app.post("/sandbox/notifications/deliver")
    def deliver() -> dict[str, int]:
        return {"delivered": notifier.deliver(sandbox) if notifier else 0}

    return app
