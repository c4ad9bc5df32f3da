"""The tenant's profile stock: ICCID, IMSI and keys from the SM-DP+ vendor's output file.

The keys are encrypted at rest with the document key ring (the ICCID is the associated data)
and opened only to create the subscriber in the HLR.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from resim.errors import Invalid
from resim.kit.crypto import KeyRing
from resim.kit.telecom import Iccid, Imsi, InvalidIdentifier
from resim.provisioning.models import ProfileStock

HEX32 = frozenset("0123456789ABCDEF")


@dataclass(frozen=True)
class StockedProfile:
    iccid: str
    imsi: str
    ki: str
    opc: str


def _key(value: str, name: str, row: int) -> str:
    upper = value.strip().upper()
    if len(upper) != 32 or not set(upper) <= HEX32:
        raise Invalid(
            "INVALID_OUTPUT_FILE",
            "Row %(row)d: %(name)s must be 32 hexadecimal digits.",
            params={"row": row, "name": name},
        )
    return upper


def parse(text: str) -> list[StockedProfile]:
    """Rows of ``iccid,imsi,ki,opc`` (a header line first); every row checked, or nothing."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not {"iccid", "imsi", "ki", "opc"} <= set(reader.fieldnames):
        raise Invalid("INVALID_OUTPUT_FILE", "The file needs the columns iccid, imsi, ki, opc.")
    out = []
    for number, row in enumerate(reader, start=2):
        try:
            iccid, imsi = str(Iccid(row["iccid"] or "")), str(Imsi(row["imsi"] or ""))
        except InvalidIdentifier as exc:
            raise Invalid(
                "INVALID_OUTPUT_FILE",
                "Row %(row)d: %(problem)s",
                params={"row": number, "problem": exc.message},
            ) from exc
        out.append(
            StockedProfile(
                iccid, imsi, _key(row["ki"], "ki", number), _key(row["opc"], "opc", number)
            )
        )
    return out


def load(
    session: Session,
    keyring: KeyRing,
    tenant_id: uuid.UUID,
    profile_type: str,
    profiles: list[StockedProfile],
    *,
    at: dt.datetime,
) -> int:
    """Add the profiles not stocked yet; returns how many were added."""
    added = 0
    for profile in profiles:
        if session.get(ProfileStock, profile.iccid) is not None:
            continue
        key_id, blob = keyring.encrypt(
            f"{profile.ki},{profile.opc}".encode(), profile.iccid.encode()
        )
        session.add(
            ProfileStock(
                iccid=profile.iccid,
                tenant_id=tenant_id,
                profile_type=profile_type,
                imsi=profile.imsi,
                key_id=key_id,
                keys=blob,
                loaded_at=at,
                used_at=None,
            )
        )
        added += 1
    session.flush()
    return added


def take(session: Session, keyring: KeyRing, iccid: str, at: dt.datetime) -> StockedProfile | None:
    """The stocked profile the SM-DP+ reserved, marked used; None if it is not in stock."""
    row = session.get(ProfileStock, iccid, with_for_update=True)
    if row is None:
        return None
    row.used_at = row.used_at or at
    ki, opc = keyring.decrypt(row.key_id, row.keys, row.iccid.encode()).decode().split(",")
    return StockedProfile(row.iccid, row.imsi, ki, opc)


def put_back(session: Session, iccid: str) -> None:
    """A cancelled order's profile is available again (cancelOrder with Available)."""
    row = session.get(ProfileStock, iccid, with_for_update=True)
    if row is not None:
        row.used_at = None


def available(session: Session, tenant_id: uuid.UUID) -> int:
    stmt = select(func.count()).where(
        ProfileStock.tenant_id == tenant_id, ProfileStock.used_at.is_(None)
    )
    return session.scalar(stmt) or 0
