"""The replacement fee: quoted from the tenant's policy before the customer confirms.

Money is integer cents in euro. Free: a faulty SIM (where the policy says so) and the first
``free_replacements_per_12_months`` replacements in twelve months. Prepaid lines pay from
credit, and must top up first when it is short; postpaid lines pay on the next bill.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
