"""The line registry behind the subscriber-database port, in the caller's transaction.

It is the embedded default: the pairings change in the same transaction as the workflow
step that changes them, and every change is kept with its time.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from resim.integrations.hlr.port import HlrError
from resim.integrations.hlr.port import Subscriber as Info
from resim.kit.clock import Clock
from resim.kit.crypto import KeyRing
from resim.registry.models import Subscriber, SubscriberChange


class LineRegistry:
    name = "registry"
    in_transaction = True  # rows in resim's own database, in the caller's session

    def __init__(self, session: Session, clock: Clock, keyring: KeyRing) -> None:
        self.session = session
        self.clock = clock
        self.keyring = keyring

    def get(self, imsi: str) -> Info | None:
        row = self.session.get(Subscriber, imsi)
        return None if row is None else Info(row.imsi, row.msisdn, row.enabled)

    def owner_of(self, msisdn: str) -> str | None:
        return owner(self.session, msisdn)

    def create(self, imsi: str, *, iccid: str, ki: str, opc: str) -> None:
        key_id, blob = self.keyring.encrypt(f"{ki},{opc}".encode(), imsi.encode())
        row = self.session.get(Subscriber, imsi)
        if row is None:
            register(self.session, imsi=imsi, iccid=iccid, msisdn=None, at=self.clock.now())
            row = self.session.get(Subscriber, imsi)
            assert row is not None
        row.key_id, row.keys = key_id, blob
        self.session.flush()

    def set_msisdn(self, imsi: str, msisdn: str | None) -> None:
        row = self._row(imsi)
        if row.msisdn == msisdn:
            return
        previous = row.msisdn
        row.msisdn = msisdn
        self._changed(row, "paired" if msisdn else "unpaired", msisdn or previous)

    def set_enabled(self, imsi: str, enabled: bool) -> None:
        row = self._row(imsi)
        if row.enabled != enabled:
            row.enabled = enabled
            self._changed(row, "enabled" if enabled else "barred", row.msisdn)

    def delete(self, imsi: str) -> None:
        row = self.session.get(Subscriber, imsi)
        if row is not None:
            self._changed(row, "deleted", row.msisdn)
            self.session.delete(row)
            self.session.flush()

    def _row(self, imsi: str) -> Subscriber:
        row = self.session.get(Subscriber, imsi, with_for_update=True)
        if row is None:
            raise HlrError("no such subscriber", transient=False)
        return row

    def _changed(self, row: Subscriber, change: str, msisdn: str | None) -> None:
        now = self.clock.now()
        row.updated_at = now
        self.session.add(SubscriberChange(imsi=row.imsi, msisdn=msisdn, change=change, at=now))
        self.session.flush()


def register(
    session: Session, *, imsi: str, iccid: str | None, msisdn: str | None, at: dt.datetime
) -> None:
    """A line that already exists on the network (import, demo): paired, enabled, no keys."""
    if session.get(Subscriber, imsi) is not None:
        return
    session.add(
        Subscriber(
            imsi=imsi, iccid=iccid, msisdn=msisdn, enabled=True, created_at=at, updated_at=at
        )
    )
    session.add(SubscriberChange(imsi=imsi, msisdn=msisdn, change="created", at=at))
    session.flush()


def history(session: Session, msisdn: str) -> list[SubscriberChange]:
    """Every change of the number and of the IMSIs that carried it, oldest first."""
    carriers = select(SubscriberChange.imsi).where(SubscriberChange.msisdn == msisdn)
    stmt = (
        select(SubscriberChange)
        .where(SubscriberChange.imsi.in_(carriers))
        .order_by(SubscriberChange.id)
    )
    return list(session.scalars(stmt))


def owner(session: Session, msisdn: str) -> str | None:
    """The IMSI the number is paired with in the registry."""
    return session.scalar(select(Subscriber.imsi).where(Subscriber.msisdn == msisdn))
