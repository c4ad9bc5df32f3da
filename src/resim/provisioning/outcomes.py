"""What provisioning is asked to do, and what it reports back to whoever drives it."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Order:
    """What to provision: a new profile for a line, for one round of an application (an
    opaque reference here)."""

    tenant_id: uuid.UUID
    application_id: uuid.UUID
    round: int
    line_id: uuid.UUID


@dataclass(frozen=True)
class Ongoing:
    """The round goes on (or the job was stale): nothing to report."""


@dataclass(frozen=True)
class Done:
    """The new profile is ordered, confirmed and on the network: its code can be delivered."""

    tenant_id: uuid.UUID
    application_id: uuid.UUID
    round: int
    iccid: str
    imsi: str
    at: dt.datetime


@dataclass(frozen=True)
class Failed:
    """The round failed for good and what it did is undone; ``reason`` is a stable code."""

    tenant_id: uuid.UUID
    application_id: uuid.UUID
    reason: str
    at: dt.datetime


Outcome = Ongoing | Done | Failed
ONGOING = Ongoing()
