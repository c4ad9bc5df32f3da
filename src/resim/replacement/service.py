"""Applying for a replacement eSIM: the draft, the evidence checks, the fee, the risk score
and the AGCOM delibera 86/21/CIR confirmation window.

Steps 2 and the automatic half of 3 of the process (PRODUCT.md). Only the line's holder may
apply; one open application per line. Submission either changes nothing (a clear error per
failed check) or moves the draft to ``awaiting_confirmation`` with an SMS to the line's own
number, a notice to the e-mail on file, and a job that ends the window.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.auth import service as auth
from resim.billing import service as billing
from resim.billing.models import Charge
from resim.config import Settings
from resim.customer import service as customers
from resim.customer.models import Customer
from resim.errors import AppError, Conflict, Forbidden, IntegrationError, Invalid, NotFound
from resim.i18n import N_, gettext_for
from resim.identity import service as identity
from resim.integrations.ocr.port import Ocr
from resim.jobs import service as jobs
from resim.kit import documents
from resim.kit.crypto import KeyRing, keyed_hash, numeric_code, token
from resim.kit.money import format_eur
from resim.kit.mrz import InvalidMrz, names_match, parse
from resim.kit.mrz_ocr import find_mrz
from resim.kit.telecom import InvalidIdentifier
from resim.line import service as lines
from resim.line.models import Line
from resim.message import service as messages
from resim.replacement import repository
from resim.replacement.models import Application, ApplicationEvent, ContactVerification
from resim.replacement.risk import Assessment, Signals, assess
from resim.replacement.schemas import NEEDS_DECLARATION, DraftUpdate, Reason
from resim.replacement.states import ApplicationState, transition
from resim.tenant import service as tenants
from resim.tenant.models import Plan, Tenant

S = ApplicationState
WINDOW_ENDS = "replacement.window_ends"
PROVISION = "provisioning.start"  # handled by resim.provisioning
CODE_MINUTES = 10
CODE_TRIES = 5
# Submissions of one network address in a day beyond which a further one is refused.
IP_DAILY_LIMIT = 10


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


def _event(session: Session, app: Application, at: dt.datetime, actor: str, **details: Any) -> None:
    session.add(
        ApplicationEvent(
            tenant_id=app.tenant_id,
            application_id=app.id,
            seq=repository.next_seq(session, app.id),
            at=at,
            state=app.state.value,
            actor=actor,
            details=details,
        )
    )
    session.flush()


def _move(
    session: Session,
    app: Application,
    target: ApplicationState,
    at: dt.datetime,
    actor: audit.Actor,
    **details: Any,
) -> None:
    previous = app.state
    app.state = transition(app.state, target)
    app.updated_at = at
    _event(session, app, at, actor.type, **details)
    audit.record(
        session,
        tenant_id=app.tenant_id,
        actor=actor,
        action=f"replacement.{target.value}",
        subject_type="application",
        subject_id=str(app.id),
        at=at,
        details={"from": previous.value, **details},
    )


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
    """A draft for one of the customer's lines; anyone else's line is refused and audited."""
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
        session.commit()  # the refusal itself is kept on record
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
    _event(session, app, at, actor.type)
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


def get(
    session: Session,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    app_id: uuid.UUID,
    *,
    lock: bool = False,
) -> Application:
    app = repository.by_id(session, tenant_id, app_id, lock=lock)
    if app is None or app.customer_id != customer_id:
        raise NotFound("APPLICATION_NOT_FOUND", "This application does not exist.")
    return app


def timeline(session: Session, app: Application) -> list[ApplicationEvent]:
    return repository.events(session, app.id)


def line_of(session: Session, app: Application) -> Line:
    return lines.get_line(session, app.tenant_id, app.line_id)


def update(
    session: Session, tenant: Tenant, app: Application, changes: DraftUpdate, *, at: dt.datetime
) -> Application:
    """Save evidence into a draft; each given field is checked now."""
    if app.state != S.DRAFT:
        raise Conflict("APPLICATION_SUBMITTED", "A submitted application cannot be changed.")
    given = changes.model_dump(exclude_unset=True)
    policy = tenants.policy(tenant)
    if "document_type" in given and given["document_type"] not in policy.accepted_documents:
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
    if "mrz" in given:
        if given["mrz"]:
            try:
                parse(given["mrz"], at.date())
            except InvalidMrz as exc:
                raise Invalid(
                    exc.code, exc.message, field="mrz", params={"failed": ", ".join(exc.failed)}
                ) from exc
        app.mrz = given["mrz"] or None
        app.mrz_source = "typed" if app.mrz else None
    if "reseller_order" in given:
        app.reseller_order = (given["reseller_order"] or "").strip().upper() or None
    if "plan_code" in given:
        chosen = tenants.plan_by_code(session, app.tenant_id, given["plan_code"] or "")
        if chosen is None or not chosen.active:
            raise Invalid("PLAN_NOT_FOUND", "This plan does not exist.", field="plan_code")
        app.plan_id = chosen.id
    if "self_declaration" in given:
        app.self_declaration_at = at if given["self_declaration"] else None
    if "contact_email" in given and given["contact_email"] != app.contact_email:
        app.contact_email, app.contact_email_verified_at = given["contact_email"], None
    if "alt_phone" in given and given["alt_phone"] != app.alt_phone:
        app.alt_phone, app.alt_phone_verified_at = given["alt_phone"], None
    app.updated_at = at
    session.flush()
    return app


def send_verification(
    session: Session,
    settings: Settings,
    tenant: Tenant,
    app: Application,
    channel: str,
    *,
    language: str,
    at: dt.datetime,
) -> None:
    """A code to the contact e-mail or, by SMS, to the alternative phone."""
    if app.state != S.DRAFT:
        raise Conflict("APPLICATION_SUBMITTED", "A submitted application cannot be changed.")
    target = app.contact_email if channel == "email" else app.alt_phone
    if target is None:
        raise Invalid("CONTACT_MISSING", "Give the address or number first.", field=channel)
    if channel == "sms":
        line = line_of(session, app)
        if target == line.msisdn:
            raise Invalid(
                "ALT_PHONE_IS_LINE",
                "The alternative number must be another number than the lost line.",
                field="alt_phone",
            )
    pending = repository.open_verification(session, app.id, channel)
    if pending is not None:
        pending.used_at = at
    verification_id = uuid.uuid4()
    code = numeric_code(6)
    session.add(
        ContactVerification(
            id=verification_id,
            tenant_id=app.tenant_id,
            application_id=app.id,
            channel=channel,
            target=target,
            code_hash=keyed_hash(settings.secret_bytes, "verify", str(verification_id), code),
            created_at=at,
            expires_at=at + dt.timedelta(minutes=CODE_MINUTES),
        )
    )
    text = gettext_for(language, "%(operator)s: your verification code is %(code)s.") % {
        "operator": tenant.name,
        "code": code,
    }
    if channel == "email":
        subject = gettext_for(language, "Confirm your e-mail address")
        messages.queue_email(
            session,
            key=settings.secret_bytes,
            tenant_id=app.tenant_id,
            to=target,
            subject=subject,
            text=text,
            at=at,
        )
    else:
        messages.queue_sms(
            session, key=settings.secret_bytes, tenant_id=app.tenant_id, to=target, text=text, at=at
        )


def confirm_verification(
    session: Session,
    settings: Settings,
    app: Application,
    channel: str,
    code: str,
    *,
    at: dt.datetime,
) -> AppError | None:
    """Check a contact code; a wrong one is counted (the caller commits, then reports)."""
    pending = repository.open_verification(session, app.id, channel)
    target = app.contact_email if channel == "email" else app.alt_phone
    if pending is None or pending.expires_at <= at or pending.target != target:
        return Invalid(
            "CODE_INVALID",
            N_("This code is wrong or has expired. Ask for a new one."),
            field="code",
        )
    if keyed_hash(settings.secret_bytes, "verify", str(pending.id), code) != pending.code_hash:
        pending.failed_tries += 1
        if pending.failed_tries >= CODE_TRIES:
            pending.used_at = at
            return Invalid(
                "CODE_LOCKED", N_("Too many wrong codes. Ask for a new one."), field="code"
            )
        return Invalid(
            "CODE_INVALID",
            N_("This code is wrong or has expired. Ask for a new one."),
            field="code",
        )
    pending.used_at = at
    if channel == "email":
        app.contact_email_verified_at = at
    else:
        app.alt_phone_verified_at = at
    return None


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


def evidence_checks(
    session: Session, tenant: Tenant, app: Application, holder: Customer, at: dt.datetime
) -> tuple[list[Check], bool | None]:
    """Every check on the evidence, and whether the zone matched the holder (None: no zone)."""
    checks: list[Check] = []
    policy = tenants.policy(tenant)

    def add(code: str, passed: bool, message: str) -> None:
        checks.append(Check(code, passed, message))

    complete = bool(
        app.document_type and app.document_number and app.document_country and app.document_expiry
    )
    add(
        "DOCUMENT_GIVEN",
        complete,
        N_("Give your identity document's type, number, country and expiry date."),
    )
    if complete:
        assert app.document_type is not None
        assert app.document_expiry is not None
        add(
            "DOCUMENT_ACCEPTED",
            app.document_type in policy.accepted_documents,
            N_("This operator does not accept this document."),
        )
        add(
            "DOCUMENT_NOT_EXPIRED",
            app.document_expiry >= at.date(),
            N_("This document has expired."),
        )
    mrz_matches_holder: bool | None = None
    if app.mrz:
        zone = parse(app.mrz, at.date())
        typed = (
            zone.document_number == app.document_number and zone.expiry_date == app.document_expiry
        )
        add(
            "MRZ_MATCHES_DOCUMENT",
            typed,
            N_("The machine-readable zone does not match the document number or expiry you typed."),
        )
        mrz_matches_holder = (
            names_match(zone.surname, zone.given_names, holder.family_name, holder.given_name)
            and zone.birth_date == holder.birth_date
            and zone.sex == holder.sex
        )
        add(
            "MRZ_MATCHES_HOLDER",
            mrz_matches_holder,
            N_("The machine-readable zone does not match the holder of the line."),
        )
    elif app.document_type in ("cie", "passport"):
        add("MRZ_GIVEN", False, N_("Type the machine-readable zone printed on your document."))
    line = line_of(session, app)
    if line.reseller_order:
        add(
            "RESELLER_ORDER_MATCHES",
            (app.reseller_order or "") == line.reseller_order.strip().upper(),
            N_("Give the order number of the reseller you bought the eSIM from."),
        )
    choice = plan_choice(session, app, at)
    if not choice.keeps_current:
        add(
            "PLAN_CHOSEN",
            choice.chosen is not None,
            N_("Your plan has expired or was withdrawn: choose a new one."),
        )
    add(
        "CODICE_FISCALE_MATCHES",
        app.codice_fiscale == holder.codice_fiscale,
        N_("The codice fiscale does not match the holder of the line."),
    )
    uploads = identity.documents_of(session, app.tenant_id, app.id)
    add(
        "DOCUMENT_IMAGE",
        any(d.kind == "identity" for d in uploads),
        N_("Upload a photo or scan of your identity document."),
    )
    if Reason(app.reason) in NEEDS_DECLARATION:
        accepted = policy.accepted_loss_evidence
        declared = "declaration" in accepted and app.self_declaration_at is not None
        reported = "police_report" in accepted and any(d.kind == "police_report" for d in uploads)
        add(
            "LOSS_EVIDENCE",
            declared or reported,
            N_("Sign the declaration of loss or theft, or upload the police report."),
        )
    add(
        "CONTACT_EMAIL_VERIFIED",
        app.contact_email_verified_at is not None,
        N_("Confirm your contact e-mail address with the code we sent."),
    )
    add(
        "ALT_PHONE_VERIFIED",
        app.alt_phone_verified_at is not None,
        N_("Confirm your alternative phone number with the code we sent."),
    )
    return checks, mrz_matches_holder


def submit(
    session: Session,
    settings: Settings,
    tenant: Tenant,
    app: Application,
    *,
    ip: str,
    at: dt.datetime,
    actor: audit.Actor,
    session_id: uuid.UUID | None = None,
) -> Assessment:
    """Check the evidence, score the risk and open the AGCOM window.

    ``session_id`` is the customer's sign-in session: its device and country are compared
    with the customer's earlier sessions.
    """
    if app.state != S.DRAFT:
        raise Conflict("APPLICATION_SUBMITTED", "This application was already submitted.")
    if (
        repository.count_submitted(session, tenant.id, at - dt.timedelta(days=1), ip=ip)
        >= IP_DAILY_LIMIT
    ):
        raise AppError("TOO_MANY_APPLICATIONS", "Too many applications from your network today.")
    holder = customers.get(session, tenant.id, app.customer_id)
    line = line_of(session, app)
    checks, mrz_matches = evidence_checks(session, tenant, app, holder, at)
    # A zone that does not match the holder is for a reviewer to judge, not a refusal.
    if any(not c.passed and c.code != "MRZ_MATCHES_HOLDER" for c in checks):
        raise SubmissionRefused(checks)
    quote = fee_quote(session, tenant, app, at)
    if not quote.payable:
        raise Invalid(
            "TOP_UP_NEEDED",
            "Your credit is short by %(amount)s: top up first, then submit.",
            params={"amount": f"{quote.top_up_needed_cents / 100:.2f} €"},
        )
    policy = tenants.policy(tenant)
    day = at - dt.timedelta(days=1)
    assessment = assess(
        Signals(
            mrz_verified=mrz_matches,
            codice_fiscale_matches=True,
            sim_changes_last_30_days=lines.sim_changes_since(
                session, line, at - dt.timedelta(days=30)
            ),
            contact_changed_last_30_days=customers.contacts_changed_since(
                holder, (at - dt.timedelta(days=30)).date()
            ),
            new_device_or_country=(
                session_id is not None and auth.new_device_or_country(session, session_id)
            ),
            ported_in_last_90_days=(
                line.ported_in_on is not None
                and line.ported_in_on >= (at - dt.timedelta(days=90)).date()
            ),
            lines_of_holder=lines.count_lines(session, tenant.id, holder.id),
            replacements_last_12_months=repository.count_submitted(
                session, tenant.id, at - dt.timedelta(days=365), customer_id=holder.id
            ),
            applications_from_ip_24h=repository.count_submitted(session, tenant.id, day, ip=ip),
            applications_with_document_24h=repository.count_submitted(
                session, tenant.id, day, document_number=app.document_number
            ),
            reason=app.reason,
        ),
        policy,
    )
    objection = token(24)
    app.checks = [c.as_dict() for c in checks]
    app.risk_score, app.risk_reasons, app.route = (
        assessment.score,
        assessment.reasons,
        assessment.route,
    )
    app.fee_cents, app.fee_charge_to, app.fee_free_reason = (
        quote.amount_cents,
        quote.charge_to,
        quote.free_reason,
    )
    app.submitted_at, app.submitted_ip = at, ip
    window = policy.confirmation_window_minutes
    if policy.zero_window_when_verified and mrz_matches and assessment.score == 0:
        window = 0  # strongly verified identity, no risk signal: tenant policy allows no wait
    app.confirm_until = at + dt.timedelta(minutes=window)
    app.objection_token_hash = keyed_hash(settings.secret_bytes, "objection", objection)
    _move(session, app, S.AWAITING_CONFIRMATION, at, actor, score=assessment.score)
    # AGCOM delibera 86/21/CIR: the SIM change is announced to the line's own number, even
    # when that SIM is lost, and to the e-mail on file; an objection in the window stops it.
    link = f"{settings.public_url}/{tenant.slug}/objection/{objection}"
    minutes = window
    lang = holder.language
    sms = gettext_for(
        lang,
        "%(operator)s: a new SIM was requested for this number. If it was not you, "
        "open %(link)s within %(minutes)d minutes to stop it.",
    )
    messages.queue_sms(
        session,
        key=settings.secret_bytes,
        tenant_id=tenant.id,
        to=line.msisdn,
        text=sms % {"operator": tenant.name, "link": link, "minutes": minutes},
        at=at,
    )
    notice = gettext_for(
        lang,
        "We received a request to replace the SIM of %(msisdn)s. If it was not "
        "you, open this link within %(minutes)d minutes to stop it: %(link)s",
    )
    messages.queue_email(
        session,
        key=settings.secret_bytes,
        tenant_id=tenant.id,
        to=holder.email,
        subject=gettext_for(lang, "Your SIM replacement request"),
        text=notice % {"msisdn": line.msisdn, "minutes": minutes, "link": link},
        at=at,
    )
    jobs.enqueue(
        session,
        WINDOW_ENDS,
        {"application_id": str(app.id)},
        at=at,
        tenant_id=tenant.id,
        run_after=app.confirm_until,
    )
    return assessment


def object_to(
    session: Session,
    settings: Settings,
    tenant: Tenant,
    objection: str,
    *,
    at: dt.datetime,
    ip: str,
) -> Application:
    """The holder stops the SIM change from the link in the SMS or e-mail."""
    app = repository.by_objection_hash(
        session, tenant.id, keyed_hash(settings.secret_bytes, "objection", objection)
    )
    if app is None:
        raise NotFound("OBJECTION_NOT_FOUND", "This link is not valid.")
    if app.state == S.OBJECTED:
        return app
    if app.state not in (S.AWAITING_CONFIRMATION, S.IN_REVIEW):
        raise Conflict("TOO_LATE_TO_OBJECT", "This request can no longer be stopped here: call us.")
    _move(session, app, S.OBJECTED, at, audit.Actor("customer", None, ip))
    _notify(session, settings.secret_bytes, app, S.OBJECTED, at)
    return app


def reply_by_sms(
    session: Session, settings: Settings, tenant: Tenant, msisdn: str, text: str, *, at: dt.datetime
) -> Application | None:
    """AGCOM 86/21/CIR: the holder answers the confirmation SMS; NO (or STOP) objects."""
    if text.strip().split(" ")[0].upper().strip(".!") not in OBJECTION_WORDS:
        return None
    line = lines.find_line(session, tenant.id, msisdn)
    if line is None:
        return None
    app = repository.open_for_line(session, tenant.id, line.id)
    if app is None or app.state not in (S.AWAITING_CONFIRMATION, S.IN_REVIEW):
        return None
    _move(session, app, S.OBJECTED, at, audit.Actor("customer", None, None), channel="sms")
    _notify(session, settings.secret_bytes, app, S.OBJECTED, at)
    return app


OBJECTION_WORDS = {"NO", "STOP", "NON", "不"}
STATE_NOTICES = {
    S.OBJECTED: N_(
        "The request to replace the SIM of %(msisdn)s was stopped, as you asked. "
        "Your current SIM keeps working."
    ),
    S.APPROVED: N_(
        "Your request to replace the SIM of %(msisdn)s is approved. We are preparing your new eSIM."
    ),
    S.IN_REVIEW: N_(
        "Your request to replace the SIM of %(msisdn)s is being checked by our staff. "
        "We will write to you."
    ),
    S.CODE_READY: N_(
        "Your new eSIM for %(msisdn)s is ready. Open your request on our site to install it."
    ),
    S.FAILED: N_(
        "We could not prepare your new eSIM for %(msisdn)s. Nothing was changed on your line: "
        "please call us."
    ),
    S.INSTALLED: N_("Your new eSIM for %(msisdn)s is installed and the line is active again."),
    S.REJECTED: N_(
        "We could not accept your request to replace the SIM of %(msisdn)s. "
        "Your current SIM was not changed."
    ),
}


def window_ended(
    session: Session, key: bytes, tenant_id: uuid.UUID, app_id: uuid.UUID, at: dt.datetime
) -> None:
    """Job: the waiting window is over with no objection; route the application."""
    app = repository.by_id(session, tenant_id, app_id, lock=True)
    if app is None or app.state != S.AWAITING_CONFIRMATION:
        return  # objected, withdrawn, or done already: nothing to do
    assert app.confirm_until is not None
    if at < app.confirm_until:
        jobs.enqueue(
            session,
            WINDOW_ENDS,
            {"application_id": str(app.id)},
            at=at,
            tenant_id=tenant_id,
            run_after=app.confirm_until,
        )
        return
    target = S.APPROVED if app.route == "auto_approve" else S.IN_REVIEW
    _move(session, app, target, at, audit.SYSTEM, route=app.route or "")
    _notify(session, key, app, target, at)
    if target == S.APPROVED:
        _provision(session, app, at)


def _provision(session: Session, app: Application, at: dt.datetime) -> None:
    """An approved application is provisioned by the workflow's jobs (resim.provisioning)."""
    jobs.enqueue(
        session, PROVISION, {"application_id": str(app.id)}, at=at, tenant_id=app.tenant_id
    )


