"""Build tenants, customers and lines through the real services."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from resim.audit.service import Actor
from resim.config import Settings
from resim.customer import service as customers
from resim.customer.models import Customer
from resim.customer.schemas import NewCustomer
from resim.db.engine import transaction
from resim.kit.codice_fiscale import CodiceFiscale
from resim.kit.telecom import Eid, Iccid
from resim.line import service as lines
from resim.line.schemas import NewLine
from resim.provisioning import inventory
from resim.smdp_sandbox.rules import Sandbox
from resim.smdp_sandbox.store import Store
from resim.tenant import service as tenants
from resim.tenant.models import Tenant

ACTOR = Actor("cli", "tests")
_serial = itertools.count(1)

# The test session's SM-DP+ sandbox (served over HTTP by the `smdp_server` fixture): each
# tenant made here gets a profile type of its own, a pool of it there and the stock here.
SANDBOX = Sandbox(Store(), smdp_address="smdp.sandbox.resim.test")
POOL_SIZE = 4


def stock(session: Session, found: Tenant, at: dt.datetime, count: int = POOL_SIZE) -> str:
    """A pool of ``count`` profiles of a new type in the sandbox, and their stock in resim."""
    profile_type = f"{found.slug}-{next(_serial)}"
    SANDBOX.add_pool(profile_type, "8939990", "22299", count)
    settings = Settings()
    rows = [
        inventory.StockedProfile(p.iccid, p.imsi, p.ki, p.opc)
        for p in SANDBOX.store.profiles(profile_type)
    ]
    keyring = settings.documents.keyring(settings.secret_bytes)
    inventory.load(session, keyring, found.id, profile_type, rows, at=at)
    found.policy = {**found.policy, "profile_type": profile_type}
    session.flush()
    return profile_type


@dataclass(frozen=True)
class World:
    tenant_slug: str
    tenant_id: uuid.UUID
    email: str
    customer_id: uuid.UUID
    msisdns: list[str]
    other_email: str
    other_msisdn: str


def tenant(session: Session, slug: str, at: dt.datetime) -> Tenant:
    found = tenants.create(
        session, slug=slug, name=slug.title() + " Mobile", default_language="it", at=at, actor=ACTOR
    )
    tenants.add_plan(
        session,
        found,
        code="START",
        name="Start 5 GB",
        billing="prepaid",
        monthly_fee_cents=599,
        data_gb=5,
    )
    tenants.add_plan(
        session,
        found,
        code="BIZ",
        name="Business",
        billing="postpaid",
        monthly_fee_cents=1999,
        data_gb=500,
    )
    stock(session, found, at)
    return found


def customer(
    session: Session,
    tenant_id: uuid.UUID,
    at: dt.datetime,
    *,
    given: str = "Giulia",
    family: str = "Rossi",
    email: str | None = None,
    language: str = "it",
) -> Customer:
    number = next(_serial)
    # Different birthplace codes, then birth days, keep each codice fiscale unique.
    birth = dt.date(1985, 3, 12) + dt.timedelta(days=number // 400)
    place = f"H{500 + number % 400:03d}"
    cf = CodiceFiscale.from_person(family, given, birth, "F", place)
    return customers.create(
        session,
        tenant_id,
        NewCustomer(
            given_name=given,
            family_name=family,
            birth_date=birth,
            sex="F",
            birthplace_code=place,
            codice_fiscale=cf,
            email=email or f"{given.lower()}.{family.lower()}{number}@example.it",
            alt_phone="+41 79 123 45 67",
            language=language,
        ),
        at=at,
        actor=ACTOR,
    )


def line(
    session: Session,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    at: dt.datetime,
    *,
    billing: str = "prepaid",
    state: str = "active",
) -> str:
    number = next(_serial)
    msisdn = f"+39347{number:07d}"
    lines.create(
        session,
        tenant_id,
        customer_id,
        NewLine(
            msisdn=msisdn,
            iccid=Iccid.build(f"89390100{number:010d}"),
            imsi=f"22201{number:010d}",
            eid=Eid.build(f"89049032{number:022d}"),
            plan_code="START" if billing == "prepaid" else "BIZ",
            plan_valid_until=(at + dt.timedelta(days=30)).date() if billing == "prepaid" else None,
            billing=billing,
            credit_cents=1250 if billing == "prepaid" else 0,
            state=state,
        ),
        at=at,
        actor=ACTOR,
    )
    return msisdn


def world(sessions: sessionmaker[Session], at: dt.datetime) -> World:
    """Tenant 'acme' with Giulia (two lines) and another holder; tenant 'other' beside it."""
    with transaction(sessions) as session:
        acme = tenant(session, "acme", at)
        giulia = customer(session, acme.id, at)
        first = line(session, acme.id, giulia.id, at)
        second = line(session, acme.id, giulia.id, at, billing="postpaid")
        marco = customer(session, acme.id, at, given="Marco", family="Bianchi")
        marco_line = line(session, acme.id, marco.id, at)
        other = tenant(session, "other", at)
        customer(session, other.id, at, email=giulia.email)
        return World(
            tenant_slug="acme",
            tenant_id=acme.id,
            email=giulia.email,
            customer_id=giulia.id,
            msisdns=[first, second],
            other_email=marco.email,
            other_msisdn=marco_line,
        )
