"""The SM-DP+'s side of ES2+ and of the device, on the sandbox's store.

Profile states and their legal transitions follow GSMA SGP.22 (section 5.3 and the profile
state table): Available, Allocated (ordered without an EID), Linked (ordered for an EID),
Confirmed, Released (downloadable), Downloaded, Installed, Error, Unavailable. A function called
on a profile in the wrong state fails with subject 8.2.1 and reason 3.5 (invalid transition).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import sqlite3
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from resim.integrations.es2plus.protocol import (
    CANCEL_ORDER,
    CONFIRM_ORDER,
    DOWNLOAD_ORDER,
    EID,
    FUNCTIONS,
    MATCHING_ID,
    FinalProfileStatus,
    NotificationPoint,
    Outcome,
    Reason,
    Status,
    StatusCode,
    Subject,
    request_header,
    response_header,
)
from resim.kit.telecom import Iccid
from resim.smdp_sandbox.store import Profile, Store

MAX_CONFIRMATION_FAILURES = 5
_MATCHING_ALPHABET = string.ascii_uppercase + string.digits

ORDERED = ("Allocated", "Linked")
CANCELLABLE = ("Allocated", "Linked", "Confirmed", "Released", "Error")


class Refused(Exception):
    """A function failed: its status code data goes back in the answer."""

    def __init__(self, subject: str, reason: str, message: str) -> None:
        super().__init__(message)
        self.code = StatusCode(subject, reason, message)


class BadRequest(Exception):
    """Not an ES2+ request at all (HTTP 400)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def new_matching_id() -> str:
    return "-".join("".join(secrets.choice(_MATCHING_ALPHABET) for _ in range(5)) for _ in range(4))


@dataclass(frozen=True)
class DeviceResult:
    ok: bool
    state: str
    detail: str
    notifications: list[int]