FAILURES = {
    "LINE_BUSY": N_("Another replacement of this line is under way."),
    "SMDP_REFUSED": N_("The eSIM supplier could not prepare a new profile."),
    "SMDP_UNAVAILABLE": N_("The eSIM supplier did not answer for too long."),
    "HLR_REFUSED": N_("The network could not move your number to the new eSIM."),
    "HLR_UNAVAILABLE": N_("The network did not answer for too long."),
    "PROFILE_NOT_IN_STOCK": N_("There is no new eSIM available right now."),
    "NUMBER_ON_ANOTHER_IMSI": N_("Your number is not where we expected it on the network."),
}
FAILED_OTHERWISE = N_("The new eSIM could not be prepared.")


# Why an agent refused an application: shown to the customer, translated.
REJECTIONS = {
    "DOCUMENT_NOT_HOLDER": N_("The identity document does not belong to the holder of the line."),
    "DOCUMENT_UNREADABLE": N_("The identity document could not be read or checked."),
    "DOCUMENT_EXPIRED": N_("The identity document has expired."),
    "SUSPECTED_FRAUD": N_("The request did not pass our security checks."),
    "HOLDER_CONTACTED": N_("The holder of the line told us not to go ahead."),
    "OTHER": N_("The request could not be accepted."),
}


