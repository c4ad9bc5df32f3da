from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from resim.replacement.risk import REASONS, Signals, assess
from resim.tenant.schemas import TenantPolicy

POLICY = TenantPolicy(auto_approve_below=30, four_eyes_from=70)
CLEAN = Signals(mrz_verified=True, codice_fiscale_matches=True)


def test_a_verified_holder_with_no_signals_is_approved_automatically() -> None:
    result = assess(CLEAN, POLICY)
    assert (result.score, result.reasons, result.route) == (0, [], "auto_approve")


def test_a_recent_sim_change_sends_it_to_review() -> None:
    result = assess(replace(CLEAN, sim_changes_last_30_days=1), POLICY)
    assert result.reasons == ["RECENT_SIM_CHANGE"] and result.route == "review"


def test_stacked_signals_need_two_reviewers() -> None:
    result = assess(
        replace(
            CLEAN,
            sim_changes_last_30_days=1,
            contact_changed_last_30_days=True,
            applications_from_ip_24h=4,
        ),
        POLICY,
    )
    assert result.route == "four_eyes"
    assert result.reasons[0] == "RECENT_SIM_CHANGE"  # strongest first


def test_a_document_without_a_zone_is_weaker_evidence() -> None:
    result = assess(replace(CLEAN, mrz_verified=None), POLICY)
    assert result.reasons == ["IDENTITY_NOT_MACHINE_VERIFIED"] and result.route == "auto_approve"
    strict = TenantPolicy(auto_approve_below=10, four_eyes_from=70)
    assert assess(replace(CLEAN, mrz_verified=None), strict).route == "review"


def test_thresholds_are_the_tenants() -> None:
    lenient = TenantPolicy(auto_approve_below=40, four_eyes_from=90)
    signals = replace(CLEAN, sim_changes_last_30_days=1)
    assert assess(signals, lenient).route == "auto_approve"


@given(
    st.builds(
        Signals,
        mrz_verified=st.none() | st.booleans(),
        codice_fiscale_matches=st.booleans(),
        sim_changes_last_30_days=st.integers(0, 5),
        lines_of_holder=st.integers(1, 20),
        replacements_last_12_months=st.integers(0, 5),
        applications_from_ip_24h=st.integers(0, 9),
        applications_with_document_24h=st.integers(0, 9),
        reason=st.sampled_from(["lost", "stolen", "compromised", "faulty"]),
    )
)
def test_scores_are_bounded_and_every_reason_is_known(signals: Signals) -> None:
    result = assess(signals, POLICY)
    assert 0 <= result.score <= 100
    assert set(result.reasons) <= set(REASONS)
    assert len(set(result.reasons)) == len(result.reasons)
    if "MRZ_MISMATCH" in result.reasons or "CODICE_FISCALE_MISMATCH" in result.reasons:
        assert result.route != "auto_approve"
