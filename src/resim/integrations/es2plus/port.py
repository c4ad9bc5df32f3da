"""What resim needs of an SM-DP+ over ES2+ (GSMA SGP.22 v2.2, section 5.3, Operator to SM-DP+).

Only the functions the provisioning workflow calls: downloadOrder (5.3.1), confirmOrder (5.3.2)
and cancelOrder (5.3.3). Each takes the functionCallIdentifier from the caller, who writes it
down before the first attempt and passes the same one on every retry, so the SM-DP+ answers a
retry as it answered the first call. Failures raise ``Es2PlusError``: transient ones are for the
job to retry, the others end the step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from resim.errors import IntegrationError
from resim.integrations.es2plus.protocol import FinalProfileStatus, Status, StatusCode

SYSTEM = "smdp"


class Es2PlusError(IntegrationError):
    def __init__(
        self,
        detail: str,
        *,
        transient: bool,
        status: Status | None = None,
        code: StatusCode | None = None,
        outcome: str = "error",
        response: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(SYSTEM, detail, transient=transient)
        self.status = status
        self.code = code
        self.outcome = outcome
        self.response = response


@dataclass(frozen=True)
class Confirmed:
    """confirmOrder's answer (SGP.22 5.3.2): what goes into the activation code."""

    matching_id: str
    eid: str | None
    smdp_address: str | None


class Es2Plus(Protocol):
    def download_order(
        self,
        call_id: str,
        *,
        eid: str | None = None,
        iccid: str | None = None,
        profile_type: str | None = None,
    ) -> str:
        """ES2+.DownloadOrder (SGP.22 5.3.1): reserve a profile, linked to the EID if given;
        returns its ICCID."""
        ...

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
        """ES2+.ConfirmOrder (SGP.22 5.3.2): confirm the reserved profile, released for
        download when ``release_flag`` is set; returns the matching id."""
        ...

    def cancel_order(
        self,
        call_id: str,
        *,
        iccid: str,
        final_status: FinalProfileStatus,
        eid: str | None = None,
        matching_id: str | None = None,
    ) -> None:
        """ES2+.CancelOrder (SGP.22 5.3.3): end a pending order; the profile goes back to the
        pool (Available) or is never handed out again (Unavailable)."""
        ...