def failure_of(session: Session, app: Application) -> tuple[str, str] | None:
    """Why a failed or rejected application ended: its code and the message id that
    explains it."""
    if app.state not in (S.FAILED, S.REJECTED):
        return None
    ended = [e for e in timeline(session, app) if e.state == app.state.value]
    code = str(ended[-1].details.get("reason", "")) if ended else ""
    if app.state == S.REJECTED:
        return code, REJECTIONS.get(code, REJECTIONS["OTHER"])
    return code, FAILURES.get(code, FAILED_OTHERWISE)


def for_review(
    session: Session, tenant_id: uuid.UUID, app_id: uuid.UUID, *, lock: bool = False
) -> Application:
    """Any application of the tenant, for its staff."""
    app = repository.by_id(session, tenant_id, app_id, lock=lock)
    if app is None:
        raise NotFound("APPLICATION_NOT_FOUND", "This application does not exist.")
    return app


def waiting_for_review(session: Session, tenant_id: uuid.UUID) -> list[Application]:
    """Applications an agent must decide, oldest first (they wait from the window's end)."""
    return repository.in_state(session, tenant_id, S.IN_REVIEW)


def of_customer(
    session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID
) -> list[Application]:
    return repository.of_customer(session, tenant_id, customer_id)


def of_line(session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID) -> list[Application]:
    return repository.of_line(session, tenant_id, line_id)


