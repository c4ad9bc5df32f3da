"""Agents' accounts: set-up link, password and TOTP, lockout, sessions, the CLI."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from resim.agent.models import Agent
from resim.audit.models import AuditEvent
from resim.cli import app as cli
from resim.config import Settings
from resim.deps import Deps
from resim.kit.clock import FixedClock
from tests import factories
from tests.helpers import deliver
from tests.office.world import PASSWORD, Office, signed_in, staff


@pytest.fixture
def acme(deps: Deps, clock: FixedClock) -> factories.World:
    return factories.world(deps.sessions, clock.now())


def _actions(deps: Deps, prefix: str) -> list[str]:
    with deps.sessions() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.startswith(prefix))
                .order_by(AuditEvent.seq)
            )
        )


def test_an_admin_creates_an_agent_who_sets_up_password_and_totp_then_signs_in(
    client: TestClient, deps: Deps, clock: FixedClock, acme: factories.World
) -> None:
    team = staff(deps, acme.tenant_id)
    admin = signed_in(client.app, clock, team["admin"])  # type: ignore[arg-type]
    made = admin.post("/agents", {"email": "Nuova@Acme.example", "name": "Nuova", "role": "agent"})
    assert made.status_code == 200 and "nuova@acme.example" in made.text
    twice = admin.post("/agents", {"email": "nuova@acme.example", "name": "Nuova", "role": "agent"})
    assert twice.status_code == 409
    bad = admin.post("/agents", {"email": "not-an-address", "name": "", "role": "boss"})
    assert bad.status_code == 422
    deliver(deps)
    assert deps.outbox is not None
    mail = [m for m in deps.outbox.messages() if m.message.to == "nuova@acme.example"][-1]
    link = re.search(r"http://\S+/office/setup/\S+", mail.message.text)
    assert link is not None
    path = link.group(0).split("testserver", 1)[-1].replace("http://127.0.0.1:8000", "")
    newcomer = Office(client.app, clock, "acme")  # type: ignore[arg-type]
    page = newcomer.client.get(path)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text)
    assert secret is not None
    totp = pyotp.TOTP(secret.group(1))
    short = newcomer.client.post(
        path, data={"password": "short", "code": totp.at(clock.now()), "csrf_token": newcomer.csrf}
    )
    assert short.status_code == 422
    wrong = newcomer.client.post(
        path,
        data={"password": "a long enough secret", "code": "000000", "csrf_token": newcomer.csrf},
    )
    assert wrong.status_code == 422
    done = newcomer.client.post(
        path,
        data={
            "password": "a long enough secret",
            "code": totp.at(clock.now()),
            "csrf_token": newcomer.csrf,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert newcomer.client.get(path).status_code == 404  # the link works once
    clock.advance(dt.timedelta(seconds=30))
    signin = newcomer.client.post(
        "/acme/office/signin",
        data={
            "email": "nuova@acme.example",
            "password": "a long enough secret",
            "code": totp.at(clock.now()),
            "csrf_token": newcomer.csrf,
        },
        follow_redirects=False,
    )
    assert signin.status_code == 303
    cookie = signin.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert "path=/acme/office" in cookie.lower()
    assert newcomer.get("/queue").status_code == 200
    assert _actions(deps, "agent.")[-3:] == ["agent.created", "agent.set_up", "agent.signed_in"]


def test_wrong_passwords_or_codes_lock_the_account_for_a_while(
    client: TestClient, deps: Deps, clock: FixedClock, acme: factories.World
) -> None:
    team = staff(deps, acme.tenant_id)
    member = team["agent"]
    office = Office(client.app, clock, "acme")  # type: ignore[arg-type]
    for attempt in range(5):
        answer = office.sign_in(
            member,
            password="wrong" if attempt % 2 else PASSWORD,
            code="000000" if attempt % 2 == 0 else None,
        )
        assert answer.status_code == 401
    assert "locked" in answer.text
    refused = office.sign_in(member)  # right password and code, but locked
    assert refused.status_code == 401 and "locked" in refused.text
    assert office.get("/").status_code == 303
    clock.advance(dt.timedelta(minutes=16))
    assert office.sign_in(member).status_code == 303
    actions = _actions(deps, "agent.sign")
    assert actions.count("agent.signin_failed") == 5
    assert actions[-2:] == ["agent.signin_refused", "agent.signed_in"]


def test_a_totp_code_is_accepted_once(
    client: TestClient, deps: Deps, clock: FixedClock, acme: factories.World
) -> None:
    member = staff(deps, acme.tenant_id)["agent"]
    first = Office(client.app, clock, "acme")  # type: ignore[arg-type]
    assert first.sign_in(member).status_code == 303
    replay = Office(client.app, clock, "acme")  # type: ignore[arg-type]
    assert replay.sign_in(member).status_code == 401
    clock.advance(dt.timedelta(seconds=30))
    assert replay.sign_in(member).status_code == 303


def test_sessions_end_when_idle_too_long_or_too_old_or_when_switched_off(
    client: TestClient, deps: Deps, clock: FixedClock, acme: factories.World
) -> None:
    team = staff(deps, acme.tenant_id)
    agent = signed_in(client.app, clock, team["agent"])  # type: ignore[arg-type]
    clock.advance(dt.timedelta(minutes=29))
    assert agent.get("/").status_code == 200
    clock.advance(dt.timedelta(minutes=31))  # 30 minutes unused
    assert agent.get("/").status_code == 303
    agent = signed_in(client.app, clock, team["agent"])  # type: ignore[arg-type]
    for _ in range(17):  # busy all day: 8 hours at most
        clock.advance(dt.timedelta(minutes=29))
        agent.get("/")
    assert agent.get("/").status_code == 303
    agent = signed_in(client.app, clock, team["agent"])  # type: ignore[arg-type]
    admin = signed_in(client.app, clock, team["admin"])  # type: ignore[arg-type]
    off = admin.post(f"/agents/{team['agent'].agent_id}", {"role": "agent"})
    assert off.status_code == 303
    assert agent.get("/").status_code == 303
    assert agent.sign_in(team["agent"]).status_code == 401
    itself = admin.post(f"/agents/{team['admin'].agent_id}", {"role": "agent", "active": "1"})
    assert itself.status_code == 409


def test_signing_out_ends_the_session(
    client: TestClient, deps: Deps, clock: FixedClock, acme: factories.World
) -> None:
    agent = signed_in(client.app, clock, staff(deps, acme.tenant_id)["agent"])  # type: ignore[arg-type]
    cookie = agent.client.cookies.get("resim_office")
    assert agent.post("/signout").status_code == 303
    thief = Office(client.app, clock, "acme")  # type: ignore[arg-type]
    thief.client.cookies.set("resim_office", str(cookie), path="/acme/office")
    assert thief.get("/").status_code == 303


def test_the_cli_creates_the_first_admin_with_a_setup_link(
    settings: Settings, deps: Deps, acme: factories.World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESIM_DB__URL", settings.db.url)
    runner = CliRunner()
    made = runner.invoke(
        cli,
        ["agent", "create", "--tenant", "acme", "--email", "boss@acme.example", "--name", "Boss"],
    )
    assert made.exit_code == 0, made.output
    assert re.search(r"/acme/office/setup/[A-Za-z0-9_-]{20,}", made.output.replace("\n", ""))
    with deps.sessions() as session:
        agent = session.scalar(select(Agent).where(Agent.email == "boss@acme.example"))
        assert agent is not None and agent.role == "admin" and agent.password_hash is None
    again = runner.invoke(
        cli,
        ["agent", "create", "--tenant", "acme", "--email", "boss@acme.example", "--name", "Boss"],
    )
    assert again.exit_code == 1 and "already" in again.output
    bad = runner.invoke(
        cli,
        ["agent", "create", "--tenant", "acme", "--email", "x", "--name", "X", "--role", "king"],
    )
    assert bad.exit_code == 2
    nobody = runner.invoke(
        cli, ["agent", "create", "--tenant", "nope", "--email", "a@b.example", "--name", "A"]
    )
    assert nobody.exit_code == 1
