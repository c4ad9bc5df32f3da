"""An application being written: the draft, its evidence and uploads, the plan and the fee.

Step 2 of the process (PRODUCT.md). Only the line's holder may apply; one open application
per line. Each given field is checked when it is saved; a submitted application cannot be
changed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.billing import service as billing
from resim.errors import Conflict, Forbidden, IntegrationError, Invalid, NotFound
from resim.identity import service as identity
from resim.integrations.ocr.port import Ocr
from resim.kit import documents
from resim.kit.crypto import KeyRing
from resim.kit.mrz import InvalidMrz, parse
from resim.kit.mrz_ocr import find_mrz
from resim.kit.telecom import InvalidIdentifier
from resim.line import service as lines
from resim.replacement import repository, timeline
from resim.replacement.models import Application
from resim.replacement.queries import line_of
from resim.replacement.schemas import DraftUpdate, Reason
from resim.replacement.states import ApplicationState
from resim.tenant import service as tenants
from resim.tenant.models import Plan, Tenant

S = ApplicationState


def start(
    session: Session,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    msisdn: str,
    reason: Reason,
    *,
    at: dt.datetime,
    actor: audit.Actor,
) -> Application:
    """A draft for one of the customer's lines; anyone else's line is refused and audited
    (the route keeps that audit with ``keep_failed_try`` before the refusal is answered)."""
    line = lines.find_line(session, tenant_id, msisdn)
    if line is None:
        raise NotFound("LINE_NOT_FOUND", "You have no line with this number.")
    if line.customer_id != customer_id:
        audit.record(
            session,
            tenant_id=tenant_id,
            actor=actor,
            action="replacement.refused_not_holder",
            subject_type="line",
            subject_id=str(line.id),
            at=at,
        )
        raise Forbidden("NOT_HOLDER", "Only the holder of a line can ask for its replacement.")
    existing = repository.open_for_line(session, tenant_id, line.id)
    if existing is not None:
        raise Conflict(
            "APPLICATION_OPEN",
            "This line already has an open application.",
            params={"id": str(existing.id)},
        )
    app = Application(
        tenant_id=tenant_id,
        customer_id=customer_id,
        line_id=line.id,
        state=S.DRAFT,
        reason=reason.value,
        checks=[],
        risk_reasons=[],
        created_at=at,
        updated_at=at,
    )
    session.add(app)
    session.flush()
    timeline.record(session, app, at, actor.type)
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="replacement.draft",
        subject_type="application",
        subject_id=str(app.id),
        at=at,
        details={"reason": reason.value},
    )
    return app


def require_draft(app: Application) -> None:
    if app.state != S.DRAFT:
        raise Conflict("APPLICATION_SUBMITTED", "A submitted application cannot be changed.")


def update(
    session: Session, tenant: Tenant, app: Application, changes: DraftUpdate, *, at: dt.datetime
) -> Application:
    """Save evidence into a draft; each given field is checked now."""
    require_draft(app)
    given = changes.model_dump(exclude_unset=True)
    _set_document(tenant, app, given, at)
    _set_mrz(app, given, at)
    _set_plan_and_order(session, app, given)
    _set_contacts(app, given, at)
    app.updated_at = at
    session.flush()
    return app


def _set_document(tenant: Tenant, app: Application, given: dict[str, Any], at: dt.datetime) -> None:
    """The identity document's fields, the number normalised for its type and country."""
    if "document_type" in given and given["document_type"] not in (
        tenants.policy(tenant).accepted_documents
    ):
        raise Invalid(
            "DOCUMENT_NOT_ACCEPTED",
            "This operator does not accept this document.",
            field="document_type",
        )
    for name in ("document_type", "document_country", "document_expiry", "codice_fiscale"):
        if name in given:
            setattr(app, name, given[name])
    if "document_number" in given:
        app.document_number = given["document_number"]
    if app.document_type and app.document_number and app.document_country:
        try:
            app.document_number = documents.document_number(
                cast(documents.DocumentType, app.document_type),
                app.document_number,
                app.document_country,
            )
        except InvalidIdentifier as exc:
            raise Invalid(exc.code, exc.message, field="document_number") from exc
    if app.document_expiry is not None and "document_expiry" in given:
        try:
            documents.check_not_expired(app.document_expiry, at.date())
        except InvalidIdentifier as exc:
            raise Invalid(exc.code, exc.message, field="document_expiry") from exc