def approve_reviewed(
    session: Session, key: bytes, app: Application, *, at: dt.datetime, actor: audit.Actor
) -> None:
    """The reviewers approved: the application goes on to provisioning by itself."""
    _move(session, app, S.APPROVED, at, actor)
    app.decided_at = at
    _notify(session, key, app, S.APPROVED, at)
    _provision(session, app, at)


def reject_reviewed(
    session: Session,
    key: bytes,
    app: Application,
    reason: str,
    *,
    at: dt.datetime,
    actor: audit.Actor,
) -> None:
    if reason not in REJECTIONS:
        raise Invalid("REASON_UNKNOWN", "Choose one of the offered values.", field="reason")
    _move(session, app, S.REJECTED, at, actor, reason=reason)
    app.decided_at = at
    _notify(session, key, app, S.REJECTED, at, detail=REJECTIONS[reason])


def lock_for_provisioning(session: Session, app_id: uuid.UUID) -> Application | None:
    tenant_id = tenant_of(session, app_id)
    return None if tenant_id is None else repository.by_id(session, tenant_id, app_id, lock=True)


def provisioning_started(session: Session, app: Application, at: dt.datetime) -> None:
    _move(session, app, S.PROVISIONING, at, audit.SYSTEM)


def code_ready(session: Session, key: bytes, app: Application, at: dt.datetime) -> None:
    """The new profile is ordered and the number moved to it: the code can be delivered."""
    _move(session, app, S.CODE_READY, at, audit.SYSTEM)
    _notify(session, key, app, S.CODE_READY, at)


