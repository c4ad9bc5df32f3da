"""The guided application in the portal, through its forms."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from resim.audit.models import AuditEvent
from resim.customer.models import Customer
from resim.deps import Deps
from resim.identity.specimen import render
from resim.kit.clock import FixedClock
from resim.kit.mrz import compose_td1
from tests import factories
from tests.helpers import deliver, last_code, last_sms
from tests.web.test_pages import CSRF, sign_in


def test_apply_through_the_portal_then_track_it(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    deps.settings.security.session_minutes = 24 * 60
    world = factories.world(deps.sessions, clock.now())
    with deps.sessions() as session:
        holder = session.get(Customer, world.customer_id)
        assert holder is not None
    client.headers["accept-language"] = "it"
    sign_in(client, deps, world.email)
    number = world.msisdns[0]
    assert "Sostituisci l&#39;eSIM" in client.get(f"/acme/lines/{number}").text
    page = client.get(f"/acme/lines/{number}/replace")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    started = client.post(
        f"/acme/lines/{number}/replace",
        data={"reason": "stolen", "csrf_token": token},
        follow_redirects=False,
    )
    assert started.status_code == 303
    url = started.headers["location"]
    page = client.get(url)
    assert "Bozza: non ancora inviata" in page.text and "Mi hanno rubato il telefono" in page.text

    # A wrong document number is explained next to its field, and nothing is saved.
    bad = client.post(
        f"{url}/document",
        data={
            "document_type": "cie",
            "document_number": "AA1234567",
            "document_country": "ITA",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422 and "non ha il formato del documento scelto" in bad.text
    mrz = compose_td1(
        document_number="CA12345AB",
        issuing_state="ITA",
        nationality="ITA",
        surname=holder.family_name,
        given_names=holder.given_name,
        birth_date=holder.birth_date,
        sex=holder.sex,
        expiry_date=dt.date(2030, 5, 1),
    )
    steps = [
        (
            "document",
            {
                "document_type": "cie",
                "document_number": "CA12345AB",
                "document_country": "ITA",
                "document_expiry": "2030-05-01",
                "mrz": mrz,
            },
        ),
        ("identity", {"codice_fiscale": holder.codice_fiscale, "self_declaration": "yes"}),
        ("contacts", {"contact_email": holder.email, "alt_phone": "+41 79 765 43 21"}),
        ("code/email", {}),
        ("code/sms", {}),
    ]
    for step, data in steps:
        saved = client.post(
            f"{url}/{step}", data={**data, "csrf_token": token}, follow_redirects=False
        )
        assert saved.status_code == 303, saved.text
    uploaded = client.post(
        f"{url}/upload/identity",
        data={"csrf_token": token},
        files={"file": ("cie.jpg", render(mrz, fmt="JPEG"), "image/jpeg")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text
    assert 'data-kind="identity"' in client.get(url).text
    deliver(deps)
    sms_code = re.search(r"\b(\d{6})\b", last_sms(deps, "+41797654321")).group(1)  # type: ignore[union-attr]
    for channel, code in (("email", last_code(deps, holder.email)), ("sms", sms_code)):
        client.post(f"{url}/code/{channel}", data={"code": code, "csrf_token": token})
    page = client.get(url)
    assert page.text.count("confermato") == 2
    assert "Questa sostituzione è gratuita." in page.text
    submitted = client.post(f"{url}/submit", data={"csrf_token": token})
    assert submitted.status_code != 422, re.findall(
        r"class=\"error\"[^>]*>([^<]*)<", submitted.text
    )
    assert 'data-state="awaiting_confirmation"' in submitted.text
    assert "Abbiamo avvisato il tuo numero" in submitted.text
    clock.advance(dt.timedelta(minutes=61))
    deliver(deps)
    page = client.get(url)
    assert 'class="app-state" data-state="code_ready"' in page.text
    assert "La tua nuova eSIM è pronta" in page.text
    assert re.findall(r'<li data-state="(\w+)"', page.text) == [
        "draft",
        "awaiting_confirmation",
        "approved",
        "provisioning",
        "code_ready",
    ]


def test_submitting_an_empty_draft_lists_what_is_missing(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    world = factories.world(deps.sessions, clock.now())
    client.headers["accept-language"] = "en"
    sign_in(client, deps, world.email)
    number = world.msisdns[0]
    token = CSRF.search(client.get(f"/acme/lines/{number}/replace").text).group(1)  # type: ignore[union-attr]
    url = client.post(
        f"/acme/lines/{number}/replace",
        data={"reason": "lost", "csrf_token": token},
        follow_redirects=False,
    ).headers["location"]
    refused = client.post(f"{url}/submit", data={"csrf_token": token})
    assert refused.status_code == 422
    for message in (
        "Give your identity document",
        "Sign the declaration of loss or theft, or upload the police report.",
        "Upload a photo or scan of your identity document.",
        "Confirm your contact e-mail address",
    ):
        assert message in refused.text
    again = client.post(
        f"/acme/lines/{number}/replace",
        data={"reason": "lost", "csrf_token": token},
        follow_redirects=False,
    )
    assert again.headers["location"] == url  # the open application, not a second one


def test_the_portal_refuses_another_holders_line_and_keeps_the_refusal(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    world = factories.world(deps.sessions, clock.now())
    sign_in(client, deps, world.email)
    page = client.get(f"/acme/lines/{world.msisdns[0]}/replace")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    refused = client.post(
        f"/acme/lines/{world.other_msisdn}/replace",
        data={"reason": "stolen", "csrf_token": token},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    with deps.sessions() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "replacement.refused_not_holder" in actions


def test_a_wrong_code_in_the_portal_is_counted(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    world = factories.world(deps.sessions, clock.now())
    sign_in(client, deps, world.email)
    number = world.msisdns[0]
    token = CSRF.search(client.get(f"/acme/lines/{number}/replace").text).group(1)  # type: ignore[union-attr]
    url = client.post(
        f"/acme/lines/{number}/replace",
        data={"reason": "lost", "csrf_token": token},
        follow_redirects=False,
    ).headers["location"]
    email = "new.address@example.it"
    form = {"contact_email": email, "csrf_token": token}
    assert client.post(f"{url}/contacts", data=form, follow_redirects=False).status_code == 303
    sent = client.post(f"{url}/code/email", data={"csrf_token": token}, follow_redirects=False)
    assert sent.status_code == 303
    deliver(deps)
    code = last_code(deps, email)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    tries = [
        client.post(f"{url}/code/email", data={"code": wrong, "csrf_token": token}).status_code
        for _ in range(5)
    ]
    assert tries == [422] * 5
    late = client.post(
        f"{url}/code/email", data={"code": code, "csrf_token": token}, follow_redirects=False
    )
    assert late.status_code == 422  # locked by the five counted tries


def test_the_objection_page_stops_the_change(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    from tests.replacement.world import Applicant

    applicant = Applicant(client, deps, clock)
    app_id = applicant.start()
    applicant.complete(app_id)
    applicant.call("POST", f"/applications/{app_id}/submit")
    deliver(deps)
    found = re.search(r"(/acme/objection/\S+)", last_sms(deps, applicant.world.msisdns[0]))
    assert found is not None
    link = found.group(1).rstrip(".")
    fresh = TestClient(client.app, headers={"accept-language": "zh"})
    page = fresh.get(link)
    assert "阻止更换 SIM" in page.text
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    done = fresh.post(link, data={"csrf_token": token})
    assert done.status_code == 200 and "SIM 更换已被阻止" in done.text
    assert applicant.call("GET", f"/applications/{app_id}").json()["state"] == "objected"


def test_the_demo_fills_in_a_sample_passport_of_the_holder(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    world = factories.world(deps.sessions, clock.now())
    client.headers["accept-language"] = "en"
    sign_in(client, deps, world.email)
    number = world.msisdns[0]
    token = CSRF.search(client.get(f"/acme/lines/{number}/replace").text).group(1)  # type: ignore[union-attr]
    url = client.post(
        f"/acme/lines/{number}/replace",
        data={"reason": "lost", "csrf_token": token},
        follow_redirects=False,
    ).headers["location"]
    filled = client.post(f"{url}/demo-sample", data={"csrf_token": token})
    assert filled.status_code == 200 and 'data-kind="identity"' in filled.text
    assert 'value="YA' in filled.text and "P&lt;ITA" in filled.text
    assert "codice_fiscale" in filled.text
    deps.settings.demo = False
    assert client.post(f"{url}/demo-sample", data={"csrf_token": token}).status_code == 404
