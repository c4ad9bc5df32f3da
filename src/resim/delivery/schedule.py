"""When a code is ready: its delivery row opened or renewed, its expiry and link queued.

Kept apart from :mod:`resim.delivery.service` so that the provisioning workflow can call it
without importing what reads the provisioning back.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from resim.delivery.models import Delivery
from resim.jobs import service as jobs
from resim.tenant import service as tenants

EXPIRE = "delivery.expire"  # the code was not installed in time: release it
SEND_LINK = "delivery.send_link"  # a one-time link on the customer's remembered channel
LINK_CHANNELS = ("sms", "email")  # the channels a one-time link can go by
DEFAULT_CHANNEL = "email"


def of(session: Session, app_id: uuid.UUID, *, lock: bool = False) -> Delivery | None:
    stmt = select(Delivery).where(Delivery.application_id == app_id)
    return session.scalar(stmt.with_for_update() if lock else stmt)


def code_ready(session: Session, tenant_id: uuid.UUID, app_id: uuid.UUID, at: dt.datetime) -> None:
    """A round's code is ready: it expires after the tenant's hours; the cap carries over."""
    policy = tenants.policy(tenants.by_id(session, tenant_id))
    expires = at + dt.timedelta(hours=policy.activation_code_expiry_hours)
    found = of(session, app_id, lock=True)
    if found is None:
        found = Delivery(
            tenant_id=tenant_id,
            application_id=app_id,
            reveals=0,
            downloads=0,
            cap=policy.redownload_cap,
            channel=DEFAULT_CHANNEL,
            expires_at=expires,
            created_at=at,
        )
        session.add(found)
    found.expires_at, found.released_at, found.updated_at = expires, None, at
    session.flush()
    payload = {"application_id": str(app_id), "expires_at": expires.isoformat()}
    jobs.enqueue(session, EXPIRE, payload, at=at, tenant_id=tenant_id, run_after=expires)
    if found.channel in LINK_CHANNELS:
        jobs.enqueue(
            session,
            SEND_LINK,
            {"application_id": str(app_id), "channel": found.channel},
            at=at,
            tenant_id=tenant_id,
        )


def downloaded(session: Session, app_id: uuid.UUID, at: dt.datetime) -> None:
    """The SM-DP+ reported a download of the code's profile: it counts against the cap."""
    found = of(session, app_id, lock=True)
    if found is not None:
        found.downloads += 1
        found.updated_at = at