def provisioning_failed(
    session: Session, key: bytes, app: Application, reason: str, at: dt.datetime
) -> None:
    """A step failed for good and was undone: the old SIM's pairing stands."""
    _move(session, app, S.FAILED, at, audit.SYSTEM, reason=reason)
    _notify(session, key, app, S.FAILED, at)


def installed(session: Session, key: bytes, app: Application, at: dt.datetime) -> None:
    """The new profile is installed: the fee is charged as quoted, the receipt e-mailed."""
    _move(session, app, S.INSTALLED, at, audit.SYSTEM)
    line = line_of(session, app)
    charged = billing.charge(
        session,
        tenant_id=app.tenant_id,
        application_id=app.id,
        line=line,
        amount_cents=app.fee_cents or 0,
        charge_to=app.fee_charge_to or "none",
        free_reason=app.fee_free_reason,
        at=at,
    )
    _notify(session, key, app, S.INSTALLED, at, receipt=charged)


FREE_REASONS = {
    "faulty_sim": N_("free: the eSIM was faulty"),
    "free_allowance": N_("free: your first replacement in twelve months"),
}
CHARGED_TO = {
    "credit": N_("taken from your prepaid credit"),
    "bill": N_("added to your next bill"),
    "none": N_("nothing to pay"),
}


