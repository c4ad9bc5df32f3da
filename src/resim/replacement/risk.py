"""The risk score of an application: signals in, a score from 0 to 100 and its reasons out.

Each reason is a stable code with a weight and a sentence for the customer and the agent.
Where the score falls against the tenant's thresholds decides the route: below
``auto_approve_below`` approved automatically; from ``four_eyes_from`` a review by two
agents; in between a review by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from resim.i18n import N_
from resim.tenant.schemas import TenantPolicy

# Garante/AGCOM anomaly thresholds are operator policy in practice; these are the defaults.
MANY_LINES = 5
REPEATED_REPLACEMENTS = 2
IP_BURST = 3
DOCUMENT_BURST = 2

REASONS: dict[str, tuple[int, str]] = {
    "IDENTITY_NOT_MACHINE_VERIFIED": (
        20,
        N_("The identity document has no machine-readable zone that could be verified."),
    ),
    "MRZ_MISMATCH": (70, N_("The document's machine-readable zone does not match the holder.")),
    "CODICE_FISCALE_MISMATCH": (70, N_("The codice fiscale does not match the holder on file.")),
    "RECENT_SIM_CHANGE": (35, N_("The SIM of this line changed in the last 30 days.")),
    "RECENT_CONTACT_CHANGE": (
        25,
        N_("The e-mail or alternative phone of the account changed in the last 30 days."),
    ),
    "MANY_LINES": (15, N_("The holder has an unusual number of lines.")),
    "REPEATED_REPLACEMENTS": (
        20,
        N_("The holder has asked for several replacements in the last 12 months."),
    ),
    "NEW_DEVICE_OR_COUNTRY": (15, N_("The application comes from a new device or country.")),
    "IP_VELOCITY": (25, N_("Several applications came from the same network address today.")),
    "DOCUMENT_VELOCITY": (30, N_("The same document was used for several applications today.")),
    "RECENT_PORT_IN": (30, N_("The number was ported in from another operator recently.")),
    "ACCOUNT_COMPROMISE": (20, N_("The customer reports that the account was compromised.")),
}

Route = Literal["auto_approve", "review", "four_eyes"]


@dataclass(frozen=True)
class Signals:
    mrz_verified: bool | None  # None: the document has no zone (driving licence)
    codice_fiscale_matches: bool
    sim_changes_last_30_days: int = 0
    contact_changed_last_30_days: bool = False
    lines_of_holder: int = 1
    replacements_last_12_months: int = 0
    new_device_or_country: bool = False
    applications_from_ip_24h: int = 0
    applications_with_document_24h: int = 0
    ported_in_last_90_days: bool = False
    reason: str = "lost"


@dataclass(frozen=True)
class Assessment:
    score: int
    reasons: list[str]  # codes, strongest first
    route: Route


def assess(signals: Signals, policy: TenantPolicy) -> Assessment:
    found: list[str] = []
    if signals.mrz_verified is None:
        found.append("IDENTITY_NOT_MACHINE_VERIFIED")
    elif not signals.mrz_verified:
        found.append("MRZ_MISMATCH")
    if not signals.codice_fiscale_matches:
        found.append("CODICE_FISCALE_MISMATCH")
    if signals.sim_changes_last_30_days > 0:
        found.append("RECENT_SIM_CHANGE")
    if signals.contact_changed_last_30_days:
        found.append("RECENT_CONTACT_CHANGE")
    if signals.lines_of_holder > MANY_LINES:
        found.append("MANY_LINES")
    if signals.replacements_last_12_months >= REPEATED_REPLACEMENTS:
        found.append("REPEATED_REPLACEMENTS")
    if signals.new_device_or_country:
        found.append("NEW_DEVICE_OR_COUNTRY")
    if signals.applications_from_ip_24h >= IP_BURST:
        found.append("IP_VELOCITY")
    if signals.applications_with_document_24h >= DOCUMENT_BURST:
        found.append("DOCUMENT_VELOCITY")
    if signals.ported_in_last_90_days:
        found.append("RECENT_PORT_IN")
    if signals.reason == "compromised":
        found.append("ACCOUNT_COMPROMISE")
    found.sort(key=lambda code: -REASONS[code][0])
    score = min(100, sum(REASONS[code][0] for code in found))
    route: Route
    if score >= policy.four_eyes_from:
        route = "four_eyes"
    elif score >= policy.auto_approve_below:
        route = "review"
    else:
        route = "auto_approve"
    return Assessment(score=score, reasons=found, route=route)
