from __future__ import annotations

import datetime as dt
import uuid

import pytest
from fastapi.testclient import TestClient

from resim.deps import Deps
from resim.kit.clock import FixedClock
from tests import factories
from tests.helpers import api_token


@pytest.fixture
def signed_in(
    client: TestClient, deps: Deps, clock: FixedClock
) -> tuple[factories.World, dict[str, str]]:
    world = factories.world(deps.sessions, clock.now())
    token = api_token(client, deps, "acme", world.email)
    clock.advance(dt.timedelta(minutes=1))
    return world, {"authorization": f"Bearer {token}"}


def test_status_shows_line_profile_plan_and_events(
    client: TestClient, signed_in: tuple[factories.World, dict[str, str]]
) -> None:
    world, auth = signed_in
    body = client.get(f"/api/v1/acme/lines/{world.msisdns[0]}", headers=auth).json()
    assert body["state"] == "active"
    assert body["profile"]["state"] == "installed" and body["profile"]["deviceState"] == "enabled"
    assert body["plan"]["code"] == "START" and body["creditCents"] == 1250
    assert body["events"][0]["kind"] == "activated"
    postpaid = client.get(f"/api/v1/acme/lines/{world.msisdns[1]}", headers=auth).json()
    assert postpaid["billing"] == "postpaid" and postpaid["creditCents"] is None


def test_suspend_and_reactivate_through_the_api(
    client: TestClient, signed_in: tuple[factories.World, dict[str, str]]
) -> None:
    world, auth = signed_in
    number = world.msisdns[0]
    answer = client.post(
        f"/api/v1/acme/lines/{number}/suspend", json={"reason": "stolen"}, headers=auth
    )
    assert answer.status_code == 200 and answer.json()["state"] == "suspended"
    again = client.post(f"/api/v1/acme/lines/{number}/suspend", json={}, headers=auth)
    assert again.status_code == 409 and again.json()["code"] == "LINE_ALREADY_SUSPENDED"
    answer = client.post(
        f"/api/v1/acme/lines/{number}/reactivate", json={"reason": "found"}, headers=auth
    )
    assert answer.status_code == 200 and answer.json()["state"] == "active"
    kinds = [e["kind"] for e in answer.json()["events"]]
    assert kinds[:2] == ["reactivated", "suspended"]


def test_an_idempotency_key_replays_the_first_answer(
    client: TestClient, signed_in: tuple[factories.World, dict[str, str]]
) -> None:
    world, auth = signed_in
    url = f"/api/v1/acme/lines/{world.msisdns[0]}/suspend"
    headers = {**auth, "idempotency-key": str(uuid.uuid4())}
    first = client.post(url, json={"reason": "lost"}, headers=headers)
    second = client.post(url, json={"reason": "lost"}, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    events = client.get(f"/api/v1/acme/lines/{world.msisdns[0]}", headers=auth).json()["events"]
    assert [e["kind"] for e in events].count("suspended") == 1  # the change happened once


def test_an_idempotency_key_reused_for_another_request_is_refused(
    client: TestClient, signed_in: tuple[factories.World, dict[str, str]]
) -> None:
    world, auth = signed_in
    headers = {**auth, "idempotency-key": "key-1"}
    client.post(
        f"/api/v1/acme/lines/{world.msisdns[0]}/suspend", json={"reason": "lost"}, headers=headers
    )
    other = client.post(
        f"/api/v1/acme/lines/{world.msisdns[1]}/suspend", json={"reason": "lost"}, headers=headers
    )
    assert other.status_code == 422 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    state = client.get(f"/api/v1/acme/lines/{world.msisdns[1]}", headers=auth).json()["state"]
    assert state == "active"


def test_replays_expire_after_a_day(client: TestClient, deps: Deps, clock: FixedClock) -> None:
    deps.settings.security.session_minutes = 3 * 24 * 60  # a session that outlives the replay
    world = factories.world(deps.sessions, clock.now())
    auth = {"authorization": f"Bearer {api_token(client, deps, 'acme', world.email)}"}
    headers = {**auth, "idempotency-key": "key-2"}
    url = f"/api/v1/acme/lines/{world.msisdns[0]}/suspend"
    client.post(url, json={"reason": "lost"}, headers=headers)
    clock.advance(dt.timedelta(hours=24, minutes=1))
    later = client.post(url, json={"reason": "lost"}, headers=headers)
    assert "idempotent-replayed" not in later.headers
    assert later.status_code == 409  # executed again: the line is already suspended


@pytest.mark.parametrize(
    ("lang", "detail"),
    [
        ("it", "Non è un numero di cellulare italiano valido."),
        ("en", "This is not a valid Italian mobile number."),
        ("zh", "这不是有效的意大利手机号码。"),
    ],
)
def test_a_malformed_number_is_refused_in_the_users_language(
    client: TestClient, signed_in: tuple[factories.World, dict[str, str]], lang: str, detail: str
) -> None:
    _world, auth = signed_in
    answer = client.post(
        "/api/v1/acme/lines/12345/suspend", json={}, headers={**auth, "accept-language": lang}
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "INVALID_MSISDN" and answer.json()["detail"] == detail


@pytest.mark.parametrize(
    "body",
    [{"reason": "bored"}, {"reason": 7}, {"unknown": 1}, [], "text"],
)
def test_bad_bodies_are_422_and_change_nothing(
    client: TestClient, signed_in: tuple[factories.World, dict[str, str]], body: object
) -> None:
    world, auth = signed_in
    answer = client.post(f"/api/v1/acme/lines/{world.msisdns[0]}/suspend", json=body, headers=auth)
    assert answer.status_code == 422 and answer.json()["code"] == "INVALID_INPUT"
    assert (
        client.get(f"/api/v1/acme/lines/{world.msisdns[0]}", headers=auth).json()["state"]
        == "active"
    )


def test_someone_elses_number_is_not_found(
    client: TestClient, signed_in: tuple[factories.World, dict[str, str]]
) -> None:
    world, auth = signed_in
    answer = client.post(f"/api/v1/acme/lines/{world.other_msisdn}/suspend", json={}, headers=auth)
    assert answer.status_code == 404 and answer.json()["code"] == "LINE_NOT_FOUND"


def test_without_a_token_the_api_answers_401(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    factories.world(deps.sessions, clock.now())
    answer = client.get("/api/v1/acme/lines")
    assert (
        answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"
    )
    assert (
        client.get("/api/v1/acme/lines", headers={"authorization": "Bearer forged"}).status_code
        == 401
    )


def test_the_openapi_document_lists_the_api(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/{tenant}/lines",
        "/api/v1/{tenant}/lines/{msisdn}/suspend",
        "/api/v1/{tenant}/auth/code",
    } <= set(paths)
    assert not any(path.startswith("/{tenant}") for path in paths)  # pages are not API