def receipt_text(lang: str, charged: Charge, msisdn: str) -> str:
    """The receipt in the holder's language: number, date, line, amount, how it is paid."""
    lines_ = [
        gettext_for(lang, "Receipt %(number)s") % {"number": charged.receipt_number},
        gettext_for(lang, "Date: %(date)s") % {"date": charged.charged_at.date().isoformat()},
        gettext_for(lang, "eSIM replacement for %(msisdn)s") % {"msisdn": msisdn},
        gettext_for(lang, "Amount: %(amount)s")
        % {"amount": format_eur(charged.amount_cents, lang)},
    ]
    how = gettext_for(lang, CHARGED_TO.get(charged.charge_to, CHARGED_TO["none"]))
    if charged.free_reason in FREE_REASONS:
        how = gettext_for(lang, FREE_REASONS[charged.free_reason])
    lines_.append(how)
    if charged.credit_after_cents is not None:
        lines_.append(
            gettext_for(lang, "Credit left: %(amount)s")
            % {"amount": format_eur(charged.credit_after_cents, lang)}
        )
    return "\n".join(lines_)


def profile_progress(session: Session, app: Application, what: str, at: dt.datetime) -> None:
    """What the SM-DP+ reported of the new profile, on the customer's timeline: ``downloaded``
    or ``install_failed`` (the application's state does not change)."""
    _event(session, app, at, audit.SYSTEM.type, profile=what)


