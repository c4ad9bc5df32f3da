"""Back-office staff of a tenant, each with their own browser-like client, and applications
waiting for review."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pyotp
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session, sessionmaker

from resim.agent import service as agents
from resim.agent.roles import Role
from resim.audit.service import Actor
from resim.db.engine import transaction
from resim.deps import Deps
from resim.kit.clock import FixedClock
from resim.line.models import LineEvent, LineEventKind
from resim.line.service import find_line
from resim.replacement.models import Application
from resim.replacement.states import ApplicationState
from tests.helpers import deliver
from tests.provisioning.world import holder
from tests.replacement.world import Applicant

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Member:
    email: str
    role: str
    secret: str
    agent_id: uuid.UUID

    def code(self, clock: FixedClock) -> str:
        return pyotp.TOTP(self.secret).at(clock.now())


def staff(deps: Deps, tenant_id: uuid.UUID, slug: str = "acme") -> dict[str, Member]:
    """Two agents, a supervisor, an admin and an auditor, set up and ready to sign in."""
    members = {}
    with transaction(deps.sessions) as session:
        for key, role in (
            ("agent", Role.AGENT),
            ("agent2", Role.AGENT),
            ("supervisor", Role.SUPERVISOR),
            ("admin", Role.ADMIN),
            ("auditor", Role.AUDITOR),
        ):
            secret = pyotp.random_base32()
            email = f"{key}@{slug}.staff.example"
            agent = agents.create_ready(
                session,
                deps.settings,
                tenant_id,
                email=email,
                name=key.capitalize(),
                role=role,
                password=PASSWORD,
                totp_secret=secret,
                at=deps.clock.now(),
                actor=Actor("cli"),
            )
            members[key] = Member(email, role.value, secret, agent.id)
    return members


class Office:
    """One person's browser on the back office: its own cookies."""

    def __init__(self, app: FastAPI, clock: FixedClock, slug: str, language: str = "en") -> None:
        self.client = TestClient(
            app, base_url="http://testserver", headers={"Accept-Language": language}
        )
        self.clock, self.slug = clock, slug
        self.client.get(f"/{slug}/office/signin")  # the CSRF cookie

    @property
    def csrf(self) -> str:
        return str(self.client.cookies.get("resim_csrf"))

    def sign_in(
        self, member: Member, password: str = PASSWORD, code: str | None = None
    ) -> Response:
        answer: Response = self.client.post(
            f"/{self.slug}/office/signin",
            data={
                "email": member.email,
                "password": password,
                "code": member.code(self.clock) if code is None else code,
                "csrf_token": self.csrf,
            },
            follow_redirects=False,
        )
        return answer

    def get(self, path: str, **kwargs: Any) -> Response:
        answer: Response = self.client.get(
            f"/{self.slug}/office{path}", follow_redirects=False, **kwargs
        )
        return answer

    def post(self, path: str, data: dict[str, Any] | None = None, csrf: bool = True) -> Response:
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.csrf
        answer: Response = self.client.post(
            f"/{self.slug}/office{path}", data=form, follow_redirects=False
        )
        return answer


def signed_in(app: FastAPI, clock: FixedClock, member: Member, slug: str = "acme") -> Office:
    office = Office(app, clock, slug)
    answer = office.sign_in(member)
    assert answer.status_code == 303, answer.text
    return office


def in_review(applicant: Applicant, *, high: bool = False) -> str:
    """A submitted application whose window is over, waiting for review: medium risk (a
    recent SIM change), or high risk (a passport of someone else: two approvals)."""
    deps, world = applicant.deps, applicant.world
    app_id = applicant.start()
    if high:
        applicant.complete(app_id, surname="Verdi", given_names="Paolo", sex="M")
    else:
        with transaction(deps.sessions) as session:
            line = find_line(session, world.tenant_id, world.msisdns[0])
            assert line is not None
            session.add(
                LineEvent(
                    tenant_id=line.tenant_id,
                    line_id=line.id,
                    seq=99,
                    kind=LineEventKind.SIM_CHANGED,
                    at=applicant.clock.now() - dt.timedelta(days=3),
                    actor="system",
                    reason=None,
                    details={},
                )
            )
        applicant.complete(app_id)
    answer = applicant.call("POST", f"/applications/{app_id}/submit")
    assert answer.status_code == 200, answer.text
    applicant.end_window()
    deliver(deps)
    assert applicant.call("GET", f"/applications/{app_id}").json()["state"] == "in_review"
    return app_id


def waiting(sessions: sessionmaker[Session], at: dt.datetime, *, high: bool = False) -> uuid.UUID:
    """An application already waiting for review, for a new holder of acme's (whose stock
    the workflow will draw from once it is approved)."""
    case = holder(sessions, at)
    reasons = ["MRZ_MISMATCH"] if high else ["RECENT_SIM_CHANGE"]
    with transaction(sessions) as session:
        app = Application(
            tenant_id=case.tenant_id,
            customer_id=case.customer_id,
            line_id=case.line_id,
            state=ApplicationState.IN_REVIEW,
            reason="lost",
            checks=[
                {
                    "code": "MRZ_MATCHES_HOLDER",
                    "passed": not high,
                    "message": "The machine-readable zone does not match the holder of the line.",
                }
            ],
            risk_reasons=reasons,
            risk_score=70 if high else 35,
            route="four_eyes" if high else "review",
            submitted_at=at,
            confirm_until=at,
            created_at=at,
            updated_at=at,
        )
        session.add(app)
        session.flush()
        return app.id