class Sandbox:
    def __init__(
        self,
        store: Store,
        *,
        smdp_address: str,
        identifier: str = "resim-smdp-sandbox",
        requesters: frozenset[str] | None = None,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        self.store = store
        self.smdp_address = smdp_address
        self.identifier = identifier
        self.requesters = requesters
        self.clock = clock

    # The pool.

    def add_pool(self, profile_type: str, iccid_prefix: str, imsi_prefix: str, count: int) -> int:
        """Add ``count`` profiles with Luhn-valid ICCIDs and fresh Milenage keys (Ki, OPc)."""
        if not (
            iccid_prefix.isdigit() and iccid_prefix.startswith("89") and len(iccid_prefix) <= 12
        ):
            raise ValueError("iccid_prefix: up to 12 digits starting with 89")
        if not (imsi_prefix.isdigit() and 5 <= len(imsi_prefix) <= 10):
            raise ValueError("imsi_prefix: MCC and MNC, 5 to 10 digits")
        with self.store.transaction() as db:
            taken = {
                row[0]
                for row in db.execute(
                    "SELECT iccid FROM profile WHERE iccid LIKE ?", (iccid_prefix + "%",)
                )
            }
            serial, added = 0, 0
            while added < count:
                serial += 1
                iccid = str(Iccid.build(iccid_prefix + str(serial).zfill(18 - len(iccid_prefix))))
                if iccid in taken:
                    continue
                imsi = imsi_prefix + str(serial).zfill(15 - len(imsi_prefix))
                if db.execute("SELECT 1 FROM profile WHERE imsi = ?", (imsi,)).fetchone():
                    continue
                self.store.save(
                    db,
                    Profile(
                        iccid=iccid,
                        imsi=imsi,
                        profile_type=profile_type,
                        state="Available",
                        eid=None,
                        matching_id=None,
                        confirmation_code_hash=None,
                        confirmation_failures=0,
                        ki=secrets.token_hex(16).upper(),
                        opc=secrets.token_hex(16).upper(),
                        updated_at=self.clock().isoformat(),
                    ),
                )
                added += 1
        return added

    # ES2+ functions.

    def handle(self, function: str, body: Any) -> dict[str, Any]:
        """Answer one ES2+ call; the same functionCallIdentifier gets the same answer."""
        if function not in FUNCTIONS:
            raise BadRequest(f"unknown function {function}")
        if not isinstance(body, dict) or not isinstance(body.get("header"), dict):
            raise BadRequest("the body has no header")
        header = body["header"]
        requester = header.get("functionRequesterIdentifier")
        call_id = header.get("functionCallIdentifier")
        if not isinstance(requester, str) or not requester:
            raise BadRequest("functionRequesterIdentifier is missing")
        if not isinstance(call_id, str) or not call_id or len(call_id) > 100:
            raise BadRequest("functionCallIdentifier is missing")
        with self.store.transaction() as db:
            before = self.store.answered(db, requester, call_id)
            if before is not None:
                if before[0] == function:
                    return before[1]
                return self._failed(
                    Subject.REQUESTER, Reason.IN_USE, "functionCallIdentifier already used"
                )
            if self.requesters is not None and requester not in self.requesters:
                answer = self._failed(
                    Subject.REQUESTER, Reason.NOT_ALLOWED, "unknown function requester"
                )
            else:
                try:
                    result = self._run(db, function, body)
                    answer = {"header": response_header(Outcome(Status.SUCCESS)), **result}
                except Refused as refused:
                    answer = {"header": response_header(Outcome(Status.FAILED, refused.code))}
            self.store.remember(db, requester, call_id, function, answer)
            return answer

    def _failed(self, subject: str, reason: str, message: str) -> dict[str, Any]:
        code = StatusCode(subject, reason, message)
        return {"header": response_header(Outcome(Status.FAILED, code))}

    def _run(self, db: sqlite3.Connection, function: str, body: dict[str, Any]) -> dict[str, Any]:
        if function == DOWNLOAD_ORDER:
            return self._download_order(db, body)
        if function == CONFIRM_ORDER:
            return self._confirm_order(db, body)
        if function == CANCEL_ORDER:
            return self._cancel_order(db, body)
        return self._release_profile(db, body)

    def _eid(self, body: dict[str, Any]) -> str | None:
        eid = body.get("eid")
        if eid is None:
            return None
        if not isinstance(eid, str) or not EID.match(eid) or int(eid) % 97 != 1:
            raise Refused(Subject.EID, Reason.INVALID, "invalid EID")
        return eid

    def _profile(self, db: sqlite3.Connection, body: dict[str, Any]) -> Profile:
        iccid = body.get("iccid")
        if iccid is None:
            raise Refused(Subject.ICCID, Reason.MISSING, "iccid is mandatory")
        found = self.store.profile(db, str(iccid))
        if found is None:
            raise Refused(Subject.ICCID, Reason.UNKNOWN, "unknown ICCID")
        return found

    def _save(self, db: sqlite3.Connection, profile: Profile, state: str) -> None:
        profile.state = state
        profile.updated_at = self.clock().isoformat()
        self.store.save(db, profile)

    def _download_order(self, db: sqlite3.Connection, body: dict[str, Any]) -> dict[str, Any]:
        eid = self._eid(body)
        iccid, profile_type = body.get("iccid"), body.get("profileType")
        if iccid is None and profile_type is None:
            raise Refused(Subject.ICCID, Reason.MISSING, "iccid or profileType is mandatory")
        if iccid is not None:
            profile = self._profile(db, body)
            if profile_type is not None and profile.profile_type != profile_type:
                raise Refused(Subject.PROFILE_TYPE, Reason.INVALID_ASSOCIATION, "another type")
            if profile.state != "Available":
                raise Refused(Subject.ICCID, Reason.IN_USE, "profile not available")
        else:
            if not isinstance(profile_type, str) or not self.store.has_type(db, profile_type):
                raise Refused(Subject.PROFILE_TYPE, Reason.UNKNOWN, "unknown profile type")
            free = self.store.first_available(db, profile_type)
            if free is None:
                raise Refused(Subject.PROFILE_TYPE, Reason.UNAVAILABLE, "no profile left")
            profile = free
        profile.eid = eid
        self._save(db, profile, "Linked" if eid else "Allocated")
        return {"iccid": profile.iccid}

    def _profile_in(
        self, db: sqlite3.Connection, body: dict[str, Any], states: tuple[str, ...]
    ) -> tuple[Profile, str | None]:
        """The profile named by ``iccid``, in one of ``states``, and not linked to another EID."""
        profile = self._profile(db, body)
        eid = self._eid(body)
        if profile.state not in states:
            raise Refused(Subject.ICCID, Reason.INVALID_TRANSITION, f"profile is {profile.state}")
        if eid and profile.eid and eid != profile.eid:
            raise Refused(Subject.EID, Reason.INVALID_ASSOCIATION, "another EID is linked")
        return profile, eid

    def _confirm_order(self, db: sqlite3.Connection, body: dict[str, Any]) -> dict[str, Any]:
        release = body.get("releaseFlag")
        if not isinstance(release, bool):
            raise Refused(Subject.DOWNLOAD_ORDER, Reason.MISSING, "releaseFlag is mandatory")
        profile, eid = self._profile_in(db, body, ORDERED)
        matching = body.get("matchingId")
        if matching is not None:
            if not isinstance(matching, str) or not MATCHING_ID.match(matching):
                raise Refused(Subject.MATCHING_ID, Reason.INVALID, "invalid matchingId")
            if self.store.by_matching_id(db, matching) is not None:
                raise Refused(Subject.MATCHING_ID, Reason.IN_USE, "matchingId already in use")
        else:
            matching = new_matching_id()
            while self.store.by_matching_id(db, matching) is not None:
                matching = new_matching_id()
        code = body.get("confirmationCode")
        if code is not None and (not isinstance(code, str) or not code):
            raise Refused(Subject.CONFIRMATION_CODE, Reason.INVALID, "invalid confirmationCode")
        profile.eid = eid or profile.eid
        profile.matching_id = matching
        profile.confirmation_code_hash = _hash_code(code) if code else None
        self._save(db, profile, "Released" if release else "Confirmed")
        answer: dict[str, Any] = {"matchingId": matching, "smdpAddress": self.smdp_address}
        if profile.eid:
            answer["eid"] = profile.eid
        return answer

    def _cancel_order(self, db: sqlite3.Connection, body: dict[str, Any]) -> dict[str, Any]:
        final = body.get("finalProfileStatusIndicator")
        if final not in (FinalProfileStatus.AVAILABLE, FinalProfileStatus.UNAVAILABLE):
            raise Refused(
                Subject.DOWNLOAD_ORDER,
                Reason.MISSING if final is None else Reason.INVALID,
                "finalProfileStatusIndicator must be Available or Unavailable",
            )
        profile, _eid = self._profile_in(db, body, CANCELLABLE)
        matching = body.get("matchingId")
        if matching is not None and matching != profile.matching_id:
            raise Refused(Subject.MATCHING_ID, Reason.INVALID_ASSOCIATION, "another matchingId")
        profile.eid = profile.matching_id = profile.confirmation_code_hash = None
        profile.confirmation_failures = 0
        self._save(db, profile, str(final))
        return {}

    def _release_profile(self, db: sqlite3.Connection, body: dict[str, Any]) -> dict[str, Any]:
        profile = self._profile(db, body)
        if profile.state != "Confirmed":
            raise Refused(Subject.ICCID, Reason.INVALID_TRANSITION, f"profile is {profile.state}")
        self._save(db, profile, "Released")
        return {}

    # The device side, played on request.

    def _notify(
        self,
        db: sqlite3.Connection,
        profile: Profile,
        point: NotificationPoint,
        outcome: Outcome,
        eid: str | None,
        result: bytes | None = None,
    ) -> int:
        body: dict[str, Any] = {
            "header": request_header(self.identifier, str(uuid.uuid4())),
            "iccid": profile.iccid,
            "profileType": profile.profile_type,
            "timestamp": self.clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "notificationPointId": int(point),
            "notificationPointStatus": response_header(outcome)["functionExecutionStatus"],
        }
        if eid:
            body["eid"] = eid
        if result is not None:
            body["resultData"] = base64.b64encode(result).decode()
        return self.store.queue_notification(db, body)

    def download(self, matching_id: str, eid: str, confirmation_code: str | None) -> DeviceResult:
        """A device with ``eid`` fetches the profile of ``matching_id`` (notification point 3)."""
        with self.store.transaction() as db:
            profile = self.store.by_matching_id(db, matching_id)
            if profile is None:
                return DeviceResult(False, "", "unknown matching ID", [])
            if profile.state != "Released":
                note = self._notify(
                    db,
                    profile,
                    NotificationPoint.ELIGIBILITY_AND_RETRY_LIMIT,
                    Outcome(
                        Status.FAILED,
                        StatusCode(Subject.ICCID, Reason.INVALID_TRANSITION, profile.state),
                    ),
                    eid,
                )
                return DeviceResult(False, profile.state, "not downloadable", [note])
            if profile.eid and profile.eid != eid:
                note = self._notify(
                    db,
                    profile,
                    NotificationPoint.ELIGIBILITY_AND_RETRY_LIMIT,
                    Outcome(
                        Status.FAILED,
                        StatusCode(Subject.EID, Reason.INVALID_ASSOCIATION, "another EID"),
                    ),
                    eid,
                )
                return DeviceResult(False, profile.state, "linked to another EID", [note])
            if profile.confirmation_code_hash and (
                confirmation_code is None
                or _hash_code(confirmation_code) != profile.confirmation_code_hash
            ):
                profile.confirmation_failures += 1
                if profile.confirmation_failures < MAX_CONFIRMATION_FAILURES:
                    self._save(db, profile, profile.state)
                    return DeviceResult(False, profile.state, "wrong confirmation code", [])
                self._save(db, profile, "Error")
                note = self._notify(
                    db,
                    profile,
                    NotificationPoint.CONFIRMATION_FAILURE,
                    Outcome(
                        Status.FAILED,
                        StatusCode(
                            Subject.CONFIRMATION_CODE, Reason.MAX_ATTEMPTS, "too many wrong codes"
                        ),
                    ),
                    eid,
                )
                return DeviceResult(False, "Error", "too many wrong confirmation codes", [note])
            profile.eid = eid
            self._save(db, profile, "Downloaded")
            note = self._notify(
                db, profile, NotificationPoint.BPP_DOWNLOAD, Outcome(Status.SUCCESS), eid
            )
            return DeviceResult(True, "Downloaded", "downloaded", [note])

    def install(self, iccid: str, *, success: bool = True) -> DeviceResult:
        """The eUICC reports the installation's result (notification point 4)."""
        with self.store.transaction() as db:
            profile = self.store.profile(db, iccid)
            if profile is None:
                return DeviceResult(False, "", "unknown ICCID", [])
            if profile.state != "Downloaded":
                return DeviceResult(False, profile.state, "not downloaded", [])
            if success:
                self._save(db, profile, "Installed")
                outcome = Outcome(Status.SUCCESS)
            else:
                self._save(db, profile, "Error")
                outcome = Outcome(
                    Status.FAILED,
                    StatusCode(Subject.ICCID, Reason.EXECUTION_ERROR, "installation failed"),
                )
            note = self._notify(
                db,
                profile,
                NotificationPoint.BPP_INSTALLATION,
                outcome,
                profile.eid,
                b"\xbf\x37" + profile.iccid.encode(),  # a stand-in for ProfileInstallationResult
            )
            return DeviceResult(
                success, profile.state, "installed" if success else "failed", [note]
            )

    def delete(self, iccid: str) -> DeviceResult:
        """The customer deletes the installed profile on the device; it is never reused."""
        with self.store.transaction() as db:
            profile = self.store.profile(db, iccid)
            if profile is None:
                return DeviceResult(False, "", "unknown ICCID", [])
            if profile.state != "Installed":
                return DeviceResult(False, profile.state, "not installed", [])
            self._save(db, profile, "Unavailable")
            note = self._notify(
                db, profile, NotificationPoint.DELETED, Outcome(Status.SUCCESS), profile.eid
            )
            return DeviceResult(True, "Unavailable", "deleted", [note])
