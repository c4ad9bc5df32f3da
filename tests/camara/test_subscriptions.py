"""SIM swap subscriptions (CAMARA sim-swap-subscriptions v0.3.0): a bank's sink, a real
HTTP server on loopback, receives CloudEvents through the outbox, retried with backoff."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from resim.camara import service as camara
from resim.camara.service import SUBSCRIPTION_ENDED, SWAPPED
from resim.deps import Deps
from resim.jobs.models import Job, JobStatus
from resim.kit.clock import FixedClock
from resim.tasks import make_worker
from tests.camara.world import SUBSCRIPTIONS, bank, token
from tests.provisioning.world import Case, approve, holder


@dataclass
class Sink:
    url: str
    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # statuses to give first, then 204

    def events(self) -> list[dict[str, Any]]:
        return [body for _headers, body in self.received]


@pytest.fixture
def sink() -> Iterator[Sink]:
    box = Sink("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length))
            status = box.answers.pop(0) if box.answers else 204
            if status == 204:
                box.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/sim-swap"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()


@pytest.fixture
def case(deps: Deps, clock: FixedClock) -> Case:
    deps.settings.camara.allow_http_sinks = True
    found = holder(deps.sessions, clock.now(), stock=6)
    clock.advance(dt.timedelta(days=30))
    return found


def _body(sink: Sink, number: str | None, **config: Any) -> dict[str, Any]:
    detail = {"phoneNumber": number} if number else {}
    return {
        "protocol": "HTTP",
        "sink": sink.url,
        "types": [SWAPPED],
        "config": {"subscriptionDetail": detail, **config},
    }


def _swap(deps: Deps, case: Case, clock: FixedClock) -> None:
    """A replacement through resim: the number moves to a new SIM."""
    approve(deps.sessions, case, clock.now())
    _drain(deps, clock)


def _drain(deps: Deps, clock: FixedClock) -> None:
    worker = make_worker(deps)
    worker.run_until_idle()
    for _ in range(13):  # let the backoff's time pass between rounds
        clock.advance(dt.timedelta(minutes=5))
        worker.run_until_idle()


def test_a_swap_posts_a_cloudevent_with_the_banks_credential(
    client: TestClient, deps: Deps, clock: FixedClock, case: Case, sink: Sink
) -> None:
    who = bank(deps, [case.tenant_id])
    access = token(client, who)
    headers = {"Authorization": f"Bearer {access}", "x-correlator": "sub-1"}
    credential = {
        "credentialType": "ACCESSTOKEN",
        "accessToken": "sink-token-123",
        "accessTokenType": "bearer",
        "accessTokenExpiresUtc": (clock.now() + dt.timedelta(days=365)).isoformat(),
    }
    made = client.post(
        SUBSCRIPTIONS,
        json={**_body(sink, case.msisdn, subscriptionMaxEvents=1), "sinkCredential": credential},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    assert made.headers["x-correlator"] == "sub-1"
    sub = made.json()
    assert sub["status"] == "ACTIVE" and sub["types"] == [SWAPPED] and "sinkCredential" not in sub
    assert sub["config"]["subscriptionDetail"] == {"phoneNumber": case.msisdn}
    listed = client.get(SUBSCRIPTIONS, headers=headers).json()
    assert [s["id"] for s in listed] == [sub["id"]]
    sink.answers = [503, 500]  # the sink fails twice: the outbox retries
    _swap(deps, case, clock)
    events = sink.events()
    assert [e["type"] for e in events] == [SWAPPED, SUBSCRIPTION_ENDED]
    swapped = events[0]
    assert swapped["specversion"] == "1.0" and swapped["datacontenttype"] == "application/json"
    assert swapped["source"].endswith("/camara/sim-swap-subscriptions/v0.3")
    assert swapped["data"] == {"subscriptionId": sub["id"], "phoneNumber": case.msisdn}
    headers_seen = sink.received[0][0]
    assert headers_seen["authorization"] == "Bearer sink-token-123"
    assert headers_seen["content-type"] == "application/cloudevents+json"
    assert events[1]["data"] == {
        "subscriptionId": sub["id"],
        "terminationReason": "MAX_EVENTS_REACHED",
    }
    headers = {"Authorization": f"Bearer {token(client, who)}"}  # an hour later: a new token
    after = client.get(f"{SUBSCRIPTIONS}/{sub['id']}", headers=headers).json()
    assert after["status"] == "EXPIRED"
    with deps.sessions() as session:
        jobs = session.query(Job).filter(Job.name == "camara.notify").all()
        assert all(j.status == JobStatus.DONE for j in jobs) and max(j.attempts for j in jobs) == 3


def test_delete_and_expiry_end_a_subscription_with_a_notice(
    client: TestClient, deps: Deps, clock: FixedClock, case: Case, sink: Sink
) -> None:
    who = bank(deps, [case.tenant_id])
    headers = {"Authorization": f"Bearer {token(client, who)}"}
    first = client.post(SUBSCRIPTIONS, json=_body(sink, case.msisdn), headers=headers).json()
    twice = client.post(SUBSCRIPTIONS, json=_body(sink, case.msisdn), headers=headers)
    assert (twice.status_code, twice.json()["code"]) == (409, "ALREADY_EXISTS")
    gone = client.delete(f"{SUBSCRIPTIONS}/{first['id']}", headers=headers)
    assert gone.status_code == 204
    assert client.get(f"{SUBSCRIPTIONS}/{first['id']}", headers=headers).status_code == 404
    assert client.delete(f"{SUBSCRIPTIONS}/{first['id']}", headers=headers).status_code == 404
    until = clock.now() + dt.timedelta(hours=1)
    second = client.post(
        SUBSCRIPTIONS,
        json=_body(sink, case.msisdn, subscriptionExpireTime=until.isoformat()),
        headers=headers,
    ).json()
    assert second["expiresAt"]
    _drain(deps, clock)  # an hour passes
    reasons = [e["data"].get("terminationReason") for e in sink.events()]
    assert reasons == ["SUBSCRIPTION_DELETED", "SUBSCRIPTION_EXPIRED"]
    count = len(sink.events())
    headers = {"Authorization": f"Bearer {token(client, who)}"}
    _swap(deps, case, clock)
    assert len(sink.events()) == count  # ended subscriptions hear nothing more
    headers = {"Authorization": f"Bearer {token(client, who)}"}
    assert client.get(SUBSCRIPTIONS, headers=headers).json() == []


def test_subscription_errors_as_the_spec_says(
    client: TestClient, deps: Deps, clock: FixedClock, case: Case, sink: Sink
) -> None:
    who = bank(deps, [case.tenant_id])
    headers = {"Authorization": f"Bearer {token(client, who)}"}

    def refused(body: dict[str, Any], status: int, code: str) -> None:
        answer = client.post(SUBSCRIPTIONS, json=body, headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text

    good = _body(sink, case.msisdn)
    refused({**good, "protocol": "MQTT3"}, 400, "INVALID_PROTOCOL")
    refused({**good, "protocol": "SMTP"}, 400, "INVALID_ARGUMENT")
    deps.settings.camara.allow_http_sinks = False
    refused(good, 400, "INVALID_SINK")
    deps.settings.camara.allow_http_sinks = True
    plain = {"credentialType": "PLAIN", "identifier": "a", "secret": "b"}
    refused({**good, "sinkCredential": plain}, 400, "INVALID_CREDENTIAL")
    mac = {
        "credentialType": "ACCESSTOKEN",
        "accessToken": "t",
        "accessTokenType": "mac",
        "accessTokenExpiresUtc": "2030-01-01T00:00:00Z",
    }
    refused({**good, "sinkCredential": mac}, 400, "INVALID_TOKEN")
    past = (clock.now() - dt.timedelta(minutes=1)).isoformat()
    refused(_body(sink, case.msisdn, subscriptionExpireTime=past), 400, "OUT_OF_RANGE")
    refused(_body(sink, case.msisdn, subscriptionMaxEvents=0), 400, "OUT_OF_RANGE")
    refused({**good, "types": ["org.example.other"]}, 400, "INVALID_ARGUMENT")
    refused(_body(sink, None), 422, "MISSING_IDENTIFIER")
    refused(_body(sink, "+393009999999"), 404, "IDENTIFIER_NOT_FOUND")
    reader = bank(
        deps, [case.tenant_id], name="Banca Lettrice", scopes=(camara.SUBSCRIPTIONS_READ,)
    )
    answer = client.post(
        SUBSCRIPTIONS, json=good, headers={"Authorization": f"Bearer {token(client, reader)}"}
    )
    assert (answer.status_code, answer.json()["code"]) == (403, "PERMISSION_DENIED")
    # Another bank does not see this bank's subscriptions.
    mine = client.post(SUBSCRIPTIONS, json=good, headers=headers).json()
    stranger = {
        "Authorization": f"Bearer {token(client, bank(deps, [case.tenant_id], name='Banca Terza'))}"
    }
    assert client.get(f"{SUBSCRIPTIONS}/{mine['id']}", headers=stranger).status_code == 404
    assert client.get(SUBSCRIPTIONS, headers=stranger).json() == []
    assert client.get(f"{SUBSCRIPTIONS}/not-a-uuid", headers=headers).json()["code"] == "NOT_FOUND"
