"""The back office: the banks' queries for the auditor, API clients for the tenant admin."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from resim.cli import app as cli
from resim.config import Settings
from resim.deps import Deps
from resim.kit.clock import FixedClock
from tests import factories
from tests.camara.world import CHECK, ask, bank, token
from tests.office.world import signed_in, staff


def test_the_auditor_sees_each_query_and_the_admin_makes_a_client_that_works(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    world = factories.world(deps.sessions, clock.now())
    team = staff(deps, world.tenant_id)
    who = bank(deps, [world.tenant_id], name="Banca Uno")
    access = token(client, who)
    ask(client, CHECK, access, {"phoneNumber": world.msisdns[0]})
    ask(client, CHECK, access, {"phoneNumber": "+393009999999"})
    auditor = signed_in(client.app, clock, team["auditor"])  # type: ignore[arg-type]
    page = auditor.get("/bank-queries")
    assert page.status_code == 200
    # One row: a number no operator has belongs to no tenant's trail.
    assert page.text.count("Banca Uno") == 1
    assert world.msisdns[0] in page.text and "200 swapped" in page.text  # activated just now
    filtered = auditor.get("/bank-queries", params={"number": world.msisdns[1]})
    assert "Banca Uno" not in filtered.text
    assert auditor.get("/bank-queries", params={"number": "12"}).status_code == 422
    assert auditor.get("/bank-clients").status_code == 403

    admin = signed_in(client.app, clock, team["admin"])  # type: ignore[arg-type]
    made = admin.post(
        "/bank-clients",
        {"name": "Banca Due", "scopes": "sim-swap:check", "per_minute": "60"},
    )
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    client_id = re.search(r'id="client-id">([^<]+)<', made.text)
    secret = re.search(r'id="client-secret">([^<]+)<', made.text)
    assert client_id and secret
    listing = admin.get("/bank-clients")
    assert client_id.group(1) in listing.text and secret.group(1) not in listing.text
    answer = client.post(
        "/camara/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id.group(1), secret.group(1)),
    )
    assert answer.status_code == 200 and answer.json()["scope"] == "sim-swap:check"
    bad = admin.post("/bank-clients", {"name": "", "scopes": "nope", "per_minute": "x"})
    assert bad.status_code == 422
    bad = admin.post("/bank-clients", {"name": "Banca Tre", "scopes": "nope"})
    assert bad.status_code == 422 and 'id="error"' in bad.text


def test_the_cli_creates_a_client_for_several_operators(
    client: TestClient,
    deps: Deps,
    clock: FixedClock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = factories.world(deps.sessions, clock.now())
    monkeypatch.setenv("RESIM_DB__URL", settings.db.url)
    runner = CliRunner()
    made = runner.invoke(
        cli,
        ["api-client", "create", "--name", "Banca CLI", "--tenant", "acme", "--tenant", "other"],
    )
    assert made.exit_code == 0, made.output
    client_id = re.search(r"client_id=(\S+)", made.output)
    secret = re.search(r"client_secret=(\S+)", made.output)
    assert client_id and secret
    issued = client.post(
        "/camara/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id.group(1), secret.group(1)),
    )
    assert issued.json()["scope"] == "sim-swap:check sim-swap:retrieve-date"
    answer = ask(client, CHECK, issued.json()["access_token"], {"phoneNumber": world.msisdns[0]})
    assert answer.status_code == 200
    unknown = runner.invoke(cli, ["api-client", "create", "--name", "X", "--tenant", "nope"])
    assert unknown.exit_code == 1
    bad = runner.invoke(
        cli, ["api-client", "create", "--name", "X", "--tenant", "acme", "--scope", "all"]
    )
    assert bad.exit_code == 2
