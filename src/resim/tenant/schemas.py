"""A tenant's policy and branding: validated whenever read or written."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from resim.i18n import N_

DocumentType = Literal["cie", "passport", "driving_licence", "residence_permit"]
LossEvidence = Literal["declaration", "police_report"]
ALL_LOSS_EVIDENCE: tuple[LossEvidence, ...] = ("declaration", "police_report")
ALL_DOCUMENTS: tuple[DocumentType, ...] = ("cie", "passport", "driving_licence", "residence_permit")


class TenantPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    replacement_fee_cents: int = Field(1000, ge=0, le=100_00)
    free_replacements_per_12_months: int = Field(1, ge=0, le=12)
    faulty_sim_free: bool = True
    # AGCOM delibera 86/21/CIR: the window after the confirmation SMS to the old number.
    confirmation_window_minutes: int = Field(60, ge=0, le=7 * 24 * 60)
    # No wait when the document's zone matched the holder and no risk signal showed.
    zero_window_when_verified: bool = False
    notice_channel: Literal["email", "sms_alternative"] = "email"
    redownload_cap: int = Field(6, ge=1, le=100)
    activation_code_expiry_hours: int = Field(24, ge=1, le=24 * 30)
    # The one-time links to the activation code sent by SMS and e-mail.
    delivery_link_hours: int = Field(24, ge=1, le=24 * 7)
    # The device must also present a confirmation code (SGP.22), sent on another channel.
    confirmation_code: bool = False
    accepted_documents: list[DocumentType] = Field(
        default_factory=lambda: list(ALL_DOCUMENTS),
        min_length=1,
    )
    # For loss or theft: the signed self-declaration, a police report (denuncia), or either.
    accepted_loss_evidence: list[LossEvidence] = Field(
        default_factory=lambda: list(ALL_LOSS_EVIDENCE), min_length=1
    )
    document_retention_days: int = Field(90, ge=1, le=3650)
    review_sla_minutes: int = Field(240, ge=5, le=7 * 24 * 60)
    auto_approve_below: int = Field(30, ge=0, le=100)
    four_eyes_from: int = Field(70, ge=0, le=100)
    # The profile type ordered from the SM-DP+ for a replacement (agreed with the vendor).
    profile_type: str = Field("consumer", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")

    @model_validator(mode="after")
    def _thresholds(self) -> TenantPolicy:
        if self.four_eyes_from < self.auto_approve_below:
            raise ValueError(
                N_("The two-approval threshold cannot be below the automatic approval one.")
            )
        return self


class TenantBranding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str = Field(min_length=1, max_length=80)
    primary_color: str = Field("#0b5fff", pattern=r"^#[0-9a-fA-F]{6}$")
    support_phone: str | None = Field(None, max_length=20)
