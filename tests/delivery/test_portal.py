"""The eSIM code on screen, by one-time link, in the operator's app; the cap."""

from __future__ import annotations

import datetime as dt
import html

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from resim.audit.models import AuditEvent
from resim.db.engine import transaction
from resim.delivery import qr
from resim.delivery.models import DeliveryLink
from resim.deps import Deps
from resim.kit.activation_code import ActivationCode
from resim.kit.clock import FixedClock
from resim.replacement.models import Application
from tests import factories
from tests.delivery.world import ALT_PHONE, LPA, code_of, code_ready, signed_in
from tests.helpers import CODE, api_token, deliver, last_sms
from tests.web.test_pages import CSRF

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126 Mobile"


def test_the_code_is_shown_after_a_fresh_sign_in_with_qr_and_manual_fields(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    ready = code_ready(deps, clock)
    csrf = signed_in(client, deps, ready)
    url = f"/acme/applications/{ready.app_id}"
    page = client.get(url)
    assert 'id="show-esim"' in page.text and "LPA:" not in page.text  # not before asking
    shown = client.post(f"{url}/esim", data={"csrf_token": csrf})
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    # What the SM-DP+ holds for the profile is what the customer sees, and what the QR says.
    code = code_of(deps, ready.app_id)
    held = next(p for p in factories.SANDBOX.store.profiles() if p.matching_id == code.matching_id)
    assert held.state == "Released"
    assert html.unescape(LPA.search(shown.text).group(0)) == code.lpa  # type: ignore[union-attr]
    assert qr.svg(code.lpa) in shown.text
    assert f'id="matching-id">{code.matching_id}<' in shown.text
    assert 'id="smdp-address">smdp.sandbox.resim.test<' in shown.text
    assert "data:image/png;base64," in shown.text
    assert "confirmation-code" not in shown.text  # this tenant uses none
    # The showing is audited, without the code.
    with deps.sessions() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "delivery.revealed"))
        assert event is not None and event.details["channel"] == "screen"
        assert code.matching_id not in str(event.details)

    # An hour later the sign-in is no longer fresh: sign in again first.
    clock.advance(dt.timedelta(minutes=deps.settings.security.fresh_signin_minutes + 1))
    deps.settings.security.session_minutes = 24 * 60
    again = client.post(f"{url}/esim", data={"csrf_token": csrf}, follow_redirects=False)
    assert again.status_code in (303, 307)


