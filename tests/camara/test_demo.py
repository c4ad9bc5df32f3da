"""The demo as a bank sees it: plain httpx against a live resim, with the README's client
credentials, gets answers that match the demo's recorded SIM changes."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select

from resim.app import create_app
from resim.db.engine import transaction
from resim.demo.data import DEMO_BANK, add_bank, load
from resim.deps import Deps
from resim.kit.clock import FixedClock
from resim.line.models import Line, LineEvent, LineEventKind
from tests.servers import serve


def test_a_bank_gets_right_answers_for_swapped_and_unswapped_demo_numbers(
    deps: Deps, clock: FixedClock
) -> None:
    with transaction(deps.sessions) as session:
        load(session, now=clock.now())
        add_bank(session, deps.settings, now=clock.now())
    # What the demo recorded, read straight from the lines' events.
    with deps.sessions() as session:
        latest: dict[str, dt.datetime] = {}
        rows = session.execute(
            select(Line.msisdn, LineEvent.at)
            .join(LineEvent, LineEvent.line_id == Line.id)
            .where(LineEvent.kind.in_((LineEventKind.SIM_CHANGED, LineEventKind.ACTIVATED)))
        )
        for msisdn, at in rows:
            latest[msisdn] = max(at, latest.get(msisdn, at))
    recent = sorted(n for n, at in latest.items() if at >= clock.now() - dt.timedelta(hours=240))
    quiet = sorted(n for n, at in latest.items() if at < clock.now() - dt.timedelta(hours=240))
    assert recent and quiet
    with serve(create_app(deps=deps)) as url, httpx.Client(base_url=url, timeout=10) as bank:
        issued = bank.post(
            "/camara/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "scope": "sim-swap:check sim-swap:retrieve-date",
            },
            auth=DEMO_BANK,
        )
        assert issued.status_code == 200, issued.text
        bank.headers["Authorization"] = f"Bearer {issued.json()['access_token']}"
        for number in recent[:5] + quiet[:5]:
            answer = bank.post("/camara/sim-swap/v2/check", json={"phoneNumber": number})
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"swapped": number in recent}, number
            dated = bank.post("/camara/sim-swap/v2/retrieve-date", json={"phoneNumber": number})
            body = dated.json()
            if latest[number] >= clock.now() - dt.timedelta(days=90):
                told = dt.datetime.fromisoformat(body["latestSimChange"].replace("Z", "+00:00"))
                assert abs(told - latest[number]) < dt.timedelta(milliseconds=1), number
            else:
                assert body == {"latestSimChange": None, "monitoredPeriod": 90}
