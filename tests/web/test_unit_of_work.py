"""The request's unit of work: a route that returns commits, a route that raises keeps
nothing, an error page keeps nothing half done, and keep_failed_try keeps exactly the try."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from resim.app import create_app
from resim.auth.models import RateLimitHit
from resim.db.engine import transaction
from resim.deps import Deps
from resim.errors import Conflict, Invalid
from resim.kit.clock import FixedClock
from resim.kit.crypto import keyed_hash
from resim.message.models import SmsReport
from resim.tenant import service as tenants
from resim.web.context import CTX, DB, Context
from resim.web.templating import render
from resim.web.unit_of_work import discard, keep_failed_try
from tests import factories

PREFIX = "/api/v1/uow-test"


def _write(session: Session, message_id: str, at: dt.datetime) -> None:
    """One row a test can look for: the route's change, flushed as a service would."""
    session.add(SmsReport(message_id=message_id, status=1, meaning="delivered", received_at=at))
    session.flush()


def _routes() -> APIRouter:
    router = APIRouter(prefix=PREFIX)

    @router.post("/returns")
    def returns(ctx: Context = CTX, session: Session = DB) -> dict[str, str]:
        _write(session, "returned", ctx.now)
        return {"status": "ok"}

    @router.post("/raises")
    def raises(ctx: Context = CTX, session: Session = DB) -> dict[str, str]:
        _write(session, "raised", ctx.now)
        raise Conflict("TEST_CONFLICT", "Not this time.")

    @router.post("/counts-a-try")
    def counts_a_try(ctx: Context = CTX, session: Session = DB) -> dict[str, str]:
        _write(session, "counted", ctx.now)
        keep_failed_try(session)
        _write(session, "after-the-try", ctx.now)
        raise Invalid("CODE_INVALID", "This code is not right.")

    @router.post("/error-page")
    def error_page(request: Request, ctx: Context = CTX, session: Session = DB) -> Response:
        _write(session, "half-done", ctx.now)
        return render(request, "checklist.html", {}, 422)

    @router.post("/discards")
    def discards(request: Request, ctx: Context = CTX, session: Session = DB) -> dict[str, str]:
        _write(session, "discarded", ctx.now)
        discard(request)
        return {"status": "ok"}

    @router.post("/commits-by-hand")
    def commits_by_hand(ctx: Context = CTX, session: Session = DB) -> dict[str, str]:
        _write(session, "by-hand", ctx.now)
        session.commit()
        _write(session, "after-hand", ctx.now)
        return {"status": "ok"}

    return router


@pytest.fixture
def app_client(deps: Deps) -> Iterator[TestClient]:
    app: FastAPI = create_app(deps=deps)
    before = len(app.router.routes)
    app.include_router(_routes())
    # First, so that no tenant's path pattern catches them.
    app.router.routes[:] = app.router.routes[before:] + app.router.routes[:before]
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


def _kept(deps: Deps) -> set[str]:
    with deps.sessions() as session:
        return set(session.scalars(select(SmsReport.message_id)))


def test_a_route_that_returns_commits(app_client: TestClient, deps: Deps) -> None:
    assert app_client.post(f"{PREFIX}/returns").status_code == 200
    assert _kept(deps) == {"returned"}


def test_a_route_that_raises_leaves_nothing_written(app_client: TestClient, deps: Deps) -> None:
    answer = app_client.post(f"{PREFIX}/raises")
    assert answer.status_code == 409
    assert answer.json()["code"] == "TEST_CONFLICT"
    assert _kept(deps) == set()


def test_keep_failed_try_keeps_exactly_the_counted_try(app_client: TestClient, deps: Deps) -> None:
    answer = app_client.post(f"{PREFIX}/counts-a-try")
    assert answer.status_code == 422
    assert _kept(deps) == {"counted"}


def test_an_error_page_rendered_by_a_view_commits_nothing_half_done(
    app_client: TestClient, deps: Deps
) -> None:
    answer = app_client.post(f"{PREFIX}/error-page")
    assert answer.status_code == 422
    assert "text/html" in answer.headers["content-type"]
    assert _kept(deps) == set()


def test_a_discarded_request_keeps_nothing_though_it_answers_ok(
    app_client: TestClient, deps: Deps
) -> None:
    assert app_client.post(f"{PREFIX}/discards").status_code == 200
    assert _kept(deps) == set()


def test_a_route_that_still_commits_by_hand_keeps_all_it_wrote(
    app_client: TestClient, deps: Deps
) -> None:
    assert app_client.post(f"{PREFIX}/commits-by-hand").status_code == 200
    assert _kept(deps) == {"by-hand", "after-hand"}


def test_an_idempotent_replay_answers_the_committed_work_once(
    app_client: TestClient, deps: Deps
) -> None:
    key = {"Idempotency-Key": "uow-test-returns-0001"}
    first = app_client.post(f"{PREFIX}/returns", headers=key)
    again = app_client.post(f"{PREFIX}/returns", headers=key)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert _kept(deps) == {"returned"}


def test_an_idempotent_replay_of_a_failure_replays_it_and_keeps_nothing(
    app_client: TestClient, deps: Deps
) -> None:
    key = {"Idempotency-Key": "uow-test-raises-0001"}
    first = app_client.post(f"{PREFIX}/raises", headers=key)
    again = app_client.post(f"{PREFIX}/raises", headers=key)
    assert first.status_code == again.status_code == 409
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert _kept(deps) == set()


def test_a_sign_in_form_shown_again_keeps_no_half_counted_attempt(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    """The portal's sign-in counts the caller's address, then refuses the e-mail address
    that asked too often (429, the form again): the first count is not kept either."""
    world = factories.world(deps.sessions, clock.now())
    with transaction(deps.sessions) as session:
        acme = tenants.get(session, "acme")
        address = keyed_hash(deps.settings.secret_bytes, "addr", str(acme.id), world.email)[:40]
        limit = deps.settings.security.signin_per_address
        session.add_all(
            RateLimitHit(key=f"signin-addr:{address}", at=clock.now()) for _ in range(limit)
        )
    client.get("/acme/signin")  # the CSRF cookie
    csrf = str(client.cookies.get("resim_csrf"))
    answer = client.post("/acme/signin", data={"email": world.email, "csrf_token": csrf})
    assert answer.status_code == 429
    assert "text/html" in answer.headers["content-type"]
    with deps.sessions() as session:
        counted = session.scalars(select(RateLimitHit.key)).all()
    assert len(counted) == limit
    assert not [key for key in counted if key.startswith("signin-ip:")]
