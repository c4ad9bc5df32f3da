"""Applying for a replacement through the API, on both databases."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from resim.audit.models import AuditEvent
from resim.audit.service import Actor
from resim.customer.models import Customer
from resim.customer.service import change_contacts
from resim.db.engine import transaction
from resim.deps import Deps
from resim.kit.clock import FixedClock
from resim.kit.codice_fiscale import CodiceFiscale
from resim.line.models import LineEvent, LineEventKind
from resim.line.service import find_line
from tests.helpers import deliver, last_code, last_sms
from tests.replacement.world import Applicant


@pytest.fixture
def applicant(client: TestClient, deps: Deps, clock: FixedClock) -> Applicant:
    return Applicant(client, deps, clock)


def test_a_low_risk_application_is_approved_and_provisioned_when_the_window_ends(
    applicant: Applicant,
) -> None:
    app_id = applicant.start()
    applicant.complete(app_id)
    answer = applicant.call("POST", f"/applications/{app_id}/submit")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["state"] == "awaiting_confirmation" and body["riskScore"] == 0
    assert {c["code"] for c in body["checks"]} >= {
        "MRZ_MATCHES_DOCUMENT",
        "MRZ_MATCHES_HOLDER",
        "CODICE_FISCALE_MATCHES",
        "ALT_PHONE_VERIFIED",
    }
    assert all(c["passed"] for c in body["checks"])
    assert body["fee"]["amountCents"] == 0 and body["fee"]["freeReason"] == "free_allowance"
    deliver(applicant.deps)
    # AGCOM 86/21/CIR: the line's own number is told, with a link to object.
    warning = last_sms(applicant.deps, applicant.world.msisdns[0])
    assert "/acme/objection/" in warning and "60" in warning
    applicant.end_window()
    body = applicant.call("GET", f"/applications/{app_id}").json()
    # Approved, then provisioned by the workflow against the SM-DP+ sandbox.
    assert body["state"] == "code_ready"
    assert [e["state"] for e in body["timeline"]] == [
        "draft",
        "awaiting_confirmation",
        "approved",
        "provisioning",
        "code_ready",
    ]
    assert applicant.deps.outbox is not None
    texts = [m.message.text for m in applicant.deps.outbox.messages()]
    assert any("è approvata" in t for t in texts)  # the holder reads Italian
    assert f"eSIM per {applicant.world.msisdns[0]} è pronta" in texts[0]


def test_a_recent_sim_change_sends_the_application_to_review(applicant: Applicant) -> None:
    deps, world = applicant.deps, applicant.world
    with transaction(deps.sessions) as session:
        line = find_line(session, world.tenant_id, world.msisdns[0])
        assert line is not None
        session.add(
            LineEvent(
                tenant_id=line.tenant_id,
                line_id=line.id,
                seq=99,
                kind=LineEventKind.SIM_CHANGED,
                at=applicant.clock.now() - dt.timedelta(days=3),
                actor="system",
                reason=None,
                details={},
            )
        )
    app_id = applicant.start()
    applicant.complete(app_id)
    body = applicant.call("POST", f"/applications/{app_id}/submit", lang="it").json()
    assert body["riskReasons"][0]["code"] == "RECENT_SIM_CHANGE"
    assert (
        body["riskReasons"][0]["detail"]
        == "La SIM di questa linea è cambiata negli ultimi 30 giorni."
    )
    applicant.end_window()
    assert applicant.call("GET", f"/applications/{app_id}").json()["state"] == "in_review"


def test_a_passport_of_someone_else_goes_to_two_reviewers(applicant: Applicant) -> None:
    app_id = applicant.start()
    applicant.complete(app_id, surname="Verdi", given_names="Paolo", sex="M")
    body = applicant.call("POST", f"/applications/{app_id}/submit").json()
    assert body["state"] == "awaiting_confirmation"
    assert "MRZ_MISMATCH" in [r["code"] for r in body["riskReasons"]]
    failed = [c["code"] for c in body["checks"] if not c["passed"]]
    assert failed == ["MRZ_MATCHES_HOLDER"]
    with applicant.deps.sessions() as session:
        from resim.replacement.models import Application

        assert session.scalars(select(Application.route)).one() == "four_eyes"


def test_an_objection_stops_the_change(applicant: Applicant) -> None:
    app_id = applicant.start()
    applicant.complete(app_id)
    applicant.call("POST", f"/applications/{app_id}/submit")
    deliver(applicant.deps)
    link = re.search(r"/acme/objection/(\S+)", last_sms(applicant.deps, applicant.world.msisdns[0]))
    assert link
    objection = link.group(1).rstrip(".")
    assert applicant.client.post(f"/api/v1/acme/objections/{objection}").status_code == 204
    applicant.end_window()
    body = applicant.call("GET", f"/applications/{app_id}").json()
    assert body["state"] == "objected"
    assert applicant.client.post("/api/v1/acme/objections/forged-token").status_code == 404


def test_submission_refused_lists_what_is_missing_and_changes_nothing(applicant: Applicant) -> None:
    app_id = applicant.start()
    answer = applicant.call("POST", f"/applications/{app_id}/submit", lang="zh")
    assert answer.status_code == 422 and answer.json()["code"] == "DOCUMENT_GIVEN"
    assert applicant.call("GET", f"/applications/{app_id}").json()["state"] == "draft"
    patch = applicant.passport()
    patch["codiceFiscale"] = CodiceFiscale.from_person(
        "Bianchi", "Marco", dt.date(1980, 1, 1), "M", "F205"
    )
    applicant.call("PATCH", f"/applications/{app_id}", patch)
    applicant.verify_contacts(app_id)
    answer = applicant.call("POST", f"/applications/{app_id}/submit", lang="it")
    assert answer.status_code == 422 and answer.json()["code"] == "CODICE_FISCALE_MATCHES"
    assert (
        answer.json()["detail"] == "Il codice fiscale non corrisponde all'intestatario della linea."
    )
    assert applicant.call("GET", f"/applications/{app_id}").json()["state"] == "draft"


@pytest.mark.parametrize(
    ("patch", "code", "field"),
    [
        (
            {"documentType": "passport", "documentNumber": "12", "documentCountry": "ITA"},
            "INVALID_DOCUMENT_NUMBER",
            "document_number",
        ),
        ({"documentExpiry": "2020-01-01"}, "DOCUMENT_EXPIRED", "document_expiry"),
        ({"codiceFiscale": "RSSMRA80A01H501X"}, "INVALID_CODICE_FISCALE", "codiceFiscale"),
        ({"altPhone": "12"}, "INVALID_MSISDN", "altPhone"),
        ({"contactEmail": "nobody"}, "INVALID_VALUE", "contactEmail"),
    ],
)
def test_bad_evidence_is_refused_field_by_field(
    applicant: Applicant, patch: dict[str, str], code: str, field: str
) -> None:
    app_id = applicant.start()
    answer = applicant.call("PATCH", f"/applications/{app_id}", patch)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert code in (body["code"], *(e["code"] for e in body.get("errors", [])))
    assert body["errors"][0]["field"] == field


def test_a_wrong_mrz_check_digit_is_named(applicant: Applicant) -> None:
    app_id = applicant.start()
    mrz = applicant.passport()["mrz"]
    broken = mrz[:-1] + str((int(mrz[-1]) + 1) % 10)
    answer = applicant.call("PATCH", f"/applications/{app_id}", {"mrz": broken}, lang="it")
    assert answer.status_code == 422 and answer.json()["code"] == "INVALID_MRZ"
    assert "cifra di controllo" in answer.json()["detail"]


def test_only_the_holder_may_apply_and_the_attempt_is_audited(applicant: Applicant) -> None:
    answer = applicant.call(
        "POST", "/applications", {"msisdn": applicant.world.other_msisdn, "reason": "stolen"}
    )
    assert answer.status_code == 403 and answer.json()["code"] == "NOT_HOLDER"
    with applicant.deps.sessions() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "replacement.refused_not_holder" in actions


def test_one_open_application_per_line(applicant: Applicant) -> None:
    applicant.start()
    answer = applicant.call(
        "POST", "/applications", {"msisdn": applicant.world.msisdns[0], "reason": "lost"}
    )
    assert answer.status_code == 409 and answer.json()["code"] == "APPLICATION_OPEN"
    assert applicant.start(applicant.world.msisdns[1]) != ""


def test_a_second_paid_replacement_needs_enough_credit(applicant: Applicant) -> None:
    first = applicant.start()
    applicant.complete(first)
    applicant.call("POST", f"/applications/{first}/submit")
    applicant.end_window()  # approved: the free replacement of the year is used
    second = applicant.start(applicant.world.msisdns[1], reason="stolen")
    quote = applicant.call("GET", f"/applications/{second}/quote").json()
    assert (quote["amountCents"], quote["chargeTo"]) == (1000, "bill")  # the postpaid line
    with transaction(applicant.deps.sessions) as session:
        line = find_line(session, applicant.world.tenant_id, applicant.world.msisdns[1])
        assert line is not None
        line.billing, line.credit_cents = "prepaid", 300
    quote = applicant.call("GET", f"/applications/{second}/quote").json()
    assert quote["topUpNeededCents"] == 700
    applicant.complete(second)
    answer = applicant.call("POST", f"/applications/{second}/submit", lang="en")
    assert answer.status_code == 422 and answer.json()["code"] == "TOP_UP_NEEDED"
    assert "7.00 €" in answer.json()["detail"]


def test_a_verification_code_is_checked_and_counted(applicant: Applicant) -> None:
    app_id = applicant.start()
    applicant.call("PATCH", f"/applications/{app_id}", {"contactEmail": "new.address@example.it"})
    applicant.call("POST", f"/applications/{app_id}/verifications/email")
    deliver(applicant.deps)
    code = last_code(applicant.deps, "new.address@example.it")
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    answers = [
        applicant.call(
            "POST", f"/applications/{app_id}/verifications/email/confirm", {"code": wrong}
        )
        for _ in range(5)
    ]
    assert [a.json()["code"] for a in answers] == ["CODE_INVALID"] * 4 + ["CODE_LOCKED"]
    late = applicant.call(
        "POST", f"/applications/{app_id}/verifications/email/confirm", {"code": code}
    )
    assert late.status_code == 422
    assert applicant.call("GET", f"/applications/{app_id}").json()["contactEmailVerified"] is False


def test_the_alternative_phone_cannot_be_the_lost_line(applicant: Applicant) -> None:
    app_id = applicant.start()
    applicant.call("PATCH", f"/applications/{app_id}", {"altPhone": applicant.world.msisdns[0]})
    answer = applicant.call("POST", f"/applications/{app_id}/verifications/sms")
    assert answer.status_code == 422 and answer.json()["code"] == "ALT_PHONE_IS_LINE"


def test_a_submitted_application_cannot_be_edited_or_resubmitted(applicant: Applicant) -> None:
    app_id = applicant.start()
    applicant.complete(app_id)
    applicant.call("POST", f"/applications/{app_id}/submit")
    assert (
        applicant.call("PATCH", f"/applications/{app_id}", {"selfDeclaration": False}).status_code
        == 409
    )
    assert applicant.call("POST", f"/applications/{app_id}/submit").status_code == 409
    withdrawn = applicant.call("POST", f"/applications/{app_id}/withdraw").json()
    assert withdrawn["state"] == "withdrawn"


def test_an_expired_plan_must_be_replaced_by_a_chosen_one(applicant: Applicant) -> None:
    with transaction(applicant.deps.sessions) as session:
        line = find_line(session, applicant.world.tenant_id, applicant.world.msisdns[0])
        assert line is not None
        line.plan_valid_until = applicant.clock.now().date() - dt.timedelta(days=1)
    app_id = applicant.start()
    applicant.complete(app_id)
    refused = applicant.call("POST", f"/applications/{app_id}/submit")
    assert refused.status_code == 422 and refused.json()["code"] == "PLAN_CHOSEN"
    bad = applicant.call("PATCH", f"/applications/{app_id}", {"planCode": "GOLD"})
    assert bad.status_code == 422 and bad.json()["code"] == "PLAN_NOT_FOUND"
    assert (
        applicant.call("PATCH", f"/applications/{app_id}", {"planCode": "BIZ"}).status_code == 200
    )
    assert applicant.call("POST", f"/applications/{app_id}/submit").status_code == 200


def test_a_reseller_esim_needs_its_order_number(applicant: Applicant) -> None:
    with transaction(applicant.deps.sessions) as session:
        line = find_line(session, applicant.world.tenant_id, applicant.world.msisdns[0])
        assert line is not None
        line.reseller_order = "TRV-2026-000731"
    app_id = applicant.start()
    applicant.complete(app_id)
    applicant.call("PATCH", f"/applications/{app_id}", {"resellerOrder": "TRV-2026-999999"})
    refused = applicant.call("POST", f"/applications/{app_id}/submit")
    assert refused.status_code == 422 and refused.json()["code"] == "RESELLER_ORDER_MATCHES"
    applicant.call("PATCH", f"/applications/{app_id}", {"resellerOrder": " trv-2026-000731 "})
    assert applicant.call("POST", f"/applications/{app_id}/submit").status_code == 200


def test_replying_no_to_the_confirmation_sms_stops_the_change(applicant: Applicant) -> None:
    app_id = applicant.start()
    applicant.complete(app_id)
    applicant.call("POST", f"/applications/{app_id}/submit")
    number = applicant.world.msisdns[0]
    token = applicant.deps.settings.sms.inbound_token.get_secret_value()
    forged = applicant.client.get(
        "/api/v1/acme/sms/inbound", params={"token": "x", "from": number, "text": "NO"}
    )
    assert forged.status_code == 401
    other = applicant.client.get(
        "/api/v1/acme/sms/inbound",
        params={"token": token, "from": applicant.world.other_msisdn, "text": "NO"},
    )
    assert other.text == ""  # not the line of this application
    chatter = applicant.client.get(
        "/api/v1/acme/sms/inbound", params={"token": token, "from": number, "text": "ok grazie"}
    )
    assert chatter.text == ""
    assert (
        applicant.call("GET", f"/applications/{app_id}").json()["state"] == "awaiting_confirmation"
    )
    reply = applicant.client.get(
        "/api/v1/acme/sms/inbound", params={"token": token, "from": number, "text": "No."}
    )
    assert reply.status_code == 200 and reply.text == "stopped"
    assert applicant.call("GET", f"/applications/{app_id}").json()["state"] == "objected"
    deliver(applicant.deps)
    assert applicant.deps.outbox is not None
    assert "è stata bloccata" in applicant.deps.outbox.messages()[0].message.text


def test_a_verified_holder_may_skip_the_wait_where_policy_allows(applicant: Applicant) -> None:
    with transaction(applicant.deps.sessions) as session:
        from resim.tenant.service import get as get_tenant

        tenant = get_tenant(session, "acme")
        tenant.policy = {**tenant.policy, "zero_window_when_verified": True}
    app_id = applicant.start()
    applicant.complete(app_id)
    body = applicant.call("POST", f"/applications/{app_id}/submit").json()
    assert body["confirmUntil"] == body["submittedAt"]
    deliver(applicant.deps)  # the window job is due at once, then the provisioning
    assert applicant.call("GET", f"/applications/{app_id}").json()["state"] == "code_ready"


def test_when_the_smdp_refuses_the_application_fails_and_says_why(
    applicant: Applicant, smdp_url: str
) -> None:
    import httpx

    world = applicant.world

    def iccid() -> str:
        with applicant.deps.sessions() as session:
            line = find_line(session, world.tenant_id, world.msisdns[0])
            assert line is not None
            return line.iccid

    before = iccid()
    app_id = applicant.start()
    applicant.complete(app_id)
    applicant.call("POST", f"/applications/{app_id}/submit")
    fault = {"function": "downloadOrder", "kind": "failed", "subjectCode": "8.2.5"}
    assert httpx.post(f"{smdp_url}/sandbox/faults", json={**fault, "reasonCode": "3.7"}).is_success
    try:
        applicant.end_window()
    finally:
        httpx.delete(f"{smdp_url}/sandbox/faults")
    body = applicant.call("GET", f"/applications/{app_id}", lang="zh").json()
    assert body["state"] == "failed"
    assert body["failure"]["code"] == "SMDP_REFUSED" and "eSIM" in body["failure"]["detail"]
    assert iccid() == before  # nothing changed on the line


def test_a_contact_change_and_a_port_in_send_the_application_to_review(
    applicant: Applicant,
) -> None:
    deps, world, now = applicant.deps, applicant.world, applicant.clock.now()
    with transaction(deps.sessions) as session:
        holder = session.get(Customer, world.customer_id)
        assert holder is not None
        change_contacts(
            session,
            holder,
            alt_phone="+393471112233",
            at=now - dt.timedelta(days=12),
            actor=Actor("agent", "a1", "127.0.0.1"),
        )
        line = find_line(session, world.tenant_id, world.msisdns[0])
        assert line is not None
        line.ported_in_on = (now - dt.timedelta(days=40)).date()
    app_id = applicant.start()
    applicant.complete(app_id)
    body = applicant.call("POST", f"/applications/{app_id}/submit", lang="zh").json()
    reasons = {r["code"]: r["detail"] for r in body["riskReasons"]}
    assert set(reasons) == {"RECENT_CONTACT_CHANGE", "RECENT_PORT_IN"}
    assert body["riskScore"] == 55 and reasons["RECENT_PORT_IN"] == "该号码最近从其他运营商携入。"
    with deps.sessions() as session:
        audited = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "customer.contacts_changed")
        ).one()
    assert audited.details == {"changed": ["alt_phone"]}  # which contact, never its value
    applicant.end_window()
    assert applicant.call("GET", f"/applications/{app_id}").json()["state"] == "in_review"


def test_old_contact_changes_and_port_ins_do_not_count(applicant: Applicant) -> None:
    deps, world, now = applicant.deps, applicant.world, applicant.clock.now()
    with transaction(deps.sessions) as session:
        holder = session.get(Customer, world.customer_id)
        line = find_line(session, world.tenant_id, world.msisdns[0])
        assert holder is not None and line is not None
        holder.email_changed_on = (now - dt.timedelta(days=31)).date()
        line.ported_in_on = (now - dt.timedelta(days=91)).date()
    app_id = applicant.start()
    applicant.complete(app_id)
    body = applicant.call("POST", f"/applications/{app_id}/submit").json()
    assert body["riskReasons"] == [] and body["riskScore"] == 0


def _sign_in(applicant: Applicant, device: str | None, country: str | None) -> dict[str, str]:
    client, deps, email = applicant.client, applicant.deps, applicant.world.email
    headers = {k: v for k, v in (("x-device-id", device), ("x-country", country)) if v}
    assert client.post("/api/v1/acme/auth/code", json={"email": email}).status_code == 202
    deliver(deps)
    answer = client.post(
        "/api/v1/acme/auth/token",
        json={"email": email, "code": last_code(deps, email)},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    return {"authorization": f"Bearer {answer.json()['accessToken']}"}


@pytest.mark.parametrize(
    ("device", "country", "flagged"),
    [
        ("phone-of-giulia-0001", "IT", False),
        ("a-browser-never-seen", "IT", True),
        ("phone-of-giulia-0001", "NG", True),
        (None, None, False),  # nothing known of this sign-in: nothing to compare
    ],
)
def test_a_sign_in_from_a_new_device_or_country_is_a_risk_reason(
    applicant: Applicant, device: str | None, country: str | None, flagged: bool
) -> None:
    applicant.deps.settings.security.country_header = "X-Country"
    _sign_in(applicant, "phone-of-giulia-0001", "IT")  # her usual phone, at home
    applicant.clock.advance(dt.timedelta(days=2))
    applicant.auth = _sign_in(applicant, device, country)
    app_id = applicant.start()
    applicant.complete(app_id)
    body = applicant.call("POST", f"/applications/{app_id}/submit").json()
    codes = [r["code"] for r in body["riskReasons"]]
    assert codes == (["NEW_DEVICE_OR_COUNTRY"] if flagged else [])
