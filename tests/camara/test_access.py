"""Access for banks: client credentials, signed short-lived tokens checked against the
published keys, and OpenID Connect CIBA, where the holder allows or refuses by e-mail link
or in the portal."""

from __future__ import annotations

import datetime as dt
import re

import jwt
import pytest
from fastapi.testclient import TestClient

from resim.camara import service as camara
from resim.deps import Deps
from resim.kit.clock import FixedClock
from tests import factories
from tests.camara.world import BC_AUTHORIZE, CHECK, RETRIEVE, TOKEN, Bank, ask, bank
from tests.helpers import deliver
from tests.web.test_pages import sign_in

PURPOSE = "dpv:FraudPreventionAndDetection#sim-swap"


@pytest.fixture
def acme(deps: Deps, clock: FixedClock) -> factories.World:
    made = factories.world(deps.sessions, clock.now())
    clock.advance(dt.timedelta(days=30))
    return made


def test_client_credentials_give_a_short_lived_token_signed_by_the_published_key(
    client: TestClient, deps: Deps, clock: FixedClock, acme: factories.World
) -> None:
    who = bank(deps, [acme.tenant_id], scopes=(camara.CHECK, camara.RETRIEVE_DATE))
    by_post = client.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": who.client_id,
            "client_secret": who.secret,
        },
    )
    assert by_post.status_code == 200 and by_post.headers["cache-control"] == "no-store"
    body = by_post.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert body["scope"].split() == [camara.CHECK, camara.RETRIEVE_DATE]
    discovery = client.get("/camara/.well-known/openid-configuration").json()
    assert discovery["token_endpoint"].endswith("/camara/oauth2/token")
    keys = client.get(discovery["jwks_uri"].replace("http://127.0.0.1:8000", "")).json()["keys"]
    public = jwt.PyJWK(keys[0]).key
    claims = jwt.decode(
        body["access_token"],
        public,
        algorithms=["ES256"],
        audience="resim-camara",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["exp"] - claims["iat"] == 600 and claims["client_id"] == who.client_id
    assert "+39" not in body["access_token"]  # no phone number in a two-legged token
    # Errors of RFC 6749 section 5.2.
    wrong = Bank(who.client_id, "not-the-secret", who.ref)
    refused = client.post(TOKEN, data={"grant_type": "client_credentials"}, headers=wrong.basic())
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")
    assert refused.headers["www-authenticate"].startswith("Basic")
    nobody = client.post(TOKEN, data={"grant_type": "client_credentials"})
    assert (nobody.status_code, nobody.json()["error"]) == (401, "invalid_client")
    grant = client.post(TOKEN, data={"grant_type": "password"}, headers=who.basic())
    assert (grant.status_code, grant.json()["error"]) == (400, "unsupported_grant_type")
    scope = client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": camara.SUBSCRIBE},
        headers=who.basic(),
    )
    assert (scope.status_code, scope.json()["error"]) == (400, "invalid_scope")


def _consent_link(deps: Deps, email: str) -> str:
    deliver(deps)
    assert deps.outbox is not None
    mail = [m for m in deps.outbox.messages() if m.message.to == email][-1]
    assert "Banca Uno" in mail.message.subject
    found = re.search(r"http://\S+/consents/\S+", mail.message.text)
    assert found is not None
    return found.group(0).split("127.0.0.1:8000", 1)[-1]


def _start(client: TestClient, who: Bank, number: str, **extra: str) -> dict[str, object]:
    form = {"scope": f"openid {camara.CHECK}", "login_hint": f"tel:{number}", "purpose": PURPOSE}
    answer = client.post(BC_AUTHORIZE, data={**form, **extra}, headers=who.basic())
    assert answer.status_code == 200, answer.text
    started: dict[str, object] = answer.json()
    return started


def _poll(client: TestClient, who: Bank, auth_req_id: object) -> tuple[int, dict[str, object]]:
    answer = client.post(
        TOKEN,
        data={"grant_type": "urn:openid:params:grant-type:ciba", "auth_req_id": auth_req_id},
        headers=who.basic(),
    )
    return answer.status_code, answer.json()


