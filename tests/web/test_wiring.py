"""What the app wires into the shared web layer, which imports no feature: the demo accounts
of the home page, the role names of the back office and the CAMARA API's own error shape."""

from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient

from resim.app import create_app
from resim.deps import Deps
from resim.kit.clock import FixedClock
from tests import factories
from tests.office.world import signed_in, staff


def test_the_home_page_names_the_demo_accounts_only_in_demo_mode(
    client: TestClient, deps: Deps
) -> None:
    assert "giulia.rossi@example.it" in client.get("/").text
    plain = dataclasses.replace(deps, settings=deps.settings.model_copy(update={"demo": False}))
    with TestClient(create_app(deps=plain)) as other:
        page = other.get("/")
    assert page.status_code == 200
    assert "giulia.rossi@example.it" not in page.text


def test_the_back_office_names_the_signed_in_agents_role(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    acme = factories.world(deps.sessions, clock.now())
    team = staff(deps, acme.tenant_id)
    office = signed_in(client.app, clock, team["supervisor"])  # type: ignore[arg-type]
    page = office.get("/")
    assert page.status_code == 200
    assert "Supervisor (supervisor)" in page.text


def test_an_unknown_camara_path_answers_in_camaras_shape_and_an_api_path_in_rfc_9457(
    client: TestClient,
) -> None:
    camara = client.get("/camara/sim-swap/v2/nowhere", headers={"x-correlator": "abc-123"})
    assert camara.status_code == 404
    assert camara.json() == {"status": 404, "code": "NOT_FOUND", "message": "Not found"}
    assert camara.headers["x-correlator"] == "abc-123"
    api = client.get("/api/v1/nowhere")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["code"] == "NOT_FOUND"
