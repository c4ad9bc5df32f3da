"""handleDownloadProgressInfo from the SM-DP+: kept once, then applied to the profile.

Point 3 (downloaded) links the device's EID to the line; point 4 (installed) ends the
replacement and lifts the line's suspension; a failure at points 2 or 4 puts the profile in
Error; point 5 (deleted on the device) retires it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.delivery import schedule as delivery
from resim.errors import Invalid
from resim.integrations.es2plus.protocol import EID, ICCID, NotificationPoint, Status
from resim.line import service as lines
from resim.line.models import DeviceState, ProfileState
from resim.provisioning.models import ProfileNotification, Provisioning, Step
from resim.replacement import service as replacements
from resim.replacement.models import Application
from resim.replacement.states import ApplicationState


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


def receive(session: Session, secret: bytes, notice: Notice, *, at: dt.datetime) -> str:
    """Record and apply; a repeat of the same call is recorded once and applied once."""
    seen = session.scalar(
        select(ProfileNotification).where(ProfileNotification.call_id == notice.call_id)
    )
    if seen is not None:
        return seen.applied
    applied = _apply(session, secret, notice, at)[:80]
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
    return applied


def _waiting_for(session: Session, iccid: str) -> Application | None:
    """The application whose code is ready for this very profile (its latest round's)."""
    prov = session.scalar(
        select(Provisioning)
        .where(Provisioning.new_iccid == iccid, Provisioning.step == Step.DONE)
        .order_by(Provisioning.round.desc())
        .limit(1)
    )
    if prov is None:
        return None
    app = replacements.lock_for_provisioning(session, prov.application_id)
    return app if app is not None and app.state == ApplicationState.CODE_READY else None


def _apply(session: Session, secret: bytes, notice: Notice, at: dt.datetime) -> str:
    profile = lines.profile_anywhere(session, notice.iccid)
    if profile is None:
        return "unknown iccid"
    ok = notice.status in (Status.SUCCESS, Status.WARNING)
    point = notice.point
    line = lines.get_line(session, profile.tenant_id, profile.line_id)
    if point == NotificationPoint.BPP_DOWNLOAD and ok:
        profile.state = ProfileState.DOWNLOADED
        if line.iccid == profile.iccid and notice.eid:
            line.eid = notice.eid
        waiting = _waiting_for(session, profile.iccid)
        if waiting is not None:
            delivery.downloaded(session, waiting.id, at)
            replacements.profile_progress(session, waiting, "downloaded", at)
    elif point == NotificationPoint.BPP_INSTALLATION and ok:
        profile.state, profile.device_state = ProfileState.INSTALLED, DeviceState.ENABLED
        if line.iccid != profile.iccid:
            profile.updated_at = at
            return "installed, not the line's profile"
        if notice.eid:
            line.eid = notice.eid
        lines.lift_suspension(session, line, at=at, actor=audit.SYSTEM)
        app = _waiting_for(session, profile.iccid)
        if app is not None:
            replacements.installed(session, secret, app, at)
    elif point in (NotificationPoint.CONFIRMATION_FAILURE, NotificationPoint.BPP_INSTALLATION):
        profile.state = ProfileState.ERROR
        waiting = _waiting_for(session, profile.iccid)
        if waiting is not None:
            replacements.profile_progress(session, waiting, "install_failed", at)
    elif point == NotificationPoint.DELETED and ok:
        profile.state, profile.device_state = ProfileState.UNAVAILABLE, DeviceState.DELETED
    else:
        return f"recorded (point {point}, {notice.status})"
    profile.updated_at = at
    return f"point {point} {notice.status}: profile {profile.state.value}"