def reissue_started(
    session: Session, app: Application, at: dt.datetime, actor: audit.Actor, round_: int
) -> None:
    """The customer asked again for a code: a new profile is being prepared."""
    _move(session, app, S.PROVISIONING, at, actor, round=round_)


def _notify(
    session: Session,
    key: bytes,
    app: Application,
    state: ApplicationState,
    at: dt.datetime,
    *,
    receipt: Charge | None = None,
    detail: str | None = None,
) -> None:
    """An e-mail to the holder's address on file at each change of the application; the
    receipt, when there is one, goes with it, and ``detail`` (a message id) says why."""
    holder = customers.get(session, app.tenant_id, app.customer_id)
    lang = holder.language
    line = line_of(session, app)
    subject = gettext_for(lang, "Your SIM replacement request")
    text = gettext_for(lang, STATE_NOTICES[state]) % {"msisdn": line.msisdn}
    if detail is not None:
        text += " " + gettext_for(lang, detail)
    if receipt is not None:
        subject = gettext_for(lang, "Your new eSIM is installed: receipt %(number)s") % {
            "number": receipt.receipt_number
        }
        text += "\n\n" + receipt_text(lang, receipt, line.msisdn)
    messages.queue_email(
        session,
        key=key,
        tenant_id=app.tenant_id,
        to=holder.email,
        subject=subject,
        text=text,
        at=at,
    )


