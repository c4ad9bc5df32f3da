"""Apply for a replacement in a real browser: low risk is approved by itself, risky waits."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect
from sqlalchemy.orm import Session, sessionmaker

from resim.customer.models import Customer
from resim.db.engine import make_engine, make_sessionmaker, transaction
from resim.identity.specimen import render
from resim.kit.activation_code import ActivationCode
from resim.kit.mrz import compose_td3
from resim.line.models import LineEvent, LineEventKind
from resim.line.service import find_line
from resim.smdp_sandbox.server import Notifier
from resim.tenant.service import get as get_tenant
from tests import factories
from tests.e2e.conftest import Live, page_in
from tests.e2e.test_portal import LABELS, sign_in

pytestmark = pytest.mark.browser
ALT_PHONE = "+41797654321"
EID = "89049032111111111111111111111158"
HEADINGS = {"it": "La tua richiesta", "en": "Your application", "zh": "您的申请"}


def _sessions(live: Live) -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(live.db_url))


def _prepare(live: Live, *, sim_changed: bool) -> Customer:
    sessions = _sessions(live)
    with transaction(sessions) as session:
        tenant = get_tenant(session, "acme")
        tenant.policy = {**tenant.policy, "confirmation_window_minutes": 0}  # strongly verified
        if sim_changed:
            line = find_line(session, tenant.id, live.world.msisdns[0])
            assert line is not None
            session.add(
                LineEvent(
                    tenant_id=tenant.id,
                    line_id=line.id,
                    seq=50,
                    kind=LineEventKind.SIM_CHANGED,
                    at=dt.datetime.now(dt.UTC) - dt.timedelta(days=2),
                    actor="system",
                    reason=None,
                    details={},
                )
            )
        holder = session.get(Customer, live.world.customer_id)
        assert holder is not None
        session.expunge(holder)
    return holder


def _code_from_outbox(page: Page, live: Live, selector: str, to: str) -> str:
    outbox = page.context.new_page()
    deadline = time.monotonic() + 15
    try:
        while True:
            outbox.goto(f"{live.url}/outbox")
            found = outbox.locator(selector, has_text=to)
            if found.count():
                match = re.search(r"\b(\d{6})\b", found.first.locator("pre").inner_text())
                assert match
                return match.group(1)
            assert time.monotonic() < deadline, f"no message to {to}"
            time.sleep(0.2)
    finally:
        outbox.close()


def _apply(page: Page, live: Live, holder: Customer) -> None:
    number = live.world.msisdns[0]
    page.goto(f"{live.url}/acme/lines/{number}/replace")
    page.locator('input[name="reason"][value="lost"]').check()
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(re.compile(".+"))
    mrz = compose_td3(
        document_number="YA1234567",
        issuing_state="ITA",
        nationality="ITA",
        surname=holder.family_name,
        given_names=holder.given_name,
        birth_date=holder.birth_date,
        sex=holder.sex,
        expiry_date=dt.date(2031, 6, 1),
    )
    page.select_option("#document_type", "passport")
    page.fill("#document_number", "YA1234567")
    page.fill("#document_country", "ITA")
    page.fill("#document_expiry", "2031-06-01")
    page.fill("#mrz", mrz)
    page.locator("#step-document > form:first-of-type button[type=submit]").click()
    page.set_input_files(
        "#identity-file",
        files=FilePayload(name="passport.png", mimeType="image/png", buffer=render(mrz)),
    )
    page.locator("#upload-identity button[type=submit]").click()
    expect(page.locator('.uploaded[data-kind="identity"]')).to_be_visible()
    page.fill("#codice_fiscale", holder.codice_fiscale)
    page.check('input[name="self_declaration"]')
    page.locator("#step-identity > form:first-of-type button[type=submit]").click()
    page.fill("#contact_email", holder.email)
    page.fill("#alt_phone", ALT_PHONE)
    page.locator("#step-contacts > form button[type=submit]").click()
    for channel, selector, to in (
        ("email", "article.message:not(.sms)", holder.email),
        ("sms", "article.message.sms", ALT_PHONE),
    ):
        page.locator(f'.verify[data-channel="{channel}"] form.inline button').click()
        code = _code_from_outbox(page, live, selector, to)
        page.fill(f"#{channel}-code", code)
        page.locator(f'.verify[data-channel="{channel}"] form:not(.inline) button').click()
        expect(page.locator(f'.verify[data-channel="{channel}"] .notice')).to_be_visible()
    page.locator("#step-submit button[type=submit]").click()


def _wait_for_state(page: Page, state: str) -> None:
    deadline = time.monotonic() + 15
    while page.locator(".app-state").get_attribute("data-state") != state:
        assert time.monotonic() < deadline, f"never reached {state}"
        time.sleep(0.3)
        page.reload()


@pytest.mark.parametrize("language", ["it", "en", "zh"])
def test_a_low_risk_application_is_approved_and_provisioned_automatically(
    browser: Browser, live: Live, language: str, screenshots: Path
) -> None:
    holder = _prepare(live, sim_changed=False)
    page = page_in(browser, language)
    sign_in(page, live, live.world.email, LABELS[language])
    _apply(page, live, holder)
    expect(page.locator("h1")).to_have_text(HEADINGS[language])
    _wait_for_state(page, "code_ready")
    states = page.locator("ol.timeline li").evaluate_all("items => items.map(i => i.dataset.state)")
    assert states == ["draft", "awaiting_confirmation", "approved", "provisioning", "code_ready"]
    expect(page.locator("#code-ready")).to_be_visible()
    _deliver_and_install(page, live, holder, language, screenshots)
    page.context.close()


# Messages go out in the holder's own language, whatever the browser's.
PROOF_WORDS = {"it": "aprire il link", "en": "open your eSIM link", "zh": "打开 eSIM 链接"}
# The holder's first replacement in twelve months: free, and the receipt says why.
PAID = {"it": "prima sostituzione", "en": "first replacement in twelve months", "zh": "首次更换"}


def _from_outbox(page: Page, live: Live, selector: str, to: str, pattern: str, word: str) -> str:
    """The first group of ``pattern`` in the newest message to ``to`` that contains ``word``."""
    outbox = page.context.new_page()
    deadline = time.monotonic() + 15
    try:
        while True:
            outbox.goto(f"{live.url}/outbox")
            for text in outbox.locator(selector, has_text=to).locator("pre").all_inner_texts():
                match = re.search(pattern, text)
                if word in text and match:
                    return match.group(1)
            assert time.monotonic() < deadline, f"no such message to {to}"
            time.sleep(0.2)
    finally:
        outbox.close()


def _deliver_and_install(
    page: Page, live: Live, holder: Customer, language: str, screenshots: Path
) -> None:
    """The code on screen, the SMS link followed from the outbox, the sandbox playing the
    phone, then the line active again and the receipt."""
    app_url = page.url
    page.locator("#show-esim").click()
    expect(page.locator("#qr svg")).to_be_visible()
    code = ActivationCode.parse(page.locator("#activation-code").input_value())
    assert page.locator("#matching-id").inner_text() == code.matching_id
    page.screenshot(path=screenshots / f"esim-code-{language}.png", full_page=True)

    page.goto(app_url)
    page.locator("#link-sms").click()
    expect(page.locator("#link-sent")).to_be_visible()
    link = _from_outbox(page, live, "article.message.sms", ALT_PHONE, r"(/acme/d/[\w-]+)", "/d/")
    page.goto(live.url + link)
    assert "LPA:" not in page.content()  # the link alone reveals nothing
    page.locator("#send-proof button").click()
    proof = _from_outbox(
        page,
        live,
        "article.message:not(.sms)",
        holder.email,
        r"\b(\d{6})\b",
        PROOF_WORDS[holder.language],
    )
    page.fill("#code", proof)
    page.locator("#open-link button").click()
    expect(page.locator("#qr svg")).to_be_visible()
    assert ActivationCode.parse(page.locator("#activation-code").input_value()) == code
    page.screenshot(path=screenshots / f"esim-link-{language}.png", full_page=True)

    # The SM-DP+ sandbox plays the phone: download, install, and it tells resim.
    iccid = next(
        p.iccid for p in factories.SANDBOX.store.profiles() if p.matching_id == code.matching_id
    )
    assert factories.SANDBOX.download(code.matching_id, EID, None).ok
    assert factories.SANDBOX.install(iccid).ok
    # (The session's sandbox may hold other tests' notices too: resim ignores unknown ICCIDs.)
    assert Notifier(live.url, live.notify_token).deliver(factories.SANDBOX) >= 2
    page.goto(app_url)
    _wait_for_state(page, "installed")
    expect(page.locator("#receipt")).to_be_visible()
    assert PAID[language] in page.locator("#receipt-payment").inner_text()
    page.screenshot(path=screenshots / f"esim-installed-{language}.png", full_page=True)
    page.goto(f"{live.url}/acme/lines/{live.world.msisdns[0]}")
    expect(page.locator(".badge.state-active").first).to_be_visible()


def test_a_risky_application_waits_for_review(
    browser: Browser, live: Live, screenshots: Path
) -> None:
    holder = _prepare(live, sim_changed=True)
    page = page_in(browser, "en")
    sign_in(page, live, live.world.email, LABELS["en"])
    _apply(page, live, holder)
    _wait_for_state(page, "in_review")
    expect(page.locator(".app-state")).to_contain_text("Being checked by our staff")
    page.screenshot(path=screenshots / "application-in-review.png", full_page=True)
    page.context.close()
