"""resim's own line registry: the embedded subscriber database (MSISDN to IMSI and ICCID)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from resim.db.base import Base


class Subscriber(Base):
    __tablename__ = "subscriber"

    imsi: Mapped[str] = mapped_column(String(15), primary_key=True)
    iccid: Mapped[str | None] = mapped_column(String(20))
    msisdn: Mapped[str | None] = mapped_column(String(16), unique=True)  # one IMSI per number
    enabled: Mapped[bool]
    key_id: Mapped[str | None] = mapped_column(String(20))
    keys: Mapped[bytes | None] = mapped_column(LargeBinary)  # Ki and OPc, encrypted
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class SubscriberChange(Base):
    """Every change of a pairing or an access, with its time; ``id`` keeps their order."""

    __tablename__ = "subscriber_change"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    imsi: Mapped[str] = mapped_column(String(15), index=True)
    msisdn: Mapped[str | None] = mapped_column(String(16), index=True)
    change: Mapped[str] = mapped_column(String(20))  # created paired unpaired barred ...
    at: Mapped[dt.datetime]