def _set_mrz(app: Application, given: dict[str, Any], at: dt.datetime) -> None:
    """A typed machine-readable zone, checked (ICAO 9303 check digits); empty clears it."""
    if "mrz" not in given:
        return
    if given["mrz"]:
        try:
            parse(given["mrz"], at.date())
        except InvalidMrz as exc:
            raise Invalid(
                exc.code, exc.message, field="mrz", params={"failed": ", ".join(exc.failed)}
            ) from exc
    app.mrz = given["mrz"] or None
    app.mrz_source = "typed" if app.mrz else None


def _set_plan_and_order(session: Session, app: Application, given: dict[str, Any]) -> None:
    if "reseller_order" in given:
        app.reseller_order = (given["reseller_order"] or "").strip().upper() or None
    if "plan_code" in given:
        chosen = tenants.plan_by_code(session, app.tenant_id, given["plan_code"] or "")
        if chosen is None or not chosen.active:
            raise Invalid("PLAN_NOT_FOUND", "This plan does not exist.", field="plan_code")
        app.plan_id = chosen.id


def _set_contacts(app: Application, given: dict[str, Any], at: dt.datetime) -> None:
    """The declaration, and the contacts: a changed one must be verified again."""
    if "self_declaration" in given:
        app.self_declaration_at = at if given["self_declaration"] else None
    if "contact_email" in given and given["contact_email"] != app.contact_email:
        app.contact_email, app.contact_email_verified_at = given["contact_email"], None
    if "alt_phone" in given and given["alt_phone"] != app.alt_phone:
        app.alt_phone, app.alt_phone_verified_at = given["alt_phone"], None


@dataclass(frozen=True)
class PlanChoice:
    """The current plan is kept if it is valid and not withdrawn; otherwise one is chosen."""

    current: Plan
    keeps_current: bool
    options: list[Plan]
    chosen: Plan | None


def plan_choice(session: Session, app: Application, at: dt.datetime) -> PlanChoice:
    line = line_of(session, app)
    current = tenants.plan(session, app.tenant_id, line.plan_id)
    valid = line.plan_valid_until is None or line.plan_valid_until >= at.date()
    keeps = current.active and valid
    options = [p for p in tenants.plans(session, app.tenant_id) if p.active]
    chosen = tenants.plan(session, app.tenant_id, app.plan_id) if app.plan_id else None
    return PlanChoice(current, keeps, options, chosen)


def fee_quote(session: Session, tenant: Tenant, app: Application, at: dt.datetime) -> billing.Quote:
    line = line_of(session, app)
    done = repository.count_submitted(
        session,
        app.tenant_id,
        at - dt.timedelta(days=365),
        customer_id=app.customer_id,
        states=[S.APPROVED, S.PROVISIONING, S.CODE_READY, S.INSTALLED],
    )
    return billing.quote(
        tenants.policy(tenant),
        reason=app.reason,
        replacements_last_12_months=done,
        billing="postpaid" if line.billing == "postpaid" else "prepaid",
        credit_cents=line.credit_cents,
    )


def attach(
    session: Session,
    *,
    keyring: KeyRing,
    folder: Path,
    max_bytes: int,
    ocr: Ocr,
    tenant: Tenant,
    app: Application,
    kind: str,
    data: bytes,
    at: dt.datetime,
    actor: audit.Actor,
) -> bool:
    """Keep an uploaded document; for an identity document with no zone typed yet, read the
    zone by OCR. Returns whether OCR found a valid zone."""
    require_draft(app)
    if kind not in ("identity", "police_report"):
        raise Invalid("INVALID_DOCUMENT_KIND", "Choose one of the offered values.", field="kind")
    policy = tenants.policy(tenant)
    _document, clean = identity.store(
        session,
        keyring=keyring,
        folder=folder,
        max_bytes=max_bytes,
        tenant_id=app.tenant_id,
        owner_type="application",
        owner_id=app.id,
        kind=kind,
        data=data,
        retention_days=policy.document_retention_days,
        at=at,
        actor=actor,
    )
    app.updated_at = at
    if kind != "identity" or app.mrz is not None or not ocr.available():
        return False
    try:
        found = find_mrz(ocr.mrz_text(clean), at.date())
    except IntegrationError:
        return False  # OCR is a convenience: the customer can still type the zone
    if found is None:
        return False
    app.mrz, app.mrz_source = found[0], "image"
    timeline.record(session, app, at, "system", mrz="read from the image")
    return True
