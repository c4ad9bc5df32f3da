from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from resim.auth.models import CustomerSession
from resim.db.engine import transaction
from resim.deps import Deps
from resim.errors import Invalid
from resim.kit.clock import FixedClock
from resim.tenant import service as tenants
from tests import factories
from tests.helpers import deliver, last_code

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(client: TestClient, url: str) -> str:
    page = client.get(url)
    match = CSRF.search(page.text)
    assert match, page.text
    return match.group(1)


def sign_in(client: TestClient, deps: Deps, email: str) -> None:
    token = _csrf(client, "/acme/signin")
    page = client.post("/acme/signin", data={"email": email, "csrf_token": token})
    assert page.status_code == 200 and 'name="code"' in page.text
    deliver(deps)
    code = last_code(deps, email)
    done = client.post(
        "/acme/signin/code",
        data={"email": email, "code": code, "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/acme/lines"


@pytest.mark.parametrize(
    ("lang", "heading", "suspend"),
    [
        ("it", "Le tue linee", "Sospendi la linea"),
        ("en", "Your lines", "Suspend the line"),
        ("zh", "您的号码", "停机"),
    ],
)
def test_the_status_page_speaks_the_browsers_language(
    client: TestClient, deps: Deps, clock: FixedClock, lang: str, heading: str, suspend: str
) -> None:
    world = factories.world(deps.sessions, clock.now())
    client.headers["accept-language"] = f"{lang},en;q=0.5"
    sign_in(client, deps, world.email)
    page = client.get("/acme/lines")
    assert page.status_code == 200 and f'<html lang="{lang}">' in page.text
    assert heading in page.text
    for number in world.msisdns:
        assert number in page.text
    assert world.other_msisdn not in page.text
    line = client.get(f"/acme/lines/{world.msisdns[0]}")
    assert suspend in line.text


def test_the_switcher_overrides_accept_language(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    factories.world(deps.sessions, clock.now())
    client.headers["accept-language"] = "it"
    assert "Accedi" in client.get("/acme/signin").text
    switched = client.get("/lang/zh?next=/acme/signin", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/acme/signin"
    assert "登录" in client.get("/acme/signin").text
    outside = client.get("/lang/en?next=https://evil.example/", follow_redirects=False)
    assert outside.headers["location"] == "/"


def test_suspend_and_reactivate_from_the_page(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    world = factories.world(deps.sessions, clock.now())
    client.headers["accept-language"] = "en"
    sign_in(client, deps, world.email)
    number = world.msisdns[0]
    token = _csrf(client, f"/acme/lines/{number}")
    done = client.post(
        f"/acme/lines/{number}/suspend", data={"reason": "lost", "csrf_token": token}
    )
    assert done.status_code == 200 and "Your line is suspended." in done.text
    assert "Reactivate the line" in done.text
    done = client.post(
        f"/acme/lines/{number}/reactivate", data={"reason": "found", "csrf_token": token}
    )
    assert "Your line is active again." in done.text
    assert "Line reactivated" in done.text and "Line suspended" in done.text


def test_a_form_without_its_csrf_token_is_refused(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    world = factories.world(deps.sessions, clock.now())
    client.headers["accept-language"] = "it"
    sign_in(client, deps, world.email)
    number = world.msisdns[0]
    refused = client.post(
        f"/acme/lines/{number}/suspend", data={"reason": "lost", "csrf_token": "forged"}
    )
    assert refused.status_code == 403 and "Il modulo è scaduto" in refused.text
    assert "Attiva" in client.get(f"/acme/lines/{number}").text


def test_a_bad_reason_or_number_is_refused_without_change(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    world = factories.world(deps.sessions, clock.now())
    client.headers["accept-language"] = "en"
    sign_in(client, deps, world.email)
    number = world.msisdns[0]
    token = _csrf(client, f"/acme/lines/{number}")
    bad = client.post(
        f"/acme/lines/{number}/suspend", data={"reason": "bored", "csrf_token": token}
    )
    assert bad.status_code == 422 and "Choose one of the offered values." in bad.text
    page = client.get("/acme/lines/347-not-a-number")
    assert page.status_code == 422 and "This is not a valid Italian mobile number." in page.text
    assert "state-active" in client.get(f"/acme/lines/{number}").text


def test_a_bad_email_on_the_sign_in_form_is_explained(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    factories.world(deps.sessions, clock.now())
    client.headers["accept-language"] = "zh"
    token = _csrf(client, "/acme/signin")
    page = client.post("/acme/signin", data={"email": "giulia@", "csrf_token": token})
    assert page.status_code == 422 and "这不是有效的电子邮件地址。" in page.text
    wrong = client.post(
        "/acme/signin/code", data={"email": "a@example.it", "code": "000000", "csrf_token": token}
    )
    assert wrong.status_code == 422 and "验证码错误或已过期" in wrong.text


def test_pages_need_a_session(client: TestClient, deps: Deps, clock: FixedClock) -> None:
    world = factories.world(deps.sessions, clock.now())
    for url in ["/acme/lines", f"/acme/lines/{world.msisdns[0]}", "/acme/"]:
        answer = client.get(url, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/acme/signin"


def test_security_headers_and_cookies(client: TestClient, deps: Deps, clock: FixedClock) -> None:
    world = factories.world(deps.sessions, clock.now())
    page = client.get("/acme/signin")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in page.headers  # development: no HTTPS
    assert (
        "HttpOnly" in page.headers["set-cookie"] and "SameSite=strict" in page.headers["set-cookie"]
    )
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    client.post("/acme/signin", data={"email": world.email, "csrf_token": token})
    deliver(deps)
    done = client.post(
        "/acme/signin/code",
        follow_redirects=False,
        data={"email": world.email, "code": last_code(deps, world.email), "csrf_token": token},
    )
    cookie = done.headers["set-cookie"]
    assert "resim_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_a_browser_keeps_its_device_id_across_sign_ins(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    world = factories.world(deps.sessions, clock.now())
    sign_in(client, deps, world.email)
    first = client.cookies.get("resim_device")
    clock.advance(dt.timedelta(minutes=1))
    sign_in(client, deps, world.email)
    assert client.cookies.get("resim_device") == first and first
    client.cookies.clear()  # another browser
    clock.advance(dt.timedelta(minutes=1))
    sign_in(client, deps, world.email)
    assert client.cookies.get("resim_device") not in (None, first)
    with deps.sessions() as session:
        hashes = session.scalars(
            select(CustomerSession.device_hash).order_by(CustomerSession.created_at)
        ).all()
    assert len(hashes) == 3 and hashes[0] == hashes[1] != hashes[2]
    assert first not in hashes  # stored as a keyed hash, not the id itself


def test_unknown_pages_are_translated_404s(client: TestClient) -> None:
    page = client.get("/nope/lines", headers={"accept-language": "it"})
    assert page.status_code == 404 and "Questo operatore non è servito qui." in page.text
    api = client.get("/api/v1/nope/nothing", headers={"accept-language": "en"})
    assert api.status_code == 404 and api.json()["code"] == "NOT_FOUND"


def test_an_unexpected_failure_is_a_500_with_a_reference_and_no_detail(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    def boom() -> None:
        raise RuntimeError("secret detail +393471234567")

    client.app.add_api_route("/api/v1/boom", boom)  # type: ignore[attr-defined]
    answer = client.get("/api/v1/boom", headers={"x-request-id": "req-12345678"})
    assert answer.status_code == 500
    body = answer.json()
    assert body["code"] == "INTERNAL_ERROR" and body["correlationId"] == "req-12345678"
    assert "secret detail" not in answer.text
    logged = caplog.text
    assert "RuntimeError" in logged and "+393471234567" not in logged


def test_the_checklist_needs_no_sign_in(client: TestClient, deps: Deps, clock: FixedClock) -> None:
    factories.world(deps.sessions, clock.now())
    page = client.get("/acme/checklist", headers={"accept-language": "en"})
    assert page.status_code == 200
    assert "Turn On This Line" in page.text and "Network &amp; internet" in page.text


def test_the_outbox_shows_sent_messages_in_demo_mode_only(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    world = factories.world(deps.sessions, clock.now())
    client.post("/api/v1/acme/auth/code", json={"email": world.email})
    deliver(deps)
    assert world.email in client.get("/outbox").text
    deps.settings.demo = False
    assert client.get("/outbox").status_code == 404


def _first_segments(routes: list[Any], prefix: str = "") -> set[str]:
    """The fixed first path segments the site answers under, routers included."""
    found: set[str] = set()
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            found |= _first_segments(included.routes, prefix + route.include_context.prefix)
            continue
        first = (prefix + getattr(route, "path", "")).strip("/").split("/")[0]
        if first and not first.startswith("{"):
            found.add(first)
    return found


def test_no_operator_can_take_a_path_of_the_site(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    taken = _first_segments(list(client.app.routes))  # type: ignore[attr-defined]
    assert {"api", "camara", "livez", "static"} <= taken  # the walk reached every router
    assert taken <= tenants.RESERVED_SLUGS
    with transaction(deps.sessions) as session:
        for slug in sorted(taken):
            with pytest.raises(Invalid) as refused:
                tenants.create(
                    session,
                    slug=slug,
                    name="Shadow",
                    default_language="en",
                    at=clock.now(),
                    actor=factories.ACTOR,
                )
            assert refused.value.code == "INVALID_SLUG"
