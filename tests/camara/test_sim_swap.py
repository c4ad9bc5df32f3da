"""POST /retrieve-date and /check (CAMARA sim-swap v2.1.0): answers from the recorded SIM
changes, and every error case with the spec's status, code and x-correlator."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from resim.app import create_app
from resim.audit.service import Actor
from resim.camara import service as camara
from resim.camara.models import SwapQuery
from resim.db.engine import transaction
from resim.deps import Deps
from resim.kit.clock import FixedClock
from resim.line import service as lines
from resim.line.models import LineState
from resim.tasks import make_worker
from resim.tenant import service as tenants
from tests import factories
from tests.camara.world import CHECK, RETRIEVE, ask, bank, sim_changed, token
from tests.provisioning.world import approve, holder


@pytest.fixture
def acme(deps: Deps, clock: FixedClock) -> factories.World:
    made = factories.world(deps.sessions, clock.now())
    clock.advance(dt.timedelta(days=30))  # the lines were activated a month ago
    return made


def _z(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_answers_come_from_the_recorded_sim_changes(
    client: TestClient, deps: Deps, clock: FixedClock, acme: factories.World
) -> None:
    swapped_number, quiet_number = acme.msisdns
    activated = clock.now() - dt.timedelta(days=30)
    swap_at = clock.now() - dt.timedelta(hours=72)
    sim_changed(deps, acme.tenant_id, swapped_number, swap_at)
    who = bank(deps, [acme.tenant_id])
    access = token(client, who)

    def check(number: str, **extra: object) -> bool:
        answer = ask(client, CHECK, access, {"phoneNumber": number, **extra})
        assert answer.status_code == 200, answer.text
        return bool(answer.json()["swapped"])

    assert check(swapped_number) is True  # 72 hours ago, within the default 240
    assert check(swapped_number, maxAge=73) is True
    assert check(swapped_number, maxAge=71) is False
    assert check(quiet_number) is False  # activated 30 days ago: outside 240 hours
    assert check(quiet_number, maxAge=24 * 31) is True  # a new subscription counts as a swap

    dated = ask(client, RETRIEVE, access, {"phoneNumber": swapped_number}, "req-1")
    assert dated.status_code == 200 and dated.headers["x-correlator"] == "req-1"
    assert dated.json() == {"latestSimChange": _z(swap_at)}
    assert ask(client, RETRIEVE, access, {"phoneNumber": quiet_number}).json() == {
        "latestSimChange": _z(activated)
    }
    # Beyond the monitored period (90 days) the date is withheld.
    clock.advance(dt.timedelta(days=61))
    access = token(client, who)
    assert ask(client, RETRIEVE, access, {"phoneNumber": quiet_number}).json() == {
        "latestSimChange": None,
        "monitoredPeriod": 90,
    }
    assert ask(client, RETRIEVE, access, {"phoneNumber": swapped_number}).json() == {
        "latestSimChange": _z(swap_at)
    }


def test_a_replacement_through_resim_shows_at_once(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    case = holder(deps.sessions, clock.now())
    clock.advance(dt.timedelta(days=20))
    who = bank(deps, [case.tenant_id])
    access = token(client, who)
    before = ask(client, CHECK, access, {"phoneNumber": case.msisdn, "maxAge": 24})
    assert before.json() == {"swapped": False}
    approve(deps.sessions, case, clock.now())
    make_worker(deps).run_until_idle()
    with deps.sessions() as session:
        line = lines.find_line(session, case.tenant_id, case.msisdn)
        assert line is not None and line.iccid != case.old_iccid  # the number is on a new SIM
    after = ask(client, CHECK, access, {"phoneNumber": case.msisdn, "maxAge": 1})
    assert after.json() == {"swapped": True}
    dated = ask(client, RETRIEVE, access, {"phoneNumber": case.msisdn}).json()
    assert dated == {"latestSimChange": _z(clock.now())}


def test_every_error_case_answers_as_the_spec_says(
    client: TestClient, deps: Deps, clock: FixedClock, acme: factories.World
) -> None:
    number = acme.msisdns[0]
    who = bank(deps, [acme.tenant_id])
    access = token(client, who)

    def error(answer: object, status: int, code: str) -> None:
        assert answer.status_code == status, answer.text  # type: ignore[attr-defined]
        body = answer.json()  # type: ignore[attr-defined]
        assert body["status"] == status and body["code"] == code and body["message"]

    # 401: no token, a forged one, an expired one.
    error(ask(client, CHECK, None, {"phoneNumber": number}), 401, "UNAUTHENTICATED")
    error(ask(client, CHECK, access + "x", {"phoneNumber": number}), 401, "UNAUTHENTICATED")
    # 403: a token without the operation's scope.
    dates_only = token(client, who, camara.RETRIEVE_DATE)
    error(ask(client, CHECK, dates_only, {"phoneNumber": number}), 403, "PERMISSION_DENIED")
    # 400: malformed number, maxAge outside 1..2400 or beyond the monitored 90 days, not an
    # integer, a body that is not JSON, a bad x-correlator.
    error(ask(client, CHECK, access, {"phoneNumber": "3471234567"}), 400, "INVALID_ARGUMENT")
    for age in (0, 2401):
        error(
            ask(client, CHECK, access, {"phoneNumber": number, "maxAge": age}), 400, "OUT_OF_RANGE"
        )
    beyond = ask(client, CHECK, access, {"phoneNumber": number, "maxAge": 2200})
    error(beyond, 400, "OUT_OF_RANGE")
    assert "90 days" in beyond.json()["message"]
    wrong_types: tuple[object, ...] = ("240", 2.5, True)
    for wrong in wrong_types:
        error(
            ask(client, CHECK, access, {"phoneNumber": number, "maxAge": wrong}),
            400,
            "INVALID_ARGUMENT",
        )
    garbled = client.post(
        CHECK,
        content=b"{not json",
        headers={"Authorization": f"Bearer {access}", "Content-Type": "application/json"},
    )
    error(garbled, 400, "INVALID_ARGUMENT")
    assert garbled.json()["message"] == "The request body is not valid JSON."
    error(ask(client, CHECK, access, [number]), 400, "INVALID_ARGUMENT")
    bad_correlator = ask(client, CHECK, access, {"phoneNumber": number}, "not allowed!")
    error(bad_correlator, 400, "INVALID_ARGUMENT")
    assert "x-correlator" not in bad_correlator.headers
    # 404: a number no allowed operator has (another tenant's number is not seen either).
    error(ask(client, CHECK, access, {"phoneNumber": "+393009999999"}), 404, "IDENTIFIER_NOT_FOUND")
    # 422: no number with a two-legged token; a ceased line.
    error(ask(client, CHECK, access, {}), 422, "MISSING_IDENTIFIER")
    error(ask(client, RETRIEVE, access, {"maxAge": 5}), 422, "MISSING_IDENTIFIER")
    with transaction(deps.sessions) as session:
        line = lines.find_line(session, acme.tenant_id, acme.other_msisdn)
        assert line is not None
        line.state = LineState.CEASED
    error(
        ask(client, CHECK, access, {"phoneNumber": acme.other_msisdn}),
        422,
        "SERVICE_NOT_APPLICABLE",
    )
    # Unknown paths and methods under the API root.
    error(ask(client, "/camara/sim-swap/v2/nothing", access, {}), 404, "NOT_FOUND")
    error(client.get(CHECK, headers={"x-correlator": "c-9"}), 405, "METHOD_NOT_ALLOWED")
    # Every answer echoes a valid x-correlator, errors included.
    echoed = ask(client, CHECK, None, {"phoneNumber": number}, "b4333c46-49c0-4f62:80d7")
    assert echoed.headers["x-correlator"] == "b4333c46-49c0-4f62:80d7"
    # An expired token.
    clock.advance(dt.timedelta(seconds=deps.settings.camara.token_seconds))
    error(ask(client, CHECK, access, {"phoneNumber": number}), 401, "UNAUTHENTICATED")


def test_a_client_sees_only_the_numbers_of_its_tenants(
    client: TestClient, deps: Deps, acme: factories.World
) -> None:
    with deps.sessions() as session:
        other = tenants.get(session, "other")
    outsider = bank(deps, [other.id], name="Banca Altrove")
    access = token(client, outsider)
    answer = ask(client, CHECK, access, {"phoneNumber": acme.msisdns[0]})
    assert (answer.status_code, answer.json()["code"]) == (404, "IDENTIFIER_NOT_FOUND")


def test_rate_limits_and_quotas_answer_429(
    client: TestClient, deps: Deps, acme: factories.World
) -> None:
    number = acme.msisdns[0]
    hasty = bank(deps, [acme.tenant_id], name="Banca Fretta", per_minute=3)
    access = token(client, hasty)
    statuses = [ask(client, CHECK, access, {"phoneNumber": number}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = ask(client, CHECK, access, {"phoneNumber": number})
    assert refused.json()["code"] == "TOO_MANY_REQUESTS"
    assert int(refused.headers["Retry-After"]) >= 1
    frugal = bank(deps, [acme.tenant_id], name="Banca Parsimonia", per_day=2)
    access = token(client, frugal)
    statuses = [ask(client, CHECK, access, {"phoneNumber": number}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert ask(client, CHECK, access, {"phoneNumber": number}).json()["code"] == "QUOTA_EXCEEDED"


def test_a_switched_off_client_is_refused(
    client: TestClient, deps: Deps, acme: factories.World
) -> None:
    who = bank(deps, [acme.tenant_id])
    access = token(client, who)
    with transaction(deps.sessions) as session:
        camara.set_active(
            session, acme.tenant_id, who.ref, False, actor=Actor("cli"), at=deps.clock.now()
        )
    # A new process (or the next few seconds) no longer knows the client as active.
    with TestClient(create_app(deps=deps)) as fresh:
        answer = ask(fresh, CHECK, access, {"phoneNumber": acme.msisdns[0]})
        assert (answer.status_code, answer.json()["code"]) == (401, "UNAUTHENTICATED")
        refused = fresh.post(
            "/camara/oauth2/token", data={"grant_type": "client_credentials"}, headers=who.basic()
        )
        assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")


def test_every_answered_query_is_recorded_for_the_auditor(
    client: TestClient, deps: Deps, clock: FixedClock, acme: factories.World
) -> None:
    who = bank(deps, [acme.tenant_id])
    access = token(client, who)
    ask(client, CHECK, access, {"phoneNumber": acme.msisdns[0]})
    ask(client, RETRIEVE, access, {"phoneNumber": acme.msisdns[1]})
    ask(client, CHECK, access, {"phoneNumber": "+393009999999"})
    with deps.sessions() as session:
        rows = list(session.scalars(select(SwapQuery).order_by(SwapQuery.at, SwapQuery.operation)))
    seen = sorted((r.operation, r.phone_number, r.status, r.outcome) for r in rows)
    assert seen == sorted(
        [
            ("check", acme.msisdns[0], 200, "unswapped"),
            ("retrieve-date", acme.msisdns[1], 200, "date"),
            ("check", "+393009999999", 404, "IDENTIFIER_NOT_FOUND"),
        ]
    )
    assert all(r.client_ref == who.ref and r.at == clock.now() and r.legs == 2 for r in rows)
