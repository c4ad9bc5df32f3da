"""The replacement fee: quoted from the tenant's policy before the customer confirms.

Money is integer cents in euro. Free: a faulty SIM (where the policy says so) and the first
``free_replacements_per_12_months`` replacements in twelve months. Prepaid lines pay from
credit, and must top up first when it is short; postpaid lines pay on the next bill.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from resim.billing.models import Charge
from resim.line.models import Line
from resim.tenant.schemas import TenantPolicy

FreeReason = Literal["faulty_sim", "free_allowance"]


@dataclass(frozen=True)
class Quote:
    amount_cents: int
    charge_to: Literal["credit", "bill", "none"]
    free_reason: FreeReason | None
    top_up_needed_cents: int  # how much credit is missing; 0 when it is enough

    @property
    def payable(self) -> bool:
        return self.top_up_needed_cents == 0


def quote(
    policy: TenantPolicy,
    *,
    reason: str,
    replacements_last_12_months: int,
    billing: Literal["prepaid", "postpaid"],
    credit_cents: int,
) -> Quote:
    if reason == "faulty" and policy.faulty_sim_free:
        return Quote(0, "none", "faulty_sim", 0)
    if replacements_last_12_months < policy.free_replacements_per_12_months:
        return Quote(0, "none", "free_allowance", 0)
    fee = policy.replacement_fee_cents
    if fee == 0:
        return Quote(0, "none", None, 0)
    if billing == "postpaid":
        return Quote(fee, "bill", None, 0)
    return Quote(fee, "credit", None, max(0, fee - credit_cents))


def charge(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    application_id: uuid.UUID,
    line: Line,
    amount_cents: int,
    charge_to: str,
    free_reason: str | None,
    at: dt.datetime,
) -> Charge:
    """Charge the accepted quote once, when the new profile is installed: from prepaid credit
    (the balance may go below zero if the credit was spent since the quote) or as a line on
    the next bill. A free replacement is recorded as a zero charge with its reason."""
    found = session.scalar(select(Charge).where(Charge.application_id == application_id))
    if found is not None:
        return found
    credit_after = None
    if charge_to == "credit":
        line.credit_cents -= amount_cents
        credit_after = line.credit_cents
    found = Charge(
        tenant_id=tenant_id,
        application_id=application_id,
        line_id=line.id,
        receipt_number=f"R-{at:%Y%m%d}-{uuid.uuid4().hex[:8].upper()}",
        amount_cents=amount_cents if charge_to != "none" else 0,
        charge_to=charge_to,
        free_reason=free_reason,
        credit_after_cents=credit_after,
        charged_at=at,
    )
    session.add(found)
    session.flush()
    return found


def charge_of(session: Session, application_id: uuid.UUID) -> Charge | None:
    return session.scalar(select(Charge).where(Charge.application_id == application_id))
