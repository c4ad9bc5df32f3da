"""Tenants (operators or brands), their policy and their plan catalog."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.errors import Conflict, Invalid, NotFound
from resim.i18n import LANGUAGES
from resim.tenant import repository
from resim.tenant.models import Plan, Tenant
from resim.tenant.schemas import TenantBranding, TenantPolicy

_SLUG = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
# Path segments of the site itself, which no tenant may take.
RESERVED_SLUGS = {
    "api",
    "static",
    "lang",
    "outbox",
    "healthz",
    "livez",
    "docs",
    "redoc",
    "gsma",
    "smdp-sandbox",
    "sms",
    "camara",
}


def get(session: Session, slug: str) -> Tenant:
    tenant = repository.by_slug(session, slug)
    if tenant is None:
        raise NotFound("TENANT_NOT_FOUND", "This operator is not served here.")
    return tenant


def by_id(session: Session, tenant_id: uuid.UUID) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("TENANT_NOT_FOUND", "This operator is not served here.")
    return tenant


def find(session: Session, slug: str) -> Tenant | None:
    return repository.by_slug(session, slug)


def all_tenants(session: Session) -> list[Tenant]:
    return repository.all_tenants(session)


def policy(tenant: Tenant) -> TenantPolicy:
    return TenantPolicy.model_validate(tenant.policy)


def branding(tenant: Tenant) -> TenantBranding:
    return TenantBranding.model_validate(tenant.branding)


def create(
    session: Session,
    *,
    slug: str,
    name: str,
    default_language: str,
    at: dt.datetime,
    actor: audit.Actor,
    tenant_policy: TenantPolicy | None = None,
    tenant_branding: TenantBranding | None = None,
) -> Tenant:
    if not _SLUG.match(slug) or slug in RESERVED_SLUGS:
        raise Invalid("INVALID_SLUG", "Use 2-40 lower-case letters, digits or hyphens.")
    if default_language not in LANGUAGES:
        raise Invalid("INVALID_LANGUAGE", "This language is not supported.")
    if repository.by_slug(session, slug) is not None:
        raise Conflict("TENANT_EXISTS", "An operator with this name already exists.")
    tenant = Tenant(
        slug=slug,
        name=name,
        default_language=default_language,
        policy=(tenant_policy or TenantPolicy()).model_dump(),
        branding=(tenant_branding or TenantBranding(display_name=name)).model_dump(),
        created_at=at,
    )
    session.add(tenant)
    session.flush()
    audit.record(
        session,
        tenant_id=tenant.id,
        actor=actor,
        action="tenant.created",
        subject_type="tenant",
        subject_id=str(tenant.id),
        at=at,
        details={"slug": slug},
    )
    return tenant


def add_plan(
    session: Session,
    tenant: Tenant,
    *,
    code: str,
    name: str,
    billing: str,
    monthly_fee_cents: int,
    data_gb: int,
) -> Plan:
    if billing not in ("prepaid", "postpaid"):
        raise Invalid("INVALID_BILLING", "Billing must be prepaid or postpaid.")
    if monthly_fee_cents < 0 or data_gb < 0:
        raise Invalid("INVALID_PLAN", "Fees and allowances cannot be negative.")
    if repository.plan_by_code(session, tenant.id, code) is not None:
        raise Conflict("PLAN_EXISTS", "A plan with this code already exists.")
    plan = Plan(
        tenant_id=tenant.id,
        code=code,
        name=name,
        billing=billing,
        monthly_fee_cents=monthly_fee_cents,
        data_gb=data_gb,
    )
    session.add(plan)
    session.flush()
    return plan


def plans(session: Session, tenant_id: uuid.UUID) -> list[Plan]:
    return repository.plans(session, tenant_id)


def plan(session: Session, tenant_id: uuid.UUID, plan_id: uuid.UUID) -> Plan:
    found = repository.plan_by_id(session, tenant_id, plan_id)
    if found is None:
        raise NotFound("PLAN_NOT_FOUND", "This plan does not exist.")
    return found


def plan_by_code(session: Session, tenant_id: uuid.UUID, code: str) -> Plan | None:
    return repository.plan_by_code(session, tenant_id, code)


def update_policy(
    session: Session, tenant: Tenant, changed: TenantPolicy, *, at: dt.datetime, actor: audit.Actor
) -> dict[str, tuple[object, object]]:
    """Store a validated policy; the audit event lists each changed field, before and after."""
    before = policy(tenant).model_dump()
    after = changed.model_dump()
    diff = {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
    if diff:
        tenant.policy = after
        session.flush()
        audit.record(
            session,
            tenant_id=tenant.id,
            actor=actor,
            action="tenant.policy_changed",
            subject_type="tenant",
            subject_id=str(tenant.id),
            at=at,
            details={k: {"from": b, "to": a} for k, (b, a) in diff.items()},
        )
    return diff
