"""Submitting a draft: the evidence checks, the fee, the risk score and the AGCOM delibera
86/21/CIR confirmation window.

The automatic half of step 3 of the process (PRODUCT.md). Submission either changes nothing
(a clear error per failed check) or moves the draft to ``awaiting_confirmation`` with an SMS
to the line's own number, a notice to the e-mail on file, and a job that ends the window.
"""

from __future__ import annotations

import datetime as dt
import uuid
from functools import partial

from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.auth import service as auth
from resim.billing import service as billing
from resim.config import Settings
from resim.customer import service as customers
from resim.customer.models import Customer
from resim.errors import AppError, Conflict, Invalid
from resim.kit.crypto import keyed_hash, token
from resim.line import service as lines
from resim.line.models import Line
from resim.replacement import flow, notices, repository
from resim.replacement.checks import SubmissionRefused, evidence_checks
from resim.replacement.draft import fee_quote
from resim.replacement.models import Application
from resim.replacement.queries import line_of
from resim.replacement.risk import Assessment, Signals, assess
from resim.replacement.states import ApplicationState
from resim.tenant import service as tenants
from resim.tenant.models import Tenant
from resim.tenant.schemas import TenantPolicy

# Submissions of one network address in a day beyond which a further one is refused.
IP_DAILY_LIMIT = 10


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
    if app.state != ApplicationState.DRAFT:
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
    quote = _payable_quote(session, tenant, app, at)
    policy = tenants.policy(tenant)
    assessment = assess(
        _signals(session, app, holder, line, mrz_matches, ip=ip, at=at, session_id=session_id),
        policy,
    )
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
    window = _window_minutes(policy, mrz_matches, assessment)
    app.confirm_until = at + dt.timedelta(minutes=window)
    objection = token(24)
    app.objection_token_hash = keyed_hash(settings.secret_bytes, "objection", objection)
    link = f"{settings.public_url}/{tenant.slug}/objection/{objection}"
    announce = partial(
        notices.announce_submission,
        session,
        settings.secret_bytes,
        tenant,
        holder,
        line.msisdn,
        link,
        window,
        at,
    )
    flow.submitted(session, app, at, actor, score=assessment.score, announce=announce)
    return assessment


def _payable_quote(
    session: Session, tenant: Tenant, app: Application, at: dt.datetime
) -> billing.Quote:
    """The fee as it will be charged; a prepaid line short of credit must top up first."""
    quote = fee_quote(session, tenant, app, at)
    if not quote.payable:
        raise Invalid(
            "TOP_UP_NEEDED",
            "Your credit is short by %(amount)s: top up first, then submit.",
            params={"amount": f"{quote.top_up_needed_cents / 100:.2f} €"},
        )
    return quote


def _signals(
    session: Session,
    app: Application,
    holder: Customer,
    line: Line,
    mrz_matches: bool | None,
    *,
    ip: str,
    at: dt.datetime,
    session_id: uuid.UUID | None,
) -> Signals:
    """What the risk score weighs: the evidence, the line's and the holder's recent history,
    and how many applications came from this address or with this document."""
    tenant_id = app.tenant_id
    day = at - dt.timedelta(days=1)
    return Signals(
        mrz_verified=mrz_matches,
        codice_fiscale_matches=True,
        sim_changes_last_30_days=lines.sim_changes_since(session, line, at - dt.timedelta(days=30)),
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
        lines_of_holder=lines.count_lines(session, tenant_id, holder.id),
        replacements_last_12_months=repository.count_submitted(
            session, tenant_id, at - dt.timedelta(days=365), customer_id=holder.id
        ),
        applications_from_ip_24h=repository.count_submitted(session, tenant_id, day, ip=ip),
        applications_with_document_24h=repository.count_submitted(
            session, tenant_id, day, document_number=app.document_number
        ),
        reason=app.reason,
    )


def _window_minutes(policy: TenantPolicy, mrz_matches: bool | None, assessment: Assessment) -> int:
    """The AGCOM confirmation window; none where the tenant allows it for a strongly
    verified identity with no risk signal."""
    if policy.zero_window_when_verified and mrz_matches and assessment.score == 0:
        return 0
    return policy.confirmation_window_minutes
