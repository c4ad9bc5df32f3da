"""A realistic demo data set: three operators, their plans, a few hundred holders and lines.

Deterministic for a seed, and every identifier valid: Luhn ICCIDs, MOD 97 EIDs, IMSIs on
MCC 222, codici fiscali that encode each holder's name, birth date, sex and birthplace.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass
from typing import Literal

import pyotp
from sqlalchemy.orm import Session

from resim.agent import service as agents
from resim.agent.roles import Role
from resim.audit.service import Actor
from resim.camara import service as camara
from resim.config import Settings
from resim.customer import service as customers
from resim.customer.schemas import NewCustomer
from resim.kit.codice_fiscale import CodiceFiscale
from resim.kit.crypto import KeyRing
from resim.kit.telecom import Eid, Iccid
from resim.line import service as lines
from resim.line.schemas import NewLine, ReactivateReason, SuspendReason
from resim.provisioning import inventory
from resim.smdp_sandbox.rules import Sandbox
from resim.tenant import service as tenants
from resim.tenant.schemas import TenantBranding, TenantPolicy

ACTOR = Actor("cli", "demo")

# (tenant slug, e-mail) a newcomer can sign in with; shown on the home page in demo mode.
DEMO_ACCOUNTS: list[tuple[str, str]] = [
    ("aurora", "giulia.rossi@example.it"),
    ("aurora", "wei.chen@example.com"),
    ("lira", "marco.bianchi@example.it"),
    ("viaggio", "sarah.miller@example.com"),
]


@dataclass(frozen=True)
class TenantSpec:
    slug: str
    name: str
    color: str
    mnc: str
    issuer: str
    customers: int
    plans: list[tuple[str, str, str, int, int]]  # code, name, billing, fee cents, GB
    policy: TenantPolicy


TENANTS = [
    TenantSpec(
        "aurora",
        "Aurora Mobile",
        "#0b5fff",
        "54",
        "54",
        140,
        [
            ("START5", "Aurora Start 5 GB", "prepaid", 599, 5),
            ("PLUS100", "Aurora Plus 100 GB", "prepaid", 999, 100),
            ("BUSINESS", "Aurora Business Unlimited", "postpaid", 1999, 500),
        ],
        # A short AGCOM window so the demo can be clicked through; Lira keeps the usual hour.
        TenantPolicy(
            replacement_fee_cents=1000,
            redownload_cap=6,
            confirmation_window_minutes=2,
            profile_type="aurora-consumer",
        ),
    ),
    TenantSpec(
        "lira",
        "Lira Telecom",
        "#7b1fa2",
        "56",
        "56",
        110,
        [
            ("SMART", "Lira Smart 50 GB", "prepaid", 799, 50),
            ("FAMIGLIA", "Lira Famiglia", "postpaid", 2499, 200),
        ],
        TenantPolicy(
            replacement_fee_cents=500, confirmation_window_minutes=120, profile_type="lira-consumer"
        ),
    ),
    TenantSpec(
        "viaggio",
        "Viaggio eSIM",
        "#00897b",
        "77",
        "77",
        60,
        [
            ("EU10", "Viaggio Europa 10 GB / 30 giorni", "prepaid", 1500, 10),
            ("WORLD3", "Viaggio Mondo 3 GB / 15 giorni", "prepaid", 1200, 3),
        ],
        TenantPolicy(
            replacement_fee_cents=0,
            free_replacements_per_12_months=12,
            profile_type="viaggio-travel",
            confirmation_code=True,  # the phone asks for it; it travels apart from the code
            redownload_cap=3,
        ),
    ),
]

GIVEN_F = [
    "Giulia",
    "Francesca",
    "Chiara",
    "Sara",
    "Martina",
    "Alessia",
    "Elena",
    "Valentina",
    "Federica",
    "Anna",
    "Laura",
    "Silvia",
    "Paola",
    "Roberta",
    "Ilaria",
    "Beatrice",
]
GIVEN_M = [
    "Marco",
    "Luca",
    "Andrea",
    "Matteo",
    "Alessandro",
    "Davide",
    "Francesco",
    "Lorenzo",
    "Simone",
    "Giuseppe",
    "Antonio",
    "Stefano",
    "Riccardo",
    "Paolo",
    "Tommaso",
    "Nicola",
]
SURNAMES = [
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
    "Bruno",
    "Gallo",
    "Conti",
    "De Luca",
    "Mancini",
    "Costa",
    "Giordano",
    "Rizzo",
    "Lombardi",
    "Moretti",
    "Barbieri",
    "Fontana",
    "Santoro",
    "Mariani",
    "Rinaldi",
    "Caruso",
    "Ferrara",
    "Galli",
    "Martini",
    "Leone",
]
COMUNI = [
    "H501",
    "F205",
    "F839",
    "L219",
    "G273",
    "A944",
    "D612",
    "L736",
    "A662",
    "C351",
    "D969",
    "L424",
    "B157",
    "G224",
    "H703",
]
ABROAD = [
    ("Wei", "Chen", "M", "Z210"),
    ("Li", "Wang", "F", "Z210"),
    ("Sarah", "Miller", "F", "Z404"),
    ("James", "Smith", "M", "Z114"),
    ("Emma", "Brown", "F", "Z114"),
    ("Jun", "Zhang", "M", "Z210"),
]


@dataclass(frozen=True)
class Person:
    given: str
    family: str
    sex: Literal["M", "F"]
    birthplace: str
    language: str


def _people(rng: random.Random, count: int, slug: str) -> list[Person]:
    fixed = {
        "aurora": [
            Person("Giulia", "Rossi", "F", "H501", "it"),
            Person("Wei", "Chen", "M", "Z210", "zh"),
        ],
        "lira": [Person("Marco", "Bianchi", "M", "F205", "it")],
        "viaggio": [Person("Sarah", "Miller", "F", "Z404", "en")],
    }[slug]
    people = list(fixed)
    while len(people) < count:
        if rng.random() < 0.08:
            given, family, sex, place = rng.choice(ABROAD)
            language = "zh" if place == "Z210" else "en"
            people.append(Person(given, family, "M" if sex == "M" else "F", place, language))
        elif rng.random() < 0.5:
            people.append(
                Person(rng.choice(GIVEN_F), rng.choice(SURNAMES), "F", rng.choice(COMUNI), "it")
            )
        else:
            people.append(
                Person(rng.choice(GIVEN_M), rng.choice(SURNAMES), "M", rng.choice(COMUNI), "it")
            )
    return people


def _slugify(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalpha())


def load(session: Session, *, now: dt.datetime, seed: int = 2026) -> dict[str, int]:
    """Create the demo tenants, plans, customers and lines; returns counts."""
    rng = random.Random(seed)
    counts = {"tenants": 0, "customers": 0, "lines": 0}
    numbers = itertools.count(1)  # one numbering plan: a number is unique across operators
    for spec in TENANTS:
        tenant = tenants.create(
            session,
            slug=spec.slug,
            name=spec.name,
            default_language="it",
            at=now,
            actor=ACTOR,
            tenant_policy=spec.policy,
            tenant_branding=TenantBranding(
                display_name=spec.name, primary_color=spec.color, support_phone="+39 06 1234 5678"
            ),
        )
        for code, name, billing, fee, gb in spec.plans:
            tenants.add_plan(
                session,
                tenant,
                code=code,
                name=name,
                billing=billing,
                monthly_fee_cents=fee,
                data_gb=gb,
            )
        counts["tenants"] += 1
        used_emails: set[str] = set()
        used_cf: set[str] = set()
        serial = 0
        for index, person in enumerate(_people(rng, spec.customers, spec.slug)):
            birth = dt.date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
            cf = CodiceFiscale.from_person(
                person.family, person.given, birth, person.sex, person.birthplace
            )
            if cf in used_cf:
                continue
            used_cf.add(cf)
            base = f"{_slugify(person.given)}.{_slugify(person.family)}"
            domain = "example.it" if person.language == "it" else "example.com"
            email = (
                f"{base}@{domain}"
                if index < 2 or f"{base}@{domain}" not in used_emails
                else f"{base}{index}@{domain}"
            )
            if email in used_emails:
                email = f"{base}{index}@{domain}"
            used_emails.add(email)
            customer = customers.create(
                session,
                tenant.id,
                NewCustomer(
                    given_name=person.given,
                    family_name=person.family,
                    birth_date=birth,
                    sex=person.sex,
                    birthplace_code=person.birthplace,
                    codice_fiscale=cf,
                    email=email,
                    alt_phone=f"+39 3{rng.randint(20, 99)} {rng.randint(1000000, 9999999)}"
                    if rng.random() < 0.7
                    else None,
                    language=person.language,
                ),
                at=now - dt.timedelta(days=rng.randint(30, 2000)),
                actor=ACTOR,
            )
            counts["customers"] += 1
            if spec.slug == "viaggio" and index == 0:
                # Sarah Miller changed her alternative phone ten days ago: a risk signal.
                customer.alt_phone_changed_on = (now - dt.timedelta(days=10)).date()
            line_count = 2 if index == 0 or rng.random() < 0.25 else 1
            for _ in range(line_count):
                serial += 1
                code, _name, billing, fee, _gb = rng.choice(spec.plans)
                msisdn = f"+393{rng.choice('1234579')}{rng.randint(0, 9)}{next(numbers):07d}"
                iccid = Iccid.build(f"8939{spec.issuer}{rng.randint(0, 9)}{serial:011d}")
                imsi = f"222{spec.mnc}{serial:010d}"
                eid = Eid.build(f"89049032{rng.randint(0, 10**10):010d}{serial:012d}")
                created = now - dt.timedelta(days=rng.randint(20, 1500))
                line = lines.create(
                    session,
                    tenant.id,
                    customer.id,
                    NewLine(
                        msisdn=msisdn,
                        iccid=iccid,
                        imsi=imsi,
                        eid=eid,
                        plan_code=code,
                        plan_valid_until=(now + dt.timedelta(days=rng.randint(-20, 330))).date()
                        if billing == "prepaid"
                        else None,
                        billing=billing,
                        credit_cents=rng.randint(0, 4000) if billing == "prepaid" else 0,
                        # Marco Bianchi brought his first number from another operator lately.
                        ported_in_on=(now - dt.timedelta(days=20)).date()
                        if spec.slug == "lira" and index == 0 and serial == 1
                        else None,
                    ),
                    at=created,
                    actor=ACTOR,
                )
                counts["lines"] += 1
                if spec.slug == "aurora" and index == 1:
                    # Wei Chen's eSIM was replaced five days ago: a new request is risky.
                    lines.record_sim_change(
                        session, line, at=now - dt.timedelta(days=5), actor=ACTOR
                    )
                    continue
                roll = rng.random()
                if roll < 0.15:  # lost once, found again
                    at = created + dt.timedelta(days=rng.randint(1, 15))
                    lines.suspend(
                        session,
                        tenant.id,
                        customer.id,
                        msisdn,
                        SuspendReason.LOST,
                        at=at,
                        actor=Actor("customer", str(customer.id)),
                    )
                    lines.reactivate(
                        session,
                        tenant.id,
                        customer.id,
                        msisdn,
                        ReactivateReason.FOUND,
                        at=at + dt.timedelta(hours=rng.randint(1, 48)),
                        actor=Actor("customer", str(customer.id)),
                    )
                elif roll < 0.22 and index > 1:  # suspended now, waiting for a replacement
                    lines.suspend(
                        session,
                        tenant.id,
                        customer.id,
                        msisdn,
                        SuspendReason.STOLEN,
                        at=now - dt.timedelta(hours=rng.randint(1, 72)),
                        actor=Actor("customer", str(customer.id)),
                    )
    return counts


def stock_profiles(
    session: Session, sandbox: Sandbox, keyring: KeyRing, *, now: dt.datetime, count: int = 200
) -> int:
    """Each demo operator's pool of replacement profiles in the SM-DP+ sandbox, and the
    vendor's output file (IMSI and keys per ICCID) loaded into resim's stock."""
    added = 0
    for spec in TENANTS:
        profile_type = spec.policy.profile_type
        if not sandbox.store.profiles(profile_type):
            # ICCIDs 8939 <issuer> 99 ..., IMSIs 222 <mnc> 9 ...: apart from the lines' own.
            sandbox.add_pool(profile_type, f"8939{spec.issuer}99", f"222{spec.mnc}9", count)
        rows = [
            inventory.StockedProfile(p.iccid, p.imsi, p.ki, p.opc)
            for p in sandbox.store.profiles(profile_type)
        ]
        tenant = tenants.get(session, spec.slug)
        added += inventory.load(session, keyring, tenant.id, profile_type, rows, at=now)
    return added


DEMO_STAFF = [
    ("agente", "Anna Agente", Role.AGENT),
    ("supervisore", "Sergio Supervisore", Role.SUPERVISOR),
    ("admin", "Alba Amministratrice", Role.ADMIN),
    ("revisore", "Rita Revisora", Role.AUDITOR),
]


def add_agents(session: Session, settings: Settings, *, now: dt.datetime) -> int:
    """Back-office accounts for every demo operator, set up with the demo password and a
    TOTP secret each (the demo's sign-in page shows their current codes)."""
    count = 0
    for spec in TENANTS:
        tenant = tenants.get(session, spec.slug)
        for who, name, role in DEMO_STAFF:
            agents.create_ready(
                session,
                settings,
                tenant.id,
                email=f"{who}@{spec.slug}.example",
                name=name,
                role=role,
                password=agents.DEMO_PASSWORD,
                totp_secret=pyotp.random_base32(),
                at=now,
                actor=ACTOR,
            )
            count += 1
    return count


DEMO_BANK = ("rc_demo_bank", "demo-bank-secret-2026")


def add_bank(session: Session, settings: Settings, *, now: dt.datetime) -> str:
    """A bank allowed every scope of the SIM Swap API on every demo operator's numbers,
    with the credentials the README's examples use."""
    created = camara.create_client(
        session,
        settings.secret_bytes,
        name="Banca Demo",
        scopes=camara.SCOPES,
        tenant_ids=[tenants.get(session, spec.slug).id for spec in TENANTS],
        per_minute=settings.camara.per_minute,
        per_day=None,
        actor=ACTOR,
        at=now,
        fixed=DEMO_BANK,
    )
    return created.client.client_id