def withdraw(session: Session, app: Application, *, at: dt.datetime, actor: audit.Actor) -> None:
    _move(session, app, S.WITHDRAWN, at, actor)


def tenant_of(session: Session, app_id: uuid.UUID) -> uuid.UUID | None:
    """The tenant of an application, for jobs that carry only its id."""
    found = session.get(Application, app_id)
    return found.tenant_id if found else None


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
    if app.state != S.DRAFT:
        raise Conflict("APPLICATION_SUBMITTED", "A submitted application cannot be changed.")
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
    _event(session, app, at, "system", mrz="read from the image")
    return True


def open_application(
    session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID
) -> Application | None:
    return repository.open_for_line(session, tenant_id, line_id)


OUTCOMES = {
    S.INSTALLED: "installed",
    S.CODE_READY: "approved",
    S.PROVISIONING: "approved",
    S.APPROVED: "approved",
    S.REJECTED: "rejected",
    S.FAILED: "failed",
    S.OBJECTED: "stopped",
    S.WITHDRAWN: "stopped",
    S.AWAITING_CONFIRMATION: "pending",
    S.IN_REVIEW: "pending",
}


@dataclass(frozen=True)
class Stats:
    days: list[tuple[dt.date, dict[str, int]]]  # per day of submission: outcome -> count
    median_minutes_to_installed: float | None
    auto_approved_share: float | None  # of the applications routed in the period
    submitted: int


def stats(session: Session, tenant_id: uuid.UUID, *, days: int, now: dt.datetime) -> Stats:
    """Applications submitted in the last ``days`` days, for the dashboard."""
    first = (now - dt.timedelta(days=days - 1)).date()
    since = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    apps = repository.submitted_since(session, tenant_id, since)
    per_day: dict[dt.date, dict[str, int]] = {
        first + dt.timedelta(days=i): dict.fromkeys(sorted(set(OUTCOMES.values())), 0)
        for i in range(days)
    }
    routed = auto = 0
    for app in apps:
        assert app.submitted_at is not None
        day = per_day.get(app.submitted_at.date())
        if day is not None and app.state in OUTCOMES:
            day[OUTCOMES[app.state]] += 1
        if app.route:
            routed += 1
            auto += app.route == "auto_approve"
    installed = repository.installed_at(session, [a.id for a in apps if a.state == S.INSTALLED])
    waits = sorted(
        (installed[a.id] - a.submitted_at).total_seconds() / 60
        for a in apps
        if a.id in installed and a.submitted_at is not None
    )
    median = None
    if waits:
        mid = len(waits) // 2
        median = waits[mid] if len(waits) % 2 else (waits[mid - 1] + waits[mid]) / 2
    return Stats(
        days=sorted(per_day.items()),
        median_minutes_to_installed=median,
        auto_approved_share=auto / routed if routed else None,
        submitted=len(apps),
    )
