"""ES2+ on the wire (GSMA SGP.22, section 5.3 and 6.5): paths, headers, statuses and codes.

Shared by resim's client and the SM-DP+ sandbox, so both speak the same names. The codes are
the dotted subject and reason codes of SGP.22's status code data.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

ADMIN_PROTOCOL = "gsma/rsp/v2.2.0"
ADMIN_PROTOCOL_PREFIX = "gsma/rsp/v2."
PATH_PREFIX = "/gsma/rsp2/es2plus/"

DOWNLOAD_ORDER = "downloadOrder"
CONFIRM_ORDER = "confirmOrder"
CANCEL_ORDER = "cancelOrder"
RELEASE_PROFILE = "releaseProfile"
HANDLE_DOWNLOAD_PROGRESS_INFO = "handleDownloadProgressInfo"
FUNCTIONS = (DOWNLOAD_ORDER, CONFIRM_ORDER, CANCEL_ORDER, RELEASE_PROFILE)

MATCHING_ID = re.compile(r"^[A-Z0-9-]{1,64}$")
EID = re.compile(r"^[0-9]{32}$")
ICCID = re.compile(r"^[0-9]{18,19}[0-9F]?$")


class Status(enum.StrEnum):
    SUCCESS = "Executed-Success"
    WARNING = "Executed-WithWarning"
    FAILED = "Failed"
    EXPIRED = "Expired"


class Subject(enum.StrEnum):
    REQUESTER = "1.1"
    EID = "8.1.1"
    ICCID = "8.2.1"
    PROFILE_TYPE = "8.2.5"
    MATCHING_ID = "8.2.6"
    CONFIRMATION_CODE = "8.2.7"
    DOWNLOAD_ORDER = "8.8.5"


class Reason(enum.StrEnum):
    NOT_ALLOWED = "1.2"
    INVALID = "2.1"
    MISSING = "2.2"
    IN_USE = "3.3"
    INVALID_TRANSITION = "3.5"
    UNAVAILABLE = "3.7"
    REFUSED = "3.8"
    UNKNOWN = "3.9"
    INVALID_ASSOCIATION = "3.10"
    EXECUTION_ERROR = "4.2"
    MAX_ATTEMPTS = "6.4"


class FinalProfileStatus(enum.StrEnum):
    """cancelOrder's finalProfileStatusIndicator: back to the pool, or never used again."""

    AVAILABLE = "Available"
    UNAVAILABLE = "Unavailable"


class NotificationPoint(enum.IntEnum):
    """handleDownloadProgressInfo's notificationPointId (SGP.22 5.3.5)."""

    ELIGIBILITY_AND_RETRY_LIMIT = 1
    CONFIRMATION_FAILURE = 2
    BPP_DOWNLOAD = 3
    BPP_INSTALLATION = 4
    # Later releases add points for the eUICC's own operations; the sandbox reports a
    # deletion with 5. Check the release of the SM-DP+ you integrate with.
    DELETED = 5


@dataclass(frozen=True)
class StatusCode:
    subject: str
    reason: str
    message: str | None = None
    subject_identifier: str | None = None

    def __str__(self) -> str:
        return f"{self.subject}/{self.reason}"

    def as_json(self) -> dict[str, str]:
        out = {"subjectCode": self.subject, "reasonCode": self.reason}
        if self.subject_identifier:
            out["subjectIdentifier"] = self.subject_identifier
        if self.message:
            out["message"] = self.message
        return out


@dataclass(frozen=True)
class Outcome:
    status: Status
    code: StatusCode | None = None


def request_header(requester: str, call_id: str) -> dict[str, str]:
    return {"functionRequesterIdentifier": requester, "functionCallIdentifier": call_id}


def response_header(outcome: Outcome) -> dict[str, Any]:
    status: dict[str, Any] = {"status": str(outcome.status)}
    if outcome.code is not None:
        status["statusCodeData"] = outcome.code.as_json()
    return {"functionExecutionStatus": status}


def outcome_of(body: Any) -> Outcome:
    """The functionExecutionStatus of a response body; ValueError if it has none."""
    try:
        status = body["header"]["functionExecutionStatus"]
        value = Status(status["status"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError("no functionExecutionStatus in the response") from exc
    data = status.get("statusCodeData")
    if not isinstance(data, dict):
        return Outcome(value)
    subject, reason = data.get("subjectCode"), data.get("reasonCode")
    if not isinstance(subject, str) or not isinstance(reason, str):
        return Outcome(value)
    message = data.get("message")
    ident = data.get("subjectIdentifier")
    return Outcome(
        value,
        StatusCode(
            subject,
            reason,
            message if isinstance(message, str) else None,
            ident if isinstance(ident, str) else None,
        ),
    )
