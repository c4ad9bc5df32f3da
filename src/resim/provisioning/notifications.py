"""handleDownloadProgressInfo from the SM-DP+: kept once, then applied to the profile.

Point 3 (downloaded) links the device's EID to the line; point 4 (installed) lifts the
line's suspension; a failure at points 2 or 4 puts the profile in Error; point 5 (deleted on
the device) retires it. What a notification means for the round whose code is this profile's
is returned as a :class:`Reported`: the replacement's flow applies it to the application.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.errors import Invalid
from resim.integrations.es2plus.protocol import EID, ICCID, NotificationPoint, Status
from resim.line import service as lines
from resim.line.models import DeviceState, ProfileState
from resim.provisioning import service as provisioning
from resim.provisioning.models import ProfileNotification

Event = Literal["downloaded", "installed", "install_failed", "deleted"]


@dataclass(frozen=True)
class Notice:
    call_id: str
    iccid: str
    point: int
    status: str
    code: str | None
    eid: str | None
    timestamp: str | None


def parse(body: object) -> Notice:
    """The fields resim uses, checked; a body that is not a notification is refused."""
    if not isinstance(body, dict):
        raise Invalid("INVALID_NOTIFICATION", "The body must be a JSON object.")
    header = body.get("header")
    call_id = header.get("functionCallIdentifier") if isinstance(header, dict) else None
    iccid, eid, point = body.get("iccid"), body.get("eid"), body.get("notificationPointId")
    status = body.get("notificationPointStatus")
    if not isinstance(call_id, str) or not 0 < len(call_id) <= 64:
        raise Invalid("INVALID_NOTIFICATION", "header.functionCallIdentifier is missing.")
    if not isinstance(iccid, str) or not ICCID.match(iccid):
        raise Invalid("INVALID_NOTIFICATION", "iccid is missing or malformed.")
    if eid is not None and (not isinstance(eid, str) or not EID.match(eid)):
        raise Invalid("INVALID_NOTIFICATION", "eid is malformed.")
    if not isinstance(point, int) or isinstance(point, bool) or not 1 <= point <= 99:
        raise Invalid("INVALID_NOTIFICATION", "notificationPointId must be a number.")
    if not isinstance(status, dict) or status.get("status") not in {s.value for s in Status}:
        raise Invalid("INVALID_NOTIFICATION", "notificationPointStatus.status is missing.")
    data = status.get("statusCodeData")
    code = None
    if isinstance(data, dict):
        code = f"{data.get('subjectCode')}/{data.get('reasonCode')}"[:20]
    stamp = body.get("timestamp")
    return Notice(
        call_id,
        iccid,
        point,
        str(status["status"]),
        code,
        eid,
        stamp[:30] if isinstance(stamp, str) else None,
    )


@dataclass(frozen=True)
class Reported:
    """What a notification did to the profile (``applied``), and what it means for the
    round whose code is this profile's: its application (an opaque reference) and the event.
    Both are None for a repeat, or when no finished round waits for this profile."""

    applied: str
    application_id: uuid.UUID | None = None
    event: Event | None = None


def receive(session: Session, notice: Notice, *, at: dt.datetime) -> Reported:
    """Record and apply to the profile; a repeat of the same call is recorded once and
    applied once."""
    seen = session.scalar(
        select(ProfileNotification).where(ProfileNotification.call_id == notice.call_id)
    )
    if seen is not None:
        return Reported(seen.applied)
    reported = _apply(session, notice, at)
    applied = reported.applied[:80]
    session.add(
        ProfileNotification(
            call_id=notice.call_id,
            iccid=notice.iccid,
            point=notice.point,
            status=notice.status,
            code=notice.code,
            eid=notice.eid,
            occurred_at=notice.timestamp,
            applied=applied,
            received_at=at,
        )
    )
    session.flush()
    return Reported(applied, reported.application_id, reported.event)


def _round_of(session: Session, iccid: str) -> uuid.UUID | None:
    """The application of the latest finished round that made this very profile."""
    prov = provisioning.done_with(session, iccid)
    return prov.application_id if prov is not None else None


def _apply(session: Session, notice: Notice, at: dt.datetime) -> Reported:
    profile = lines.profile_anywhere(session, notice.iccid)
    if profile is None:
        return Reported("unknown iccid")
    ok = notice.status in (Status.SUCCESS, Status.WARNING)
    point = notice.point
    line = lines.get_line(session, profile.tenant_id, profile.line_id)
    event: Event | None = None
    if point == NotificationPoint.BPP_DOWNLOAD and ok:
        profile.state = ProfileState.DOWNLOADED
        if line.iccid == profile.iccid and notice.eid:
            line.eid = notice.eid
        event = "downloaded"
    elif point == NotificationPoint.BPP_INSTALLATION and ok:
        profile.state, profile.device_state = ProfileState.INSTALLED, DeviceState.ENABLED
        if line.iccid != profile.iccid:
            profile.updated_at = at
            return Reported("installed, not the line's profile")
        if notice.eid:
            line.eid = notice.eid
        lines.lift_suspension(session, line, at=at, actor=audit.SYSTEM)
        event = "installed"
    elif point in (NotificationPoint.CONFIRMATION_FAILURE, NotificationPoint.BPP_INSTALLATION):
        profile.state = ProfileState.ERROR
        event = "install_failed"
    elif point == NotificationPoint.DELETED and ok:
        profile.state, profile.device_state = ProfileState.UNAVAILABLE, DeviceState.DELETED
        event = "deleted"
    else:
        return Reported(f"recorded (point {point}, {notice.status})")
    profile.updated_at = at
    applied = f"point {point} {notice.status}: profile {profile.state.value}"
    return Reported(applied, _round_of(session, profile.iccid), event)
