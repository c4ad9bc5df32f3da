"""resim's ES2+ client: the operator's calls to the SM-DP+ over HTTPS with mutual TLS.

It implements ``Es2Plus`` (port.py), plus releaseProfile (SGP.22 5.3.4) for the sandbox's
tests. One client lives as long as the process: its ``httpx.Client`` keeps the connections
and the TLS context (certificates and CA bundle loaded once). ``observed`` gives a view that
shares them and records each call for one step.
"""

from __future__ import annotations

import copy
import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx

from resim.integrations.calls import CallRecord, Observer
from resim.integrations.es2plus.port import SYSTEM, Confirmed, Es2PlusError
from resim.integrations.es2plus.protocol import (
    ADMIN_PROTOCOL,
    ADMIN_PROTOCOL_PREFIX,
    CANCEL_ORDER,
    CONFIRM_ORDER,
    DOWNLOAD_ORDER,
    PATH_PREFIX,
    RELEASE_PROFILE,
    FinalProfileStatus,
    Reason,
    Status,
    outcome_of,
    request_header,
)

__all__ = ["Confirmed", "Es2PlusClient", "Es2PlusError", "TlsFiles"]

# Values that make up an activation code or prove its owner: never kept in call records.
SECRET_FIELDS = frozenset({"matchingId", "confirmationCode", "activationCode"})


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "***" if k in SECRET_FIELDS else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


@dataclass(frozen=True)
class TlsFiles:
    """Mutual TLS: our certificate and key, and the CA that signed the SM-DP+'s certificate."""

    cert: str
    key: str
    ca: str | None = None


class Es2PlusClient:
    def __init__(
        self,
        base_url: str,
        requester_id: str,
        *,
        timeout_seconds: float = 10.0,
        tls: TlsFiles | None = None,
        observer: Observer | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.requester_id = requester_id
        self.observer = observer
        verify: Any = True
        cert: Any = None
        if tls is not None:
            cert = (tls.cert, tls.key)
            if tls.ca:
                context = ssl.create_default_context(cafile=tls.ca)
                context.load_cert_chain(tls.cert, tls.key)
                verify, cert = context, None
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 5.0)),
            verify=verify,
            cert=cert,
            transport=transport,
            headers={"X-Admin-Protocol": ADMIN_PROTOCOL},
        )

    def observed(self, observer: Observer | None) -> Es2PlusClient:
        """This client's connections and TLS context, recording each call with ``observer``.
        Cheap: one per job step. Only the original is closed, when the process stops."""
        view = copy.copy(self)
        view.observer = observer
        return view

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Es2PlusClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # The functions (SGP.22 5.3.1 to 5.3.4).

    def download_order(
        self,
        call_id: str,
        *,
        eid: str | None = None,
        iccid: str | None = None,
        profile_type: str | None = None,
    ) -> str:
        """SGP.22 5.3.1: reserve a profile (linked to the EID if given); returns its ICCID."""
        if iccid is None and profile_type is None:
            raise ValueError("downloadOrder needs an iccid or a profileType")
        body = _drop_none({"eid": eid, "iccid": iccid, "profileType": profile_type})
        answer = self._call(DOWNLOAD_ORDER, call_id, body)
        reserved = answer.get("iccid")
        if not isinstance(reserved, str) or not reserved:
            raise Es2PlusError("downloadOrder answered without an iccid", transient=False)
        return reserved

    def confirm_order(
        self,
        call_id: str,
        *,
        iccid: str,
        release_flag: bool,
        eid: str | None = None,
        matching_id: str | None = None,
        confirmation_code: str | None = None,
        smds_address: str | None = None,
    ) -> Confirmed:
        body = _drop_none(
            {
                "iccid": iccid,
                "eid": eid,
                "matchingId": matching_id,
                "confirmationCode": confirmation_code,
                "smdsAddress": smds_address,
                "releaseFlag": release_flag,
            }
        )
        answer = self._call(CONFIRM_ORDER, call_id, body)
        matching = answer.get("matchingId")
        if not isinstance(matching, str) or not matching:
            raise Es2PlusError("confirmOrder answered without a matchingId", transient=False)
        eid_out, address = answer.get("eid"), answer.get("smdpAddress")
        return Confirmed(
            matching,
            eid_out if isinstance(eid_out, str) else None,
            address if isinstance(address, str) else None,
        )

    def cancel_order(
        self,
        call_id: str,
        *,
        iccid: str,
        final_status: FinalProfileStatus,
        eid: str | None = None,
        matching_id: str | None = None,
    ) -> None:
        body = _drop_none(
            {
                "iccid": iccid,
                "eid": eid,
                "matchingId": matching_id,
                "finalProfileStatusIndicator": str(final_status),
            }
        )
        self._call(CANCEL_ORDER, call_id, body)

    def release_profile(self, call_id: str, *, iccid: str) -> None:
        self._call(RELEASE_PROFILE, call_id, {"iccid": iccid})

    # The plumbing.

    def _call(self, function: str, call_id: str, body: dict[str, Any]) -> dict[str, Any]:
        payload = {"header": request_header(self.requester_id, call_id), **body}
        started = time.monotonic()
        outcome, response = "error", None
        try:
            try:
                answer = self._http.post(PATH_PREFIX + function, json=payload)
            except httpx.TimeoutException as exc:
                raise Es2PlusError(
                    f"{function} timed out", transient=True, outcome="timeout"
                ) from exc
            except httpx.TransportError as exc:
                raise Es2PlusError(
                    f"{function}: {type(exc).__name__}", transient=True, outcome="unreachable"
                ) from exc
            parsed, outcome = self._check(function, answer)
            response = redact(parsed)
            return parsed
        except Es2PlusError as exc:
            outcome, response = exc.outcome, redact(exc.response)
            raise
        finally:
            if self.observer is not None:
                self.observer(
                    CallRecord(
                        SYSTEM,
                        function,
                        call_id,
                        outcome,
                        round((time.monotonic() - started) * 1000),
                        response,
                    )
                )

    def _check(self, function: str, answer: httpx.Response) -> tuple[dict[str, Any], str]:
        status = answer.status_code
        if status != 200:
            raise Es2PlusError(
                f"{function}: HTTP {status}",
                transient=status >= 500 or status in (408, 429),
                outcome=f"http {status}",
            )
        protocol = answer.headers.get("x-admin-protocol", "")
        if not protocol.startswith(ADMIN_PROTOCOL_PREFIX):
            raise Es2PlusError(
                f"{function}: the answer is not ES2+ v2", transient=False, outcome="not es2+"
            )
        try:
            parsed = answer.json()
            outcome = outcome_of(parsed)
        except ValueError as exc:
            raise Es2PlusError(
                f"{function}: malformed answer", transient=False, outcome="malformed"
            ) from exc
        if outcome.status is Status.SUCCESS:
            return parsed, "success"
        if outcome.status is Status.WARNING:
            return parsed, f"warning {outcome.code}" if outcome.code else "warning"
        if outcome.status is Status.EXPIRED:
            raise Es2PlusError(
                f"{function} expired",
                transient=True,
                status=outcome.status,
                outcome="expired",
                response=parsed,
            )
        code = outcome.code
        raise Es2PlusError(
            f"{function} failed: {code or 'no status code'}",
            transient=code is not None and code.reason == Reason.EXECUTION_ERROR,
            status=outcome.status,
            code=code,
            outcome=f"failed {code}" if code else "failed",
            response=parsed,
        )


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
