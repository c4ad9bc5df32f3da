"""Line tools, jobs, the audit trail, the policy and the dashboard, as staff use them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from resim.audit.models import AuditEvent
from resim.customer.models import Customer
from resim.db.engine import transaction
from resim.deps import Deps
from resim.jobs import service as jobs
from resim.jobs.models import Job, JobStatus
from resim.kit.clock import FixedClock
from resim.line.models import Line
from resim.tenant.models import Tenant
from tests import factories
from tests.delivery.world import run
from tests.office.world import Member, in_review, signed_in, staff
from tests.replacement.world import Applicant


@pytest.fixture
def acme(deps: Deps, clock: FixedClock) -> factories.World:
    return factories.world(deps.sessions, clock.now())


@pytest.fixture
def team(deps: Deps, acme: factories.World) -> dict[str, Member]:
    return staff(deps, acme.tenant_id)


def _line(deps: Deps, msisdn: str) -> Line:
    with deps.sessions() as session:
        found = session.scalar(select(Line).where(Line.msisdn == msisdn))
        assert found is not None
        return found


def test_lines_are_found_by_number_iccid_imsi_email_and_codice_fiscale(
    client: TestClient,
    deps: Deps,
    clock: FixedClock,
    acme: factories.World,
    team: dict[str, Member],
) -> None:
    agent = signed_in(client.app, clock, team["agent"])  # type: ignore[arg-type]
    line = _line(deps, acme.msisdns[0])
    with deps.sessions() as session:
        holder = session.get(Customer, acme.customer_id)
        assert holder is not None
        cf = holder.codice_fiscale
    national = acme.msisdns[0].removeprefix("+39")
    for query in (acme.msisdns[0], national, line.iccid, line.imsi, acme.email.upper(), cf.lower()):
        found = agent.get("/lines", params={"q": query})
        assert found.status_code == 200
        assert f"/acme/office/lines/{line.id}" in found.text, query
    with_both = agent.get("/lines", params={"q": acme.email}).text
    assert acme.msisdns[1] in with_both  # Giulia's two lines
    assert acme.other_msisdn not in with_both
    for query in ("nobody@example.org", "+39 000", "'; drop table line; --", "x" * 100):
        answer = agent.get("/lines", params={"q": query})
        assert answer.status_code == 200 and 'id="no-results"' in answer.text
    assert agent.get("/lines", params={"q": "x" * 101}).status_code == 422


def test_an_agent_suspends_and_reactivates_a_line_with_a_reason(
    client: TestClient,
    deps: Deps,
    clock: FixedClock,
    acme: factories.World,
    team: dict[str, Member],
) -> None:
    agent = signed_in(client.app, clock, team["agent"])  # type: ignore[arg-type]
    line = _line(deps, acme.msisdns[0])
    bad = agent.post(f"/lines/{line.id}/state", {"action": "suspend", "reason": "bored"})
    assert bad.status_code == 422 and _line(deps, acme.msisdns[0]).state.value == "active"
    assert (
        agent.post(f"/lines/{line.id}/state", {"action": "suspend", "reason": "stolen"}).status_code
        == 303
    )
    assert _line(deps, acme.msisdns[0]).state.value == "suspended"
    again = agent.post(f"/lines/{line.id}/state", {"action": "suspend", "reason": "lost"})
    assert again.status_code == 409  # the form is stale: the page says so
    page = agent.get(f"/lines/{line.id}").text
    assert "suspended · stolen · agent" in page
    assert (
        agent.post(
            f"/lines/{line.id}/state", {"action": "reactivate", "reason": "found"}
        ).status_code
        == 303
    )
    assert _line(deps, acme.msisdns[0]).state.value == "active"
    with deps.sessions() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.subject_id == str(line.id)).order_by(AuditEvent.seq)
        ).all()
        assert [(e.action, e.actor_id) for e in events[-2:]] == [
            ("line.suspended", str(team["agent"].agent_id)),
            ("line.reactivated", str(team["agent"].agent_id)),
        ]


def test_the_line_page_lists_applications_and_messages_without_their_text(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    applicant = Applicant(client, deps, clock)
    team = staff(deps, applicant.world.tenant_id)
    app_id = in_review(applicant)
    agent = signed_in(client.app, clock, team["agent"])  # type: ignore[arg-type]
    line = _line(deps, applicant.world.msisdns[0])
    page = agent.get(f"/lines/{line.id}").text
    assert f"/acme/office/applications/{app_id}" in page
    assert "sim_changed" in page
    messages = page.split('id="messages"')[1].split("</table>")[0]
    assert applicant.world.msisdns[0] in messages and "sms" in messages
    assert applicant.holder.email in messages
    assert "codice" not in messages.lower() and "http" not in messages


def test_a_supervisor_retries_a_parked_job_and_it_runs(
    client: TestClient,
    deps: Deps,
    clock: FixedClock,
    acme: factories.World,
    team: dict[str, Member],
) -> None:
    with transaction(deps.sessions) as session:
        job = jobs.enqueue(
            session,
            "message.send_email",
            {"message_id": "<x@resim>", "to": "x@example.org", "sealed": "broken"},
            at=clock.now(),
            tenant_id=acme.tenant_id,
        )
        job.status, job.attempts, job.last_error = JobStatus.PARKED, 8, "ValueError: cannot unseal"
        job_id = job.id
    boss = signed_in(client.app, clock, team["supervisor"])  # type: ignore[arg-type]
    page = boss.get("/jobs").text
    assert "cannot unseal" in page and f"/jobs/{job_id}/retry" in page
    assert boss.post(f"/jobs/{job_id}/retry").status_code == 303
    with deps.sessions() as session:
        found = session.get(Job, job_id)
        assert found is not None and found.status == JobStatus.QUEUED and found.attempts == 0
    assert boss.post(f"/jobs/{job_id}/retry").status_code == 409  # not parked any more
    assert boss.post(f"/jobs/{uuid.uuid4()}/retry").status_code == 404
    run(deps, clock, rounds=1)
    with deps.sessions() as session:
        found = session.get(Job, job_id)
        assert found is not None and found.attempts >= 1  # it ran again


def test_auditors_search_export_and_verify_the_trail(
    client: TestClient,
    deps: Deps,
    clock: FixedClock,
    acme: factories.World,
    team: dict[str, Member],
) -> None:
    agent = signed_in(client.app, clock, team["agent"])  # type: ignore[arg-type]
    line = _line(deps, acme.msisdns[0])
    agent.post(f"/lines/{line.id}/state", {"action": "suspend", "reason": "lost"})
    auditor = signed_in(client.app, clock, team["auditor"])  # type: ignore[arg-type]
    found = auditor.get("/audit", params={"action": "line.", "subject": str(line.id)})
    assert found.status_code == 200
    rows = found.text.split('id="events"')[1]
    assert "line.suspended" in rows and "agent.signed_in" not in rows
    today = clock.now().date().isoformat()
    assert "line.suspended" in auditor.get("/audit", params={"since": today, "until": today}).text
    tomorrow = (clock.now().date() + dt.timedelta(days=1)).isoformat()
    assert "line.suspended" not in auditor.get("/audit", params={"since": tomorrow}).text
    assert auditor.get("/audit", params={"since": "31/02/2026"}).status_code == 422
    export = auditor.get("/audit.csv", params={"action": "line.", "subject": str(line.id)})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(export.text)))
    assert [r["action"] for r in table] == ["line.suspended", "line.created"]
    assert table[0]["actor_id"] == str(team["agent"].agent_id) and len(table[0]["hash"]) == 64
    holds = auditor.post("/audit/verify")
    assert 'data-holds="yes"' in holds.text
    with deps.engine.begin() as conn:  # someone edits an event behind resim's back
        conn.execute(
            text("UPDATE audit_event SET details = :d WHERE action = 'line.suspended'"),
            {"d": '{"from": "active", "reason": "found", "to": "suspended"}'},
        )
    broken = auditor.post("/audit/verify")
    assert 'data-holds="no"' in broken.text


def test_the_admin_edits_the_policy_with_validation_and_an_audit_trail(
    client: TestClient,
    deps: Deps,
    clock: FixedClock,
    acme: factories.World,
    team: dict[str, Member],
) -> None:
    admin = signed_in(client.app, clock, team["admin"])  # type: ignore[arg-type]
    page = admin.get("/policy").text
    assert 'id="save-policy"' in page
    form = {
        "review_sla_minutes": "120",
        "auto_approve_below": "25",
        "four_eyes_from": "60",
        "accepted_documents": ["cie", "passport"],
        "accepted_loss_evidence": ["declaration"],
        "faulty_sim_free": "1",
    }
    saved = admin.post("/policy", form)
    assert saved.status_code == 200 and 'id="flash"' in saved.text
    with deps.sessions() as session:
        tenant = session.get(Tenant, acme.tenant_id)
        assert tenant is not None
        assert tenant.policy["review_sla_minutes"] == 120
        assert tenant.policy["accepted_documents"] == ["cie", "passport"]
        assert tenant.policy["zero_window_when_verified"] is False
        before = dict(tenant.policy)
        change = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "tenant.policy_changed")
        ).one()
        assert change.details["review_sla_minutes"] == {"from": 240, "to": 120}
        assert change.actor_id == str(team["admin"].agent_id)
    for bad in (
        {**form, "review_sla_minutes": "two hours"},
        {**form, "review_sla_minutes": "1"},
        {**form, "accepted_documents": []},
        {**form, "four_eyes_from": "10"},  # below automatic approval
        {**form, "profile_type": "a b"},
    ):
        refused = admin.post("/policy", bad)
        assert refused.status_code == 422, bad
    with deps.sessions() as session:
        tenant = session.get(Tenant, acme.tenant_id)
        assert tenant is not None and tenant.policy == before
    boss = signed_in(client.app, clock, team["supervisor"])  # type: ignore[arg-type]
    assert 'id="save-policy"' not in boss.get("/policy").text
    assert boss.post("/policy", form).status_code == 403


def test_the_dashboard_counts_the_queue_outcomes_and_times(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    applicant = Applicant(client, deps, clock)
    team = staff(deps, applicant.world.tenant_id)
    app_id = in_review(applicant)
    admin = signed_in(client.app, clock, team["admin"])  # type: ignore[arg-type]
    page = admin.get("/").text
    assert '<div class="card" id="queue-size"><strong>1</strong>' in page
    assert '<div class="card" id="overdue-count"><strong>0</strong>' in page
    assert '<div class="card" id="auto-share"><strong>0%</strong>' in page
    assert "pending: 1" in page  # the bar of the day
    agent = signed_in(client.app, clock, team["agent"])  # type: ignore[arg-type]
    agent.post(f"/applications/{app_id}/claim")
    agent.post(f"/applications/{app_id}/approve", {"note": ""})
    page = admin.get("/").text
    assert '<div class="card" id="queue-size"><strong>0</strong>' in page
    assert "approved: 1" in page and "pending: 1" not in page
