"""After the code: expiry and asking again, installation tracked, the fee and its receipt,
and no secret in the logs of a whole replacement."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from resim.app import create_app
from resim.billing.models import Charge
from resim.db.engine import transaction
from resim.delivery import schedule
from resim.deps import Deps, keyring
from resim.kit.clock import FixedClock
from resim.line.models import EsimProfile, Line, LineState, ProfileState
from resim.provisioning import service as provisioning
from resim.smdp_sandbox.server import Notifier
from tests import factories
from tests.delivery.world import code_of, code_ready, run, signed_in
from tests.helpers import deliver
from tests.provisioning.world import state_of
from tests.servers import serve

EID = "89049032111111111111111111111158"


@pytest.fixture
def notifier(deps: Deps) -> Iterator[Notifier]:
    """The sandbox tells resim, served over HTTP, what the device did."""
    with serve(create_app(deps=deps)) as url:
        yield Notifier(url, deps.settings.smdp.notify_token.get_secret_value())


def _sandbox_state(iccid: str) -> str:
    return next(p.state for p in factories.SANDBOX.store.profiles() if p.iccid == iccid)


def test_an_unused_code_expires_is_cancelled_and_the_customer_asks_again(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    deps.settings.security.session_minutes = 24 * 60
    deps.settings.security.fresh_signin_minutes = 24 * 60
    ready = code_ready(deps, clock, activation_code_expiry_hours=2, redownload_cap=3)
    first = code_of(deps, ready.app_id)
    with deps.sessions() as session:
        prov = provisioning.for_application(session, ready.app_id)
        assert prov is not None and prov.new_iccid is not None
        first_iccid = prov.new_iccid
    csrf = signed_in(client, deps, ready)
    url = f"/acme/applications/{ready.app_id}"
    assert client.post(f"{url}/esim", data={"csrf_token": csrf}).status_code == 200
    # Asking again while the code still works is refused.
    assert client.post(f"{url}/esim/again", data={"csrf_token": csrf}).status_code == 409

    clock.advance(dt.timedelta(hours=2, minutes=1))
    run(deps, clock)
    assert _sandbox_state(first_iccid) == "Unavailable"  # cancelOrder, never handed out again
    with deps.sessions() as session:
        profile = session.scalar(select(EsimProfile).where(EsimProfile.iccid == first_iccid))
        assert profile is not None and profile.state == ProfileState.UNAVAILABLE
        found = schedule.of(session, ready.app_id)
        assert found is not None and found.released_at is not None
    page = client.get(url)
    assert 'id="code-expired"' in page.text and 'id="ask-again"' in page.text
    refused = client.post(f"{url}/esim", data={"csrf_token": csrf})
    assert refused.status_code == 409

    again = client.post(f"{url}/esim/again", data={"csrf_token": csrf}, follow_redirects=False)
    assert again.status_code == 303
    run(deps, clock)
    assert state_of(deps.sessions, ready.app_id)[0] == "code_ready"
    second = code_of(deps, ready.app_id)
    assert second.matching_id != first.matching_id
    with deps.sessions() as session:
        line = session.get(Line, ready.case.line_id)
        prov = provisioning.for_application(session, ready.app_id)
        assert line is not None and prov is not None
        assert prov.round == 2 and line.iccid == prov.new_iccid != first_iccid
        assert prov.old_iccid == first_iccid  # the number moved on from the cancelled one
        found = schedule.of(session, ready.app_id)
        assert found is not None and (found.reveals, found.released_at) == (1, None)
    # The cap (three) counts across rounds: one showing before, two now, then no more.
    for status in (200, 200, 409):
        assert client.post(f"{url}/esim", data={"csrf_token": csrf}).status_code == status


def test_installation_is_tracked_and_the_fee_charged_to_credit_with_a_receipt(
    client: TestClient, deps: Deps, clock: FixedClock, notifier: Notifier
) -> None:
    ready = code_ready(deps, clock, fee=(1000, "credit", None))
    with transaction(deps.sessions) as session:
        line = session.get(Line, ready.case.line_id)
        assert line is not None
        line.credit_cents = 2500
    code = code_of(deps, ready.app_id)
    assert factories.SANDBOX.download(code.matching_id, EID, None).ok
    notifier.deliver(factories.SANDBOX)
    with deps.sessions() as session:
        found = schedule.of(session, ready.app_id)
        assert found is not None and found.downloads == 1  # a download counts against the cap
    with deps.sessions() as session:
        prov = provisioning.for_application(session, ready.app_id)
        assert prov is not None and prov.new_iccid is not None
        iccid = prov.new_iccid
    assert factories.SANDBOX.install(iccid).ok
    notifier.deliver(factories.SANDBOX)
    assert state_of(deps.sessions, ready.app_id)[0] == "installed"
    with deps.sessions() as session:
        line = session.get(Line, ready.case.line_id)
        charge = session.scalar(select(Charge).where(Charge.application_id == ready.app_id))
        assert line is not None and charge is not None
        assert line.state == LineState.ACTIVE and line.credit_cents == 1500
        assert (charge.amount_cents, charge.charge_to, charge.credit_after_cents) == (
            1000,
            "credit",
            1500,
        )
    # The receipt: by e-mail in the holder's language (Italian), and in the portal.
    deliver(deps)
    assert deps.outbox is not None
    mail = next(
        s.message
        for s in deps.outbox.messages()
        if s.message.to == ready.email and charge.receipt_number in s.message.subject
    )
    assert "10,00" in mail.text and "credito prepagato" in mail.text
    assert "Credito residuo: 15,00" in mail.text
    signed_in(client, deps, ready)
    page = client.get(f"/acme/applications/{ready.app_id}")
    assert 'id="receipt"' in page.text and charge.receipt_number in page.text
    # The timeline shows the download, then the installation.
    assert page.text.index('data-profile="downloaded"') < page.text.index(
        '<li data-state="installed"'
    )


@pytest.mark.parametrize(
    ("fee", "reason", "expected"),
    [
        ((1000, "bill", None), "lost", (1000, "bill", None, "prossima bolletta")),
        ((0, "none", "faulty_sim"), "faulty", (0, "none", "faulty_sim", "era difettosa")),
        (
            (0, "none", "free_allowance"),
            "lost",
            (0, "none", "free_allowance", "prima sostituzione"),
        ),
    ],
)
def test_postpaid_and_free_replacements_are_recorded_with_their_reason(
    deps: Deps,
    clock: FixedClock,
    notifier: Notifier,
    fee: tuple[int, str, str | None],
    reason: str,
    expected: tuple[int, str, str | None, str],
) -> None:
    ready = code_ready(deps, clock, fee=fee, reason=reason)
    with deps.sessions() as session:
        line = session.get(Line, ready.case.line_id)
        assert line is not None
        credit = line.credit_cents
    code = code_of(deps, ready.app_id)
    assert factories.SANDBOX.download(code.matching_id, EID, None).ok
    with deps.sessions() as session:
        prov = provisioning.for_application(session, ready.app_id)
        assert prov is not None and prov.new_iccid is not None
    assert factories.SANDBOX.install(prov.new_iccid).ok
    notifier.deliver(factories.SANDBOX)
    with deps.sessions() as session:
        charge = session.scalar(select(Charge).where(Charge.application_id == ready.app_id))
        line = session.get(Line, ready.case.line_id)
        assert charge is not None and line is not None
        assert (charge.amount_cents, charge.charge_to, charge.free_reason) == expected[:3]
        assert line.credit_cents == credit  # nothing taken from the credit
    deliver(deps)
    assert deps.outbox is not None
    mail = next(
        s.message
        for s in deps.outbox.messages()
        if s.message.to == ready.email and charge.receipt_number in s.message.subject
    )
    assert expected[3] in mail.text


def test_a_failed_installation_lets_the_customer_ask_again(
    client: TestClient, deps: Deps, clock: FixedClock, notifier: Notifier
) -> None:
    ready = code_ready(deps, clock)
    code = code_of(deps, ready.app_id)
    assert factories.SANDBOX.download(code.matching_id, EID, None).ok
    with deps.sessions() as session:
        prov = provisioning.for_application(session, ready.app_id)
        assert prov is not None and prov.new_iccid is not None
        iccid = prov.new_iccid
    assert not factories.SANDBOX.install(iccid, success=False).ok
    notifier.deliver(factories.SANDBOX)
    csrf = signed_in(client, deps, ready)
    url = f"/acme/applications/{ready.app_id}"
    page = client.get(url)
    assert 'id="code-expired"' in page.text and 'id="ask-again"' in page.text
    assert 'data-profile="install_failed"' in page.text
    client.post(f"{url}/esim/again", data={"csrf_token": csrf})
    run(deps, clock)
    assert state_of(deps.sessions, ready.app_id)[0] == "code_ready"
    assert _sandbox_state(iccid) == "Unavailable"
    assert code_of(deps, ready.app_id).matching_id != code.matching_id


def test_no_activation_or_confirmation_code_reaches_the_logs(
    client: TestClient,
    deps: Deps,
    clock: FixedClock,
    notifier: Notifier,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    ready = code_ready(deps, clock, confirmation_code=True)
    csrf = signed_in(client, deps, ready)
    url = f"/acme/applications/{ready.app_id}"
    client.post(f"{url}/esim", data={"csrf_token": csrf})
    client.post(f"{url}/esim/link/sms", data={"csrf_token": csrf})
    deliver(deps)
    code = code_of(deps, ready.app_id)
    with deps.sessions() as session:
        prov = provisioning.for_application(session, ready.app_id)
        assert prov is not None and prov.new_iccid is not None
        confirmation = provisioning.confirmation_code(keyring(deps), prov)
    assert confirmation is not None
    assert factories.SANDBOX.download(code.matching_id, EID, confirmation).ok
    assert factories.SANDBOX.install(prov.new_iccid).ok
    notifier.deliver(factories.SANDBOX)
    deliver(deps)
    assert state_of(deps.sessions, ready.app_id)[0] == "installed"
    captured = capsys.readouterr()
    logs = captured.out + captured.err + caplog.text
    assert "job.done" in logs  # the logs were captured
    for secret in (code.matching_id, code.lpa, confirmation):
        assert secret not in logs
