"""A customer in a real browser: sign in with the e-mailed code, see the lines, suspend."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Live, page_in

pytestmark = pytest.mark.browser


def read_code_from_outbox(page: Page, live: Live, email: str) -> str:
    """As a demo user does: open the outbox page and read the newest code sent to the address."""
    outbox = page.context.new_page()
    deadline = time.monotonic() + 15
    while True:
        outbox.goto(f"{live.url}/outbox")
        messages = outbox.locator("article.message", has_text=email)
        if messages.count() > 0:
            text = messages.first.locator("pre").inner_text()
            outbox.close()
            match = re.search(r"\b(\d{6})\b", text)
            assert match
            return match.group(1)
        assert time.monotonic() < deadline, "the code never reached the outbox"
        time.sleep(0.2)


def sign_in(page: Page, live: Live, email: str, labels: dict[str, str]) -> None:
    page.goto(f"{live.url}/acme/signin")
    page.get_by_label(labels["email"]).fill(email)
    page.get_by_role("button", name=labels["send"]).click()
    code = read_code_from_outbox(page, live, email)
    page.get_by_label(labels["code"]).fill(code)
    page.get_by_role("button", name=labels["signin"]).click()
    expect(page).to_have_url(f"{live.url}/acme/lines")


LABELS = {
    "it": {
        "email": "Indirizzo e-mail",
        "send": "Inviami un codice",
        "code": "Codice",
        "signin": "Accedi",
        "heading": "Le tue linee",
        "suspend": "Sospendi la linea",
        "suspended": "La tua linea è sospesa.",
        "reactivate": "Riattiva la linea",
        "active_again": "La tua linea è di nuovo attiva.",
        "badge_suspended": "Sospesa",
    },
    "en": {
        "email": "E-mail address",
        "send": "Send me a code",
        "code": "Code",
        "signin": "Sign in",
        "heading": "Your lines",
        "suspend": "Suspend the line",
        "suspended": "Your line is suspended.",
        "reactivate": "Reactivate the line",
        "active_again": "Your line is active again.",
        "badge_suspended": "Suspended",
    },
    "zh": {
        "email": "电子邮件地址",
        "send": "发送验证码",
        "code": "验证码",
        "signin": "登录",
        "heading": "您的号码",
        "suspend": "停机",
        "suspended": "您的号码已停机。",
        "reactivate": "恢复号码",
        "active_again": "您的号码已恢复正常。",
        "badge_suspended": "已停机",
    },
}


@pytest.mark.parametrize("language", ["it", "en", "zh"])
def test_sign_in_and_see_the_status_in_each_language(
    browser: Browser, live: Live, language: str
) -> None:
    labels = LABELS[language]
    page = page_in(browser, language)
    sign_in(page, live, live.world.email, labels)
    expect(page.get_by_role("heading", level=1)).to_have_text(labels["heading"])
    for number in live.world.msisdns:
        expect(page.locator(f'article.line[data-msisdn="{number}"]')).to_be_visible()
    expect(page.locator("article.line")).to_have_count(2)
    page.context.close()


def test_suspend_and_reactivate_a_lost_line(
    browser: Browser, live: Live, screenshots: Path
) -> None:
    labels = LABELS["it"]
    page = page_in(browser, "it")
    sign_in(page, live, live.world.email, labels)
    number = live.world.msisdns[0]
    page.locator(f'article.line[data-msisdn="{number}"] a.button').click()
    page.get_by_label("Motivo").select_option("stolen")
    page.get_by_role("button", name=labels["suspend"]).click()
    expect(page.get_by_role("status")).to_contain_text(labels["suspended"])
    expect(page.locator("h1 .badge")).to_have_text(labels["badge_suspended"])
    expect(page.locator("ol.events li").first).to_contain_text("Linea sospesa (rubato)")
    page.screenshot(path=screenshots / "suspended-line.png", full_page=True)
    page.get_by_role("button", name=labels["reactivate"]).click()
    expect(page.get_by_role("status")).to_contain_text(labels["active_again"])
    page.goto(f"{live.url}/acme/lines")
    expect(page.locator(f'article.line[data-msisdn="{number}"] .badge')).to_have_text("Attiva")
    page.context.close()


def test_switching_language_keeps_the_page(browser: Browser, live: Live) -> None:
    page = page_in(browser, "it")
    page.goto(f"{live.url}/acme/signin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Accedi")
    page.get_by_role("link", name="中文").click()
    expect(page).to_have_url(f"{live.url}/acme/signin")
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    page.context.close()


def test_a_wrong_code_is_explained_in_the_page(browser: Browser, live: Live) -> None:
    page = page_in(browser, "en")
    page.goto(f"{live.url}/acme/signin")
    page.get_by_label("E-mail address").fill(live.world.email)
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("This code is wrong or has expired")
    page.context.close()
