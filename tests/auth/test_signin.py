from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select, text

from resim.auth.models import SigninChallenge
from resim.deps import Deps
from resim.kit.clock import FixedClock
from tests import factories
from tests.helpers import api_token, deliver, last_code


def _request(client: TestClient, email: str, tenant: str = "acme", lang: str = "en") -> int:
    answer = client.post(
        f"/api/v1/{tenant}/auth/code", json={"email": email}, headers={"accept-language": lang}
    )
    status: int = answer.status_code
    return status


def _verify(
    client: TestClient, email: str, code: str, lang: str = "en"
) -> tuple[int, dict[str, object]]:
    answer = client.post(
        "/api/v1/acme/auth/token",
        json={"email": email, "code": code},
        headers={"accept-language": lang},
    )
    return answer.status_code, answer.json()


def test_a_code_by_email_signs_the_customer_in(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    world = factories.world(deps.sessions, clock.now())
    token = api_token(client, deps, "acme", world.email)
    lines = client.get("/api/v1/acme/lines", headers={"authorization": f"Bearer {token}"})
    assert lines.status_code == 200
    assert sorted(line["msisdn"] for line in lines.json()) == sorted(world.msisdns)


def test_the_email_is_in_the_customers_language(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    world = factories.world(deps.sessions, clock.now())
    _request(client, world.email, lang="it")
    deliver(deps)
    assert deps.outbox is not None
    sent = deps.outbox.messages()[0].message
    assert sent.subject.startswith("Il tuo codice di accesso")
    assert "Scade tra 10 minuti" in sent.text


def test_an_unknown_address_gets_the_same_answer_and_no_email(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    factories.world(deps.sessions, clock.now())
    assert _request(client, "nobody@example.it") == 202
    deliver(deps)
    assert deps.outbox is not None and deps.outbox.messages() == []


def test_a_code_is_single_use(client: TestClient, deps: Deps, clock: FixedClock) -> None:
    world = factories.world(deps.sessions, clock.now())
    _request(client, world.email)
    deliver(deps)
    code = last_code(deps, world.email)
    assert _verify(client, world.email, code)[0] == 200
    status, body = _verify(client, world.email, code)
    assert status == 422 and body["code"] == "CODE_INVALID"


def test_a_code_expires_after_ten_minutes(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    world = factories.world(deps.sessions, clock.now())
    _request(client, world.email)
    deliver(deps)
    code = last_code(deps, world.email)
    clock.advance(dt.timedelta(minutes=10, seconds=1))
    status, body = _verify(client, world.email, code)
    assert status == 422 and body["code"] == "CODE_INVALID"


def test_five_wrong_tries_lock_the_code(client: TestClient, deps: Deps, clock: FixedClock) -> None:
    world = factories.world(deps.sessions, clock.now())
    _request(client, world.email)
    deliver(deps)
    code = last_code(deps, world.email)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    answers = [_verify(client, world.email, wrong, lang="zh") for _ in range(5)]
    assert [a[1]["code"] for a in answers] == ["CODE_INVALID"] * 4 + ["CODE_LOCKED"]
    assert answers[-1][1]["detail"] == "错误验证码次数过多，请重新获取。"
    status, body = _verify(client, world.email, code)
    assert status == 422 and body["code"] == "CODE_LOCKED"  # even the right code now


def test_requests_are_rate_limited_per_address(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    world = factories.world(deps.sessions, clock.now())
    statuses = [_request(client, world.email) for _ in range(6)]
    assert statuses == [202] * 5 + [429]
    answer = client.post(
        "/api/v1/acme/auth/code", json={"email": world.email}, headers={"accept-language": "it"}
    )
    assert answer.headers["retry-after"].isdigit()
    assert "Troppi tentativi" in answer.json()["detail"]
    clock.advance(dt.timedelta(minutes=16))
    assert _request(client, world.email) == 202


def test_requests_are_rate_limited_per_ip(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    deps.settings.security.signin_per_ip = 3
    factories.world(deps.sessions, clock.now())
    statuses = [_request(client, f"someone{i}@example.it") for i in range(4)]
    assert statuses == [202, 202, 202, 429]


def test_codes_are_stored_only_as_hashes(client: TestClient, deps: Deps, clock: FixedClock) -> None:
    world = factories.world(deps.sessions, clock.now())
    _request(client, world.email)
    with deps.sessions() as session:
        job_payload = session.execute(text("SELECT payload FROM job")).scalar_one()
    deliver(deps)
    code = last_code(deps, world.email)
    with deps.sessions() as session:
        challenge = session.scalars(select(SigninChallenge)).one()
        assert code not in challenge.code_hash
        dump = "\n".join(
            str(row)
            for table in ("signin_challenge", "job", "audit_event")
            for row in session.execute(text(f"SELECT * FROM {table}"))
        )
    assert code not in dump
    assert code not in str(job_payload)  # sealed while queued, dropped once sent


def test_bad_input_is_refused_in_the_callers_language(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    factories.world(deps.sessions, clock.now())
    answer = client.post(
        "/api/v1/acme/auth/code",
        json={"email": "not-an-address"},
        headers={"accept-language": "it"},
    )
    assert answer.status_code == 422
    body = answer.json()
    assert answer.headers["content-type"] == "application/problem+json"
    assert body["errors"][0]["field"] == "email"
    assert body["errors"][0]["detail"] == "Non è un indirizzo e-mail valido."
    answer = client.post("/api/v1/acme/auth/token", json={"email": "a@example.it", "code": "12ab"})
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "code"
    assert (
        client.post(
            "/api/v1/acme/auth/code", content=b"{", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )
    assert (
        client.post("/api/v1/nope/auth/code", json={"email": "a@example.it"}).json()["code"]
        == "TENANT_NOT_FOUND"
    )


def test_a_token_works_only_for_its_tenant_and_until_sign_out(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    world = factories.world(deps.sessions, clock.now())
    token = api_token(client, deps, "acme", world.email)
    auth = {"authorization": f"Bearer {token}"}
    assert client.get("/api/v1/other/lines", headers=auth).status_code == 401
    assert client.post("/api/v1/acme/auth/sign-out", headers=auth).status_code == 204
    answer = client.get("/api/v1/acme/lines", headers=auth)
    assert answer.status_code == 401 and answer.json()["code"] == "SIGN_IN_REQUIRED"


def test_a_session_expires(client: TestClient, deps: Deps, clock: FixedClock) -> None:
    world = factories.world(deps.sessions, clock.now())
    token = api_token(client, deps, "acme", world.email)
    clock.advance(dt.timedelta(minutes=deps.settings.security.session_minutes + 1))
    assert (
        client.get("/api/v1/acme/lines", headers={"authorization": f"Bearer {token}"}).status_code
        == 401
    )