def test_each_phone_gets_its_own_install_route(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    ready = code_ready(deps, clock)
    csrf = signed_in(client, deps, ready)
    url = f"/acme/applications/{ready.app_id}/esim"
    code = code_of(deps, ready.app_id)
    iphone = client.post(url, data={"csrf_token": csrf}, headers={"user-agent": IPHONE})
    assert html.escape(code.apple_link) in iphone.text and 'id="apple-install"' in iphone.text
    android = client.post(url, data={"csrf_token": csrf}, headers={"user-agent": ANDROID})
    assert 'id="android-help"' in android.text and "esimsetup.apple.com" not in android.text
    desk = client.post(url, data={"csrf_token": csrf}, headers={"user-agent": "curl/8"})
    assert 'id="scan-help"' in desk.text and "esimsetup.apple.com" not in desk.text


def test_past_the_cap_the_customer_is_told_how_to_go_on(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    ready = code_ready(deps, clock, redownload_cap=2)
    csrf = signed_in(client, deps, ready)
    url = f"/acme/applications/{ready.app_id}"
    client.headers["accept-language"] = "it"
    for left in (1, 0):
        shown = client.post(f"{url}/esim", data={"csrf_token": csrf})
        assert shown.status_code == 200
        assert f"ancora {left} volte" in shown.text
    refused = client.post(f"{url}/esim", data={"csrf_token": csrf})
    assert refused.status_code == 409 and "LPA:" not in refused.text
    assert "nuova richiesta di sostituzione" in refused.text
    assert 'id="cap-reached"' in client.get(url).text


def test_the_operators_app_gets_the_code_and_apple_link(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    ready = code_ready(deps, clock, redownload_cap=3)
    token = api_token(client, deps, "acme", ready.email)
    auth = {"authorization": f"Bearer {token}"}
    url = f"/api/v1/acme/applications/{ready.app_id}/activation-code"
    answer = client.post(url, headers=auth)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    code = code_of(deps, ready.app_id)
    assert body["activationCode"] == code.lpa and body["matchingId"] == code.matching_id
    assert body["smdpAddress"] == "smdp.sandbox.resim.test"
    assert body["appleInstallLink"] == code.apple_link
    assert body["revealsLeft"] == 2 and body["confirmationCodeRequired"] is False
    assert ActivationCode.parse(body["activationCode"]) == code
    assert client.post(url).status_code == 401
    client.post(url, headers=auth)
    client.post(url, headers=auth)
    over = client.post(url, headers=auth)
    assert over.status_code == 409 and over.json()["code"] == "CAP_REACHED"


def test_the_sms_link_opens_with_a_code_sent_by_email(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    ready = code_ready(deps, clock, confirmation_code=True)
    csrf = signed_in(client, deps, ready)
    sent = client.post(
        f"/acme/applications/{ready.app_id}/esim/link/sms",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("note=link-sms")
    deliver(deps)
    text = last_sms(deps, ALT_PHONE)
    assert "LPA:" not in text and "iPhone" in text and "Android" in text
    link = text.split("http://testserver", 1)[1].split()[0] if "testserver" in text else None
    path = link or "/" + text.split("/", 3)[3].split()[0]
    assert path.startswith("/acme/d/")

    # The link alone shows nothing, and a GET sends nothing (link scanners).
    opened = client.get(path)
    assert opened.status_code == 200 and "LPA:" not in opened.text
    token = CSRF.search(opened.text).group(1)  # type: ignore[union-attr]
    client.post(f"{path}/code", data={"csrf_token": token})
    deliver(deps)
    assert deps.outbox is not None
    proof_mail = next(
        s.message.text
        for s in deps.outbox.messages()
        if s.message.to == ready.contact_email and "/acme/d/" not in s.message.text
    )
    proof = CODE.search(proof_mail).group(1)  # type: ignore[union-attr]
    # The confirmation code travels with the e-mail, never beside the activation code.
    code = code_of(deps, ready.app_id)
    assert code.confirmation_code_required and "LPA:" not in proof_mail
    other = "000000" if proof != "000000" else "111111"
    wrong = client.post(path, data={"code": other, "csrf_token": token})
    assert wrong.status_code == 422 and "LPA:" not in wrong.text
    shown = client.post(path, data={"code": proof, "csrf_token": token})
    assert shown.status_code == 200
    assert html.unescape(LPA.search(shown.text).group(0)) == code.lpa  # type: ignore[union-attr]
    assert 'id="confirmation-code-elsewhere"' in shown.text
    # The sandbox device downloads with the confirmation code from the e-mail.
    confirmation = proof_mail.rsplit(":", 1)[1].strip()
    eid = "89049032111111111111111111111158"
    assert not factories.SANDBOX.download(code.matching_id, eid, "00000000").ok
    assert factories.SANDBOX.download(code.matching_id, eid, confirmation).ok
    # Used once: the link is gone.
    assert client.get(path).status_code == 404
    with deps.sessions() as session:
        used = session.scalar(select(DeliveryLink).where(DeliveryLink.used_at.is_not(None)))
        assert used is not None and used.proof_tries == 1


def test_a_link_needs_a_verified_phone_and_bad_links_change_nothing(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    ready = code_ready(deps, clock)
    with transaction(deps.sessions) as session:
        app = session.get(Application, ready.app_id)
        assert app is not None
        app.alt_phone_verified_at = None
        before = session.scalar(select(func.count()).select_from(DeliveryLink))
    csrf = signed_in(client, deps, ready)
    url = f"/acme/applications/{ready.app_id}/esim/link"
    assert client.post(f"{url}/fax", data={"csrf_token": csrf}).status_code == 422
    refused = client.post(f"{url}/sms", data={"csrf_token": csrf})
    assert refused.status_code == 422 and "numero di telefono verificato" in refused.text
    assert client.post(f"{url}/email", data={"csrf_token": csrf}).status_code == 422
    assert client.get("/acme/d/not-a-real-link").status_code == 404
    with deps.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DeliveryLink)) == before


def test_the_email_link_sent_when_the_code_is_ready_opens_with_a_code_by_sms(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    ready = code_ready(deps, clock)  # e-mail is the first channel: its link went out already
    deliver(deps)
    assert deps.outbox is not None
    mail = next(
        s.message.text for s in deps.outbox.messages() if s.message.to == ready.contact_email
    )
    assert "LPA:" not in mail and "iPhone" in mail
    path = "/acme/d/" + mail.split("/acme/d/", 1)[1].split()[0]
    token = CSRF.search(client.get(path).text).group(1)  # type: ignore[union-attr]
    client.post(f"{path}/code", data={"csrf_token": token})
    client.post(f"{path}/code", data={"csrf_token": token})  # a second press sends nothing
    deliver(deps)
    assert deps.sms_outbox is not None
    assert len([s for s in deps.sms_outbox.messages() if s.message.to == ALT_PHONE]) == 1
    proof = CODE.search(last_sms(deps, ALT_PHONE)).group(1)  # type: ignore[union-attr]
    shown = client.post(path, data={"code": proof, "csrf_token": token})
    assert shown.status_code == 200
    code = code_of(deps, ready.app_id)
    assert html.unescape(LPA.search(shown.text).group(0)) == code.lpa  # type: ignore[union-attr]
