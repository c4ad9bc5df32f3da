"""The served OpenAPI document agrees with the CAMARA YAML (sim-swap v2.1.0 and
sim-swap-subscriptions v0.3.0), and schemathesis, driving the running server from that
document, finds no 5xx and no answer outside the schema."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from resim.app import create_app
from resim.deps import Deps
from resim.kit.clock import FixedClock
from tests import factories
from tests.camara.world import bank
from tests.servers import serve

# What the CAMARA YAML says, field by field (facts of the spec, in our own layout).
PHONE = r"^\+[1-9][0-9]{4,14}$"
CORRELATOR = r"^[a-zA-Z0-9-_:;.\/<>{}]{0,256}$"
OPERATIONS = {
    ("post", "/camara/sim-swap/v2/retrieve-date"): (
        "retrieveSimSwapDate",
        "sim-swap:retrieve-date",
        {"200", "400", "401", "403", "404", "422", "429"},
    ),
    ("post", "/camara/sim-swap/v2/check"): (
        "checkSimSwap",
        "sim-swap:check",
        {"200", "400", "401", "403", "404", "422", "429"},
    ),
    ("post", "/camara/sim-swap-subscriptions/v0.3/subscriptions"): (
        "createSimSwapSubscription",
        "sim-swap-subscriptions:org.camaraproject.sim-swap-subscriptions.v0.swapped:create",
        {"201", "400", "401", "403", "409", "422", "429"},
    ),
    ("get", "/camara/sim-swap-subscriptions/v0.3/subscriptions"): (
        "retrieveSubscriptionList",
        "sim-swap-subscriptions:read",
        {"200", "400", "401", "403"},
    ),
    ("get", "/camara/sim-swap-subscriptions/v0.3/subscriptions/{subscriptionId}"): (
        "retrieveSubscription",
        "sim-swap-subscriptions:read",
        {"200", "400", "401", "403", "404"},
    ),
    ("delete", "/camara/sim-swap-subscriptions/v0.3/subscriptions/{subscriptionId}"): (
        "deleteSubscription",
        "sim-swap-subscriptions:delete",
        {"204", "400", "401", "403", "404"},
    ),
}


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = document["components"]["schemas"][name]
    return node


def test_the_served_document_agrees_with_the_camara_yaml(deps: Deps) -> None:
    document = create_app(deps=deps).openapi()
    for (method, path), (operation_id, scope, statuses) in OPERATIONS.items():
        operation = document["paths"][path][method]
        assert operation["operationId"] == operation_id
        assert operation["security"] == [{"openId": [scope]}]
        assert statuses <= set(operation["responses"]), (path, set(operation["responses"]))
        correlator = [p for p in operation["parameters"] if p["name"] == "x-correlator"]
        assert correlator and correlator[0]["in"] == "header"
        assert correlator[0]["schema"]["pattern"] == CORRELATOR
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                error = _resolve(document, response["content"]["application/json"]["schema"])
                assert set(error["required"]) == {"status", "code", "message"}
    assert document["components"]["securitySchemes"]["openId"]["type"] == "openIdConnect"
    schemas = document["components"]["schemas"]
    check = schemas["CreateCheckSimSwap"]["properties"]
    assert check["phoneNumber"]["pattern"] == PHONE and check["phoneNumber"]["type"] == "string"
    max_age = check["maxAge"]
    assert (max_age["type"], max_age["minimum"], max_age["maximum"], max_age["default"]) == (
        "integer",
        1,
        2400,
        240,
    )
    assert schemas["CreateSimSwapDate"]["properties"]["phoneNumber"]["pattern"] == PHONE
    assert "required" not in schemas["CreateCheckSimSwap"]  # both optional, as in the spec
    info = schemas["SimSwapInfo"]
    assert info["required"] == ["latestSimChange"]
    latest = info["properties"]["latestSimChange"]
    assert {"type": "string", "format": "date-time"} in latest["anyOf"]
    assert {"type": "null"} in latest["anyOf"]
    assert info["properties"]["monitoredPeriod"]["type"] == "integer"
    assert schemas["CheckSimSwapInfo"]["required"] == ["swapped"]
    assert schemas["CheckSimSwapInfo"]["properties"]["swapped"]["type"] == "boolean"
    request = schemas["SubscriptionRequest"]
    assert set(request["required"]) == {"sink", "protocol", "config", "types"}
    assert request["properties"]["types"]["maxItems"] == 1
    subscription = schemas["Subscription"]
    assert {"sink", "protocol", "config", "types", "id", "startsAt"} <= set(
        subscription["required"]
    )


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis_finds_no_5xx_and_no_answer_outside_the_schema(
    deps: Deps, clock: FixedClock, mode: GenerationMode
) -> None:
    world = factories.world(deps.sessions, clock.now())
    who = bank(deps, [world.tenant_id], per_minute=100_000)
    app = create_app(deps=deps)
    document = app.openapi()
    schema = schemathesis.openapi.from_dict(document).include(path_regex="^/camara/sim-swap/")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert {op.path for op in operations} == {
        "/camara/sim-swap/v2/retrieve-date",
        "/camara/sim-swap/v2/check",
    }
    checks = [*CHECKS, negative_data_rejection] if mode == GenerationMode.NEGATIVE else CHECKS
    with serve(app) as url:
        import httpx

        access = httpx.post(
            f"{url}/camara/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(who.client_id, who.secret),
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {access}"}
        seen: set[int] = set()

        @settings(
            max_examples=60,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def exercise(data: st.DataObject) -> None:
            operation = data.draw(st.sampled_from(operations))
            case = data.draw(operation.as_strategy(generation_mode=mode))
            response = case.call_and_validate(base_url=url, headers=headers, checks=checks)
            seen.add(response.status_code)

        exercise()
    assert seen and max(seen) < 500
    if mode == GenerationMode.POSITIVE:
        assert 200 in seen or 404 in seen
    else:
        assert 400 in seen
