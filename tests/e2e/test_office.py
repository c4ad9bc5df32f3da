"""The back office in Chromium: TOTP sign-in, review and approval, four eyes, the audit
chain."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pyotp
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from resim.agent import service as agents
from resim.agent.roles import Role
from resim.audit.service import Actor
from resim.config import Settings
from resim.db.engine import transaction
from resim.deps import build_deps
from tests.e2e.conftest import Live, page_in
from tests.office.world import PASSWORD, waiting


def _member(live: Live, settings: Settings, role: Role) -> tuple[str, str]:
    deps = build_deps(settings)
    secret = pyotp.random_base32()
    email = f"{role.value}.{uuid.uuid4().hex[:6]}@acme.staff.example"
    with transaction(deps.sessions) as session:
        agents.create_ready(
            session,
            settings,
            live.world.tenant_id,
            email=email,
            name=role.value.title(),
            role=role,
            password=PASSWORD,
            totp_secret=secret,
            at=deps.clock.now(),
            actor=Actor("cli"),
        )
    deps.close()
    return email, secret


def _sign_in(
    page: Page, live: Live, email: str, secret: str, target: str = "/acme/office/"
) -> None:
    page.goto(f"{live.url}{target}")
    expect(page).to_have_url(f"{live.url}/acme/office/signin?next={target}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("button[type=submit]")
    expect(page.locator("#signout")).to_be_visible()


def _sessions(live: Live) -> sessionmaker:  # type: ignore[type-arg]
    return sessionmaker(create_engine(live.db_url))


def _state(page: Page) -> str | None:
    return page.locator("#app-state").get_attribute("data-state")


def test_an_agent_signs_in_with_totp_and_approves_a_medium_risk_application(
    browser: Browser, live: Live, settings: Settings, screenshots: Path
) -> None:
    email, secret = _member(live, settings, Role.AGENT)
    sessions = _sessions(live)
    from resim.kit.clock import SystemClock

    app_id = waiting(sessions, SystemClock().now())
    page = page_in(browser, "it")
    _sign_in(page, live, email, secret)
    page.click("text=Coda di esame")
    row = page.locator(f'tr[data-app="{app_id}"]')
    expect(row).to_contain_text("RECENT_SIM_CHANGE")
    row.locator("a").click()
    expect(page.locator("#risk-reasons")).to_contain_text("La SIM di questa linea è cambiata")
    page.click("#claim")
    page.fill("#approve-note", "Intestatario richiamato al numero alternativo")
    page.screenshot(path=screenshots / "office-review-it.png", full_page=True)
    page.click("#approve")
    expect(page.locator("#decided")).to_be_visible()
    page.goto(f"{live.url}/acme/office/applications/{app_id}")
    deadline = time.monotonic() + 20
    while _state(page) != "code_ready":  # provisioned by the workflow, nobody else acting
        assert time.monotonic() < deadline, f"stuck in {_state(page)}"
        time.sleep(0.3)
        page.reload()
    page.context.close()


def test_a_high_risk_application_needs_a_supervisors_second_approval(
    browser: Browser, live: Live, settings: Settings, screenshots: Path
) -> None:
    agent_email, agent_secret = _member(live, settings, Role.AGENT)
    boss_email, boss_secret = _member(live, settings, Role.SUPERVISOR)
    from resim.kit.clock import SystemClock

    app_id = waiting(_sessions(live), SystemClock().now(), high=True)
    review = f"/acme/office/applications/{app_id}"
    agent = page_in(browser, "en")
    _sign_in(agent, live, agent_email, agent_secret, review)
    agent.click("#claim")
    expect(agent.locator("#approve")).to_contain_text("first of two")
    agent.click("#approve")
    agent.goto(f"{live.url}{review}")
    assert _state(agent) == "in_review"
    expect(agent.locator("#risk-score")).to_contain_text("approvals 1 of 2")
    agent.click("#claim")  # the same person cannot give the second approval
    expect(agent.locator("#review-error")).to_contain_text("someone else")
    boss = page_in(browser, "en")
    _sign_in(boss, live, boss_email, boss_secret, review)
    boss.click("#claim")
    boss.click("#approve")
    boss.goto(f"{live.url}{review}")
    assert _state(boss) in ("approved", "provisioning", "code_ready")
    boss.screenshot(path=screenshots / "office-four-eyes-en.png", full_page=True)
    agent.context.close()
    boss.context.close()


def test_an_auditor_verifies_the_chain_and_exports_it(
    browser: Browser, live: Live, settings: Settings, screenshots: Path
) -> None:
    email, secret = _member(live, settings, Role.AUDITOR)
    page = page_in(browser, "zh")
    _sign_in(page, live, email, secret)
    page.click("nav.office a[href$='/office/audit']")
    expect(page.locator("#events")).to_contain_text("agent.signed_in")
    page.click("#verify-chain")
    expect(page.locator("#chain-result")).to_have_attribute("data-holds", "yes")
    expect(page.locator("#chain-result")).to_contain_text("链完整")
    page.screenshot(path=screenshots / "office-audit-zh.png", full_page=True)
    with page.expect_download() as download:
        page.click("nav.office a[href$='/office/audit']")
        page.click("#export")
    text = download.value.path().read_text(encoding="utf-8")
    assert text.startswith("seq,at,actor_type") and "agent.signed_in" in text
    page.context.close()
