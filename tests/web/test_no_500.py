"""Whatever a client sends, the answer is never a 500."""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resim.deps import Deps
from resim.kit.clock import FixedClock
from tests import factories
from tests.helpers import api_token

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
segments = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="/?#"),
    min_size=1,
    max_size=20,
)


def test_no_input_makes_the_api_fail(client: TestClient, deps: Deps, clock: FixedClock) -> None:
    world = factories.world(deps.sessions, clock.now())
    auth = {"authorization": f"Bearer {api_token(client, deps, 'acme', world.email)}"}
    deps.settings.security.signin_per_ip = 10**6

    @settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        path=st.sampled_from(
            [
                "/api/v1/acme/auth/code",
                "/api/v1/acme/auth/token",
                "/api/v1/acme/lines/{m}/suspend",
                "/api/v1/acme/lines/{m}/reactivate",
            ]
        ),
        number=segments | st.just(world.msisdns[0]),
        body=json_values,
        raw=st.booleans(),
        key=st.none() | st.text(max_size=300),
        lang=st.text(max_size=20),
    )
    def probe(path: str, number: str, body: object, raw: bool, key: str | None, lang: str) -> None:
        headers = {**auth, "accept-language": lang.encode("ascii", "ignore").decode() or "it"}
        if key is not None and key.isascii() and key.isprintable():
            headers["idempotency-key"] = key
        url = path.replace("{m}", quote(number, safe="+"))
        content = json.dumps(body).encode()[::-1] if raw else json.dumps(body).encode()
        answer = client.post(
            url, content=content, headers={**headers, "content-type": "application/json"}
        )
        assert answer.status_code < 500, (url, answer.text)
        answer = client.get(f"/api/v1/acme/lines/{quote(number, safe='+')}", headers=headers)
        assert answer.status_code < 500, answer.text

    probe()


def test_no_form_input_makes_a_page_fail(client: TestClient, deps: Deps, clock: FixedClock) -> None:
    factories.world(deps.sessions, clock.now())
    deps.settings.security.signin_per_ip = 10**6
    page = client.get("/acme/signin")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]

    @settings(
        max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        email=st.text(max_size=400),
        code=st.text(max_size=20),
        extra=st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
    )
    def probe(email: str, code: str, extra: dict[str, str]) -> None:
        for url, data in (
            ("/acme/signin", {"email": email}),
            ("/acme/signin/code", {"email": email, "code": code}),
        ):
            answer = client.post(url, data={**extra, **data, "csrf_token": token})
            assert answer.status_code < 500, answer.text

    probe()


def test_hsts_is_sent_in_production(client: TestClient, deps: Deps) -> None:
    deps.settings.mode = "production"
    assert "max-age=" in client.get("/healthz").headers["strict-transport-security"]
