"""A full sign-in and suspension: the logs never carry codes, tokens or phone numbers."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient

from resim.deps import Deps
from resim.kit.clock import FixedClock
from tests import factories
from tests.helpers import deliver, last_code


def test_logs_carry_no_codes_tokens_or_numbers(
    client: TestClient, deps: Deps, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    world = factories.world(deps.sessions, clock.now())
    client.post("/api/v1/acme/auth/code", json={"email": world.email})
    deliver(deps)
    code = last_code(deps, world.email)
    token = client.post(
        "/api/v1/acme/auth/token", json={"email": world.email, "code": code}
    ).json()["accessToken"]
    auth = {"authorization": f"Bearer {token}", "idempotency-key": "abc-123"}
    number = world.msisdns[0]
    assert (
        client.post(f"/api/v1/acme/lines/{number}/suspend", json={}, headers=auth).status_code
        == 200
    )
    client.post(f"/api/v1/acme/lines/{number}/suspend", json={}, headers=auth)  # a replay
    # Everything resim and its server log; httpx's lines are the test client's own.
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert re.search(r'"event": "request"', logged)  # requests are logged...
    assert '"route": "/api/v1/{tenant}/lines/{msisdn}/suspend"' in logged  # ...by route template
    for secret in (code, token, number, number[1:], world.email):
        assert secret not in logged
