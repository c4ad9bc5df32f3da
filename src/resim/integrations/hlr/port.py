"""The subscriber database (HLR/HSS) as the provisioning workflow sees it.

Each operation is idempotent: creating a subscriber that exists, deleting one that is gone,
or setting what is already set succeeds. Pairings are exclusive: an MSISDN belongs to at
most one IMSI, so moving a number is "clear the old pairing, set the new one" and the
workflow records which of the two it reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from resim.errors import IntegrationError

SYSTEM = "hlr"


class HlrError(IntegrationError):
    def __init__(self, detail: str, *, transient: bool) -> None:
        super().__init__(SYSTEM, detail, transient=transient)


@dataclass(frozen=True)
class Subscriber:
    imsi: str
    msisdn: str | None
    enabled: bool  # circuit- and packet-switched access both allowed


class SubscriberDb(Protocol):
    name: str
    # True when its changes commit or roll back with the caller's database transaction
    # (resim's own registry): then no crash can fall between them and the step's record.
    in_transaction: bool

    def get(self, imsi: str) -> Subscriber | None: ...

    def owner_of(self, msisdn: str) -> str | None:
        """The IMSI the MSISDN is paired with, if any."""
        ...

    def create(self, imsi: str, *, iccid: str, ki: str, opc: str) -> None:
        """A subscriber with Milenage keys, no MSISDN yet; an existing one gets the keys."""
        ...

    def set_msisdn(self, imsi: str, msisdn: str | None) -> None: ...

    def set_enabled(self, imsi: str, enabled: bool) -> None: ...

    def delete(self, imsi: str) -> None: ...


def national(msisdn: str) -> str:
    """The HLR's form of a number: digits only, country code included (E.164 without +)."""
    return msisdn.lstrip("+")
