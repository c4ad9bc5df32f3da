"""The books of a code's delivery: its row opened or renewed when a round's code is ready,
downloads counted, a release recorded. The replacement's flow calls these and queues the
jobs (expiry, the link on the remembered channel) they return the times and channel for.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from resim.delivery.models import Delivery
from resim.tenant import service as tenants

LINK_CHANNELS = ("sms", "email")  # the channels a one-time link can go by
DEFAULT_CHANNEL = "email"


@dataclass(frozen=True)
class Renewed:
    """A round's code is on the books: when it expires, and the channel a one-time link
    goes by at once (the customer's last choice), if any."""

    expires_at: dt.datetime
    link_channel: str | None


def of(session: Session, app_id: uuid.UUID, *, lock: bool = False) -> Delivery | None:
    stmt = select(Delivery).where(Delivery.application_id == app_id)
    return session.scalar(stmt.with_for_update() if lock else stmt)


def code_ready(
    session: Session, tenant_id: uuid.UUID, app_id: uuid.UUID, at: dt.datetime
) -> Renewed:
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
    return Renewed(expires, found.channel if found.channel in LINK_CHANNELS else None)


def downloaded(session: Session, app_id: uuid.UUID, at: dt.datetime) -> None:
    """The SM-DP+ reported a download of the code's profile: it counts against the cap."""
    found = of(session, app_id, lock=True)
    if found is not None:
        found.downloads += 1
        found.updated_at = at


def released(session: Session, app_id: uuid.UUID, at: dt.datetime) -> None:
    """The current code was cancelled on the SM-DP+, unused."""
    found = of(session, app_id, lock=True)
    if found is not None:
        found.released_at, found.updated_at = at, at
