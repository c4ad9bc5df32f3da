"""Every back-office route against every role: allowed, refused (403), or not found for
another tenant's staff (404); signed out, the browser goes to sign in; a form without its
CSRF token changes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from resim.agent.roles import PERMISSIONS, Action, Role
from resim.db.engine import transaction
from resim.deps import Deps
from resim.jobs import service as jobs
from resim.jobs.models import Job, JobStatus
from resim.kit.clock import FixedClock
from resim.line.models import Line
from tests import factories
from tests.camara.world import bank
from tests.office.world import Member, Office, signed_in, staff
from tests.replacement.world import Applicant


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {app} {line} {job} {agent} {doc} filled in per test
    action: Action
    data: tuple[tuple[str, str], ...] = ()


ROUTES = [
    Route("GET", "/", Action.DASHBOARD),
    Route("GET", "/queue", Action.QUEUE),
    Route("GET", "/applications/{app}", Action.QUEUE),
    Route("POST", "/applications/{app}/claim", Action.DECIDE),
    Route("POST", "/applications/{app}/release", Action.DECIDE),
    Route("POST", "/applications/{app}/approve", Action.DECIDE, (("note", ""),)),
    Route("POST", "/applications/{app}/reject", Action.DECIDE, (("reason", "OTHER"),)),
    Route("GET", "/applications/{app}/documents/{doc}", Action.DOCUMENTS),
    Route("GET", "/lines", Action.LINES),
    Route("GET", "/lines/{line}", Action.LINES),
    Route(
        "POST",
        "/lines/{line}/state",
        Action.LINE_STATE,
        (("action", "suspend"), ("reason", "lost")),
    ),
    Route("GET", "/jobs", Action.JOBS),
    Route("POST", "/jobs/{job}/retry", Action.JOB_RETRY),
    Route("GET", "/audit", Action.AUDIT),
    Route("GET", "/audit.csv", Action.AUDIT),
    Route("POST", "/audit/verify", Action.AUDIT),
    Route("GET", "/policy", Action.POLICY),
    Route("POST", "/policy", Action.POLICY_EDIT, (("review_sla_minutes", "300"),)),
    Route("GET", "/agents", Action.AGENTS),
    Route(
        "POST",
        "/agents",
        Action.AGENTS,
        (("email", "new@acme.example"), ("name", "New"), ("role", "agent")),
    ),
    Route("POST", "/agents/{agent}", Action.AGENTS, (("role", "supervisor"), ("active", "1"))),
    Route("GET", "/bank-queries", Action.BANK_QUERIES),
    Route("GET", "/bank-clients", Action.BANK_CLIENTS),
    Route(
        "POST",
        "/bank-clients",
        Action.BANK_CLIENTS,
        (("name", "Banca Nuova"), ("scopes", "sim-swap:check")),
    ),
    Route("POST", "/bank-clients/{client}/active", Action.BANK_CLIENTS, (("active", "no"),)),
]
ROLES = ["agent", "supervisor", "admin", "auditor"]


@dataclass
class Ids:
    app: str
    line: str
    job: str
    agent: str
    doc: str
    client: str
    line_state: str


def _ids(applicant: Applicant, team: dict[str, Member], tenant_id: uuid.UUID) -> Ids:
    deps = applicant.deps
    app_id = applicant.start()
    applicant.complete(app_id)
    client = bank(deps, [tenant_id]).ref
    with transaction(deps.sessions) as session:
        from resim.identity import service as identity

        doc = identity.documents_of(session, tenant_id, uuid.UUID(app_id))[0]
        line = session.scalar(select(Line).where(Line.tenant_id == tenant_id))
        assert line is not None
        job = jobs.enqueue(session, "demo.nothing", {}, at=deps.clock.now(), tenant_id=tenant_id)
        job.status = JobStatus.PARKED
        return Ids(
            app_id,
            str(line.id),
            str(job.id),
            str(team["agent2"].agent_id),
            str(doc.id),
            str(client),
            line.state.value,
        )


def _call(office: Office, route: Route, ids: Ids, *, csrf: bool = True) -> int:
    path = route.path.format(**{k: v for k, v in vars(ids).items() if k != "line_state"})
    if route.method == "GET":
        return office.get(path).status_code
    return office.post(path, dict(route.data), csrf=csrf).status_code


@pytest.fixture
def applicant(client: TestClient, deps: Deps, clock: FixedClock) -> Applicant:
    return Applicant(client, deps, clock)


def test_each_role_against_each_route(applicant: Applicant) -> None:
    """Allowed: anything but 403/404/401 (a refused state change is a 409 or 422, fine);
    refused: exactly 403. Every role, every route: the matrix of the closing note."""
    tenant_id = applicant.world.tenant_id
    team = staff(applicant.deps, tenant_id)
    ids = _ids(applicant, team, tenant_id)
    app = applicant.client.app
    checked = 0
    for role in ROLES:
        office = signed_in(app, applicant.clock, team[role])  # type: ignore[arg-type]
        for route in ROUTES:
            status = _call(office, route, ids)
            if Role(role) in PERMISSIONS[route.action]:
                assert status not in (401, 403, 404, 500), (role, route, status)
            else:
                assert status == 403, (role, route, status)
            checked += 1
    assert checked == len(ROLES) * len(ROUTES)


def test_signed_out_pages_go_to_sign_in_and_forms_change_nothing(applicant: Applicant) -> None:
    tenant_id = applicant.world.tenant_id
    team = staff(applicant.deps, tenant_id)
    ids = _ids(applicant, team, tenant_id)
    stranger = Office(applicant.client.app, applicant.clock, "acme")  # type: ignore[arg-type]
    for route in ROUTES:
        path = route.path.format(**{k: v for k, v in vars(ids).items() if k != "line_state"})
        if route.method == "GET":
            answer = stranger.get(path)
            assert answer.status_code == 303, route
            assert answer.headers["location"].startswith("/acme/office/signin?next=")
        else:
            assert stranger.post(path, dict(route.data)).status_code in (303, 403), route


def test_forms_without_the_csrf_token_are_refused(applicant: Applicant) -> None:
    tenant_id = applicant.world.tenant_id
    team = staff(applicant.deps, tenant_id)
    ids = _ids(applicant, team, tenant_id)
    app = applicant.client.app
    offices = {}
    for role in ROLES:
        office = offices[role] = signed_in(app, applicant.clock, team[role])  # type: ignore[arg-type]
        for route in (r for r in ROUTES if r.method == "POST"):
            assert _call(office, route, ids, csrf=False) == 403, (role, route)
    with applicant.deps.sessions() as session:
        job = session.get(Job, uuid.UUID(ids.job))
        assert job is not None and job.status == JobStatus.PARKED
        line = session.get(Line, uuid.UUID(ids.line))
        assert line is not None and line.state.value == ids.line_state
    assert "new@acme.example" not in offices["admin"].get("/agents").text


def test_another_tenants_staff_find_nothing(applicant: Applicant) -> None:
    """Acme's objects by their ids under another operator's back office, and acme's session
    cookie sent to the other operator's pages: not found."""
    deps = applicant.deps
    tenant_id = applicant.world.tenant_id
    team = staff(deps, tenant_id)
    ids = _ids(applicant, team, tenant_id)
    with transaction(deps.sessions) as session:
        other = factories.tenant(session, "brava", deps.clock.now())
        other_id = other.id
    theirs = staff(deps, other_id, "brava")
    app = applicant.client.app
    for role in ROLES:
        outsider = signed_in(app, applicant.clock, theirs[role], slug="brava")  # type: ignore[arg-type]
        for route in ROUTES:
            if "{" not in route.path or Role(role) not in PERMISSIONS[route.action]:
                continue
            assert _call(outsider, route, ids) == 404, (role, route)
    ours = signed_in(app, applicant.clock, team["admin"])  # type: ignore[arg-type]
    cookie = ours.client.cookies.get("resim_office")
    stolen = Office(app, applicant.clock, "brava")  # type: ignore[arg-type]
    stolen.client.cookies.set("resim_office", str(cookie), path="/brava/office")
    assert stolen.get("/").status_code == 404
    assert stolen.get("/agents").status_code == 404