def test_ciba_the_holder_allows_by_the_emails_link_and_the_bank_asks_with_its_token(
    client: TestClient, deps: Deps, clock: FixedClock, acme: factories.World
) -> None:
    who = bank(deps, [acme.tenant_id])
    number = acme.msisdns[0]
    started = _start(client, who, number, binding_message="A1B2")
    assert started["interval"] == 5 and started["expires_in"] == 600
    assert _poll(client, who, started["auth_req_id"]) == (
        400,
        {"error": "authorization_pending", "error_description": "The holder has not answered yet."},
    )
    status, body = _poll(client, who, started["auth_req_id"])  # too soon
    assert (status, body["error"]) == (400, "slow_down")
    link = _consent_link(deps, acme.email)
    page = client.get(link)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "Banca Uno" in page.text and number in page.text and "A1B2" in page.text
    csrf = client.cookies.get("resim_csrf")
    allowed = client.post(link, data={"decision": "allow", "csrf_token": csrf})
    assert allowed.status_code == 200 and 'id="state"' in allowed.text
    again = client.post(link, data={"decision": "refuse", "csrf_token": csrf})
    assert again.status_code == 409  # answered once
    clock.advance(dt.timedelta(seconds=5))
    status, body = _poll(client, who, started["auth_req_id"])
    assert status == 200, body
    assert body["scope"] == camara.CHECK and body["id_token"]
    three_legged = str(body["access_token"])
    assert number not in three_legged
    # The number comes from the token: giving it again is an error, as the spec says.
    assert ask(client, CHECK, three_legged, {}).json() == {"swapped": False}
    extra = ask(client, CHECK, three_legged, {"phoneNumber": number})
    assert (extra.status_code, extra.json()["code"]) == (422, "UNNECESSARY_IDENTIFIER")
    unscoped = ask(client, RETRIEVE, three_legged, {})
    assert (unscoped.status_code, unscoped.json()["code"]) == (403, "PERMISSION_DENIED")
    status, body = _poll(client, who, started["auth_req_id"])
    assert (status, body["error"]) == (400, "invalid_grant")  # redeemed once


def test_ciba_refused_expired_and_bad_requests(
    client: TestClient, deps: Deps, clock: FixedClock, acme: factories.World
) -> None:
    who = bank(deps, [acme.tenant_id])
    # The holder refuses by the e-mail's link.
    refused = _start(client, who, acme.msisdns[1])
    link = _consent_link(deps, acme.email)
    client.get(link)
    answer = client.post(
        link, data={"decision": "refuse", "csrf_token": client.cookies.get("resim_csrf")}
    )
    assert answer.status_code == 200
    forged = client.post(link, data={"decision": "allow", "csrf_token": "forged"})
    assert forged.status_code == 403
    clock.advance(dt.timedelta(seconds=6))
    status, body = _poll(client, who, refused["auth_req_id"])
    assert (status, body["error"]) == (400, "access_denied")
    # Nobody answers in time.
    late = _start(client, who, acme.msisdns[0])
    clock.advance(dt.timedelta(seconds=601))
    status, body = _poll(client, who, late["auth_req_id"])
    assert (status, body["error"]) == (400, "expired_token")
    # Another bank cannot redeem it, an unknown id is refused.
    thief = bank(deps, [acme.tenant_id], name="Banca Ladra")
    status, body = _poll(client, thief, late["auth_req_id"])
    assert (status, body["error"]) == (400, "invalid_grant")
    # Bad requests to bc-authorize.
    base = {
        "scope": f"openid {camara.CHECK}",
        "login_hint": f"tel:{acme.msisdns[0]}",
        "purpose": PURPOSE,
    }
    cases = [
        ({"login_hint": "tel:+393009999999"}, "unknown_user_id"),
        ({"login_hint": "mail:giulia"}, "invalid_request"),
        ({"purpose": ""}, "invalid_request"),
        ({"purpose": "marketing"}, "invalid_request"),
        ({"scope": camara.CHECK}, "invalid_scope"),  # openid missing
        ({"scope": "openid"}, "invalid_scope"),
    ]
    for change, expected in cases:
        answer = client.post(BC_AUTHORIZE, data={**base, **change}, headers=who.basic())
        assert (answer.status_code, answer.json()["error"]) == (400, expected), change


def test_the_holder_sees_and_answers_requests_in_the_portal(
    client: TestClient, deps: Deps, clock: FixedClock, acme: factories.World
) -> None:
    who = bank(deps, [acme.tenant_id])
    page_before = client.get("/acme/account/consents", follow_redirects=False)
    assert page_before.status_code == 303  # signed out: to the sign-in page
    sign_in(client, deps, acme.email)
    started = _start(client, who, acme.msisdns[0])
    page = client.get("/acme/account/consents")
    assert page.status_code == 200 and "Banca Uno" in page.text
    request_id = re.search(r'data-request="([0-9a-f-]+)"', page.text)
    assert request_id is not None
    answer = client.post(
        f"/acme/account/consents/{request_id.group(1)}",
        data={"decision": "allow", "csrf_token": client.cookies.get("resim_csrf")},
    )
    assert answer.status_code == 200
    clock.advance(dt.timedelta(seconds=5))
    status, body = _poll(client, who, started["auth_req_id"])
    assert status == 200 and body["access_token"]
