from __future__ import annotations

from resim.billing.service import quote
from resim.tenant.schemas import TenantPolicy

POLICY = TenantPolicy(
    replacement_fee_cents=1000, free_replacements_per_12_months=1, faulty_sim_free=True
)


def test_the_first_replacement_in_a_year_is_free() -> None:
    result = quote(
        POLICY, reason="lost", replacements_last_12_months=0, billing="prepaid", credit_cents=0
    )
    assert (result.amount_cents, result.free_reason, result.payable) == (0, "free_allowance", True)


def test_a_faulty_sim_is_free_whatever_the_history() -> None:
    result = quote(
        POLICY, reason="faulty", replacements_last_12_months=5, billing="prepaid", credit_cents=0
    )
    assert (result.amount_cents, result.free_reason) == (0, "faulty_sim")


def test_a_second_replacement_is_charged_to_credit_or_bill() -> None:
    prepaid = quote(
        POLICY, reason="lost", replacements_last_12_months=1, billing="prepaid", credit_cents=2500
    )
    assert (prepaid.amount_cents, prepaid.charge_to, prepaid.payable) == (1000, "credit", True)
    postpaid = quote(
        POLICY, reason="stolen", replacements_last_12_months=3, billing="postpaid", credit_cents=0
    )
    assert (postpaid.amount_cents, postpaid.charge_to, postpaid.payable) == (1000, "bill", True)


def test_short_credit_asks_for_a_top_up_of_the_difference() -> None:
    result = quote(
        POLICY, reason="lost", replacements_last_12_months=1, billing="prepaid", credit_cents=350
    )
    assert (result.top_up_needed_cents, result.payable) == (650, False)


def test_a_tenant_without_a_fee_charges_nothing() -> None:
    free = TenantPolicy(replacement_fee_cents=0, free_replacements_per_12_months=0)
    result = quote(
        free, reason="lost", replacements_last_12_months=9, billing="prepaid", credit_cents=0
    )
    assert (result.amount_cents, result.charge_to, result.payable) == (0, "none", True)
