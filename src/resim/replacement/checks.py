"""The checks on a draft's evidence before it may be submitted: the document, its
machine-readable zone against the document and the holder, the reseller's order, the plan,
the codice fiscale, the uploads, the loss evidence and the verified contacts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from resim.customer.models import Customer
from resim.errors import Invalid
from resim.i18n import N_
from resim.identity import service as identity
from resim.kit.mrz import names_match, parse
from resim.replacement.draft import plan_choice
from resim.replacement.models import Application
from resim.replacement.queries import line_of
from resim.replacement.schemas import NEEDS_DECLARATION, Reason
from resim.tenant import service as tenants
from resim.tenant.models import Tenant
from resim.tenant.schemas import TenantPolicy


@dataclass(frozen=True)
class Check:
    code: str
    passed: bool
    message: str  # an English message id, translated where shown

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "passed": self.passed, "message": self.message}


class SubmissionRefused(Invalid):
    """Some checks failed: nothing was changed; ``checks`` says which."""

    def __init__(self, checks: list[Check]) -> None:
        failed = [c for c in checks if not c.passed]
        super().__init__(failed[0].code, failed[0].message)
        self.checks = checks


def evidence_checks(
    session: Session, tenant: Tenant, app: Application, holder: Customer, at: dt.datetime
) -> tuple[list[Check], bool | None]:
    """Every check on the evidence, and whether the zone matched the holder (None: no zone)."""
    policy = tenants.policy(tenant)
    checks = _document(app, policy, at)
    zone, mrz_matches_holder = _zone(app, holder, at)
    checks += zone
    checks += _line_and_plan(session, app, at)
    checks.append(
        Check(
            "CODICE_FISCALE_MATCHES",
            app.codice_fiscale == holder.codice_fiscale,
            N_("The codice fiscale does not match the holder of the line."),
        )
    )
    checks += _uploads(session, app, policy)
    checks += _contacts(app)
    return checks, mrz_matches_holder


def _document(app: Application, policy: TenantPolicy, at: dt.datetime) -> list[Check]:
    complete = bool(
        app.document_type and app.document_number and app.document_country and app.document_expiry
    )
    checks = [
        Check(
            "DOCUMENT_GIVEN",
            complete,
            N_("Give your identity document's type, number, country and expiry date."),
        )
    ]
    if not complete:
        return checks
    assert app.document_type is not None
    assert app.document_expiry is not None
    return [
        *checks,
        Check(
            "DOCUMENT_ACCEPTED",
            app.document_type in policy.accepted_documents,
            N_("This operator does not accept this document."),
        ),
        Check(
            "DOCUMENT_NOT_EXPIRED",
            app.document_expiry >= at.date(),
            N_("This document has expired."),
        ),
    ]


def _zone(app: Application, holder: Customer, at: dt.datetime) -> tuple[list[Check], bool | None]:
    """The machine-readable zone (ICAO 9303) against the typed document and the holder."""
    if not app.mrz:
        if app.document_type in ("cie", "passport"):
            return [
                Check(
                    "MRZ_GIVEN",
                    False,
                    N_("Type the machine-readable zone printed on your document."),
                )
            ], None
        return [], None
    zone = parse(app.mrz, at.date())
    typed = zone.document_number == app.document_number and zone.expiry_date == app.document_expiry
    matches_holder = (
        names_match(zone.surname, zone.given_names, holder.family_name, holder.given_name)
        and zone.birth_date == holder.birth_date
        and zone.sex == holder.sex
    )
    return [
        Check(
            "MRZ_MATCHES_DOCUMENT",
            typed,
            N_("The machine-readable zone does not match the document number or expiry you typed."),
        ),
        Check(
            "MRZ_MATCHES_HOLDER",
            matches_holder,
            N_("The machine-readable zone does not match the holder of the line."),
        ),
    ], matches_holder


def _line_and_plan(session: Session, app: Application, at: dt.datetime) -> list[Check]:
    checks = []
    line = line_of(session, app)
    if line.reseller_order:
        checks.append(
            Check(
                "RESELLER_ORDER_MATCHES",
                (app.reseller_order or "") == line.reseller_order.strip().upper(),
                N_("Give the order number of the reseller you bought the eSIM from."),
            )
        )
    choice = plan_choice(session, app, at)
    if not choice.keeps_current:
        checks.append(
            Check(
                "PLAN_CHOSEN",
                choice.chosen is not None,
                N_("Your plan has expired or was withdrawn: choose a new one."),
            )
        )
    return checks


def _uploads(session: Session, app: Application, policy: TenantPolicy) -> list[Check]:
    uploads = identity.documents_of(session, app.tenant_id, app.id)
    checks = [
        Check(
            "DOCUMENT_IMAGE",
            any(d.kind == "identity" for d in uploads),
            N_("Upload a photo or scan of your identity document."),
        )
    ]
    if Reason(app.reason) in NEEDS_DECLARATION:
        accepted = policy.accepted_loss_evidence
        declared = "declaration" in accepted and app.self_declaration_at is not None
        reported = "police_report" in accepted and any(d.kind == "police_report" for d in uploads)
        checks.append(
            Check(
                "LOSS_EVIDENCE",
                declared or reported,
                N_("Sign the declaration of loss or theft, or upload the police report."),
            )
        )
    return checks


def _contacts(app: Application) -> list[Check]:
    return [
        Check(
            "CONTACT_EMAIL_VERIFIED",
            app.contact_email_verified_at is not None,
            N_("Confirm your contact e-mail address with the code we sent."),
        ),
        Check(
            "ALT_PHONE_VERIFIED",
            app.alt_phone_verified_at is not None,
            N_("Confirm your alternative phone number with the code we sent."),
        ),
    ]
