"""Agents review applications: claims, approvals, the four-eyes rule, rejections."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from resim.audit.models import AuditEvent
from resim.db.engine import transaction
from resim.deps import Deps
from resim.kit.clock import FixedClock
from resim.review.models import ReviewDecision
from tests.delivery.world import run
from tests.helpers import deliver
from tests.office.world import Member, in_review, signed_in, staff
from tests.replacement.world import Applicant


@pytest.fixture
def applicant(client: TestClient, deps: Deps, clock: FixedClock) -> Applicant:
    return Applicant(client, deps, clock)


@pytest.fixture
def team(applicant: Applicant) -> dict[str, Member]:
    return staff(applicant.deps, applicant.world.tenant_id)


def _state(applicant: Applicant, app_id: str) -> str:
    return str(applicant.call("GET", f"/applications/{app_id}").json()["state"])


def test_a_medium_risk_application_approved_by_one_agent_provisions_by_itself(
    applicant: Applicant, team: dict[str, Member]
) -> None:
    app_id = in_review(applicant)
    agent = signed_in(applicant.client.app, applicant.clock, team["agent"])  # type: ignore[arg-type]
    queue = agent.get("/queue")
    assert queue.status_code == 200 and app_id in queue.text
    assert agent.post(f"/applications/{app_id}/claim").status_code == 303
    answer = agent.post(f"/applications/{app_id}/approve", {"note": "called the holder"})
    assert answer.status_code == 303
    assert _state(applicant, app_id) == "approved"
    assert app_id not in agent.get("/queue").text
    run(applicant.deps, applicant.clock)
    assert _state(applicant, app_id) == "code_ready"
    with applicant.deps.sessions() as session:
        approvals = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "review.approved", AuditEvent.subject_id == app_id
            )
        ).all()
        assert [e.actor_id for e in approvals] == [str(team["agent"].agent_id)]
        assert approvals[0].details["note"] == "called the holder"


def test_a_second_agent_sees_the_application_is_taken(
    applicant: Applicant, team: dict[str, Member]
) -> None:
    app_id = in_review(applicant)
    app = applicant.client.app
    first = signed_in(app, applicant.clock, team["agent"])  # type: ignore[arg-type]
    second = signed_in(app, applicant.clock, team["agent2"])  # type: ignore[arg-type]
    assert first.post(f"/applications/{app_id}/claim").status_code == 303
    taken = second.post(f"/applications/{app_id}/claim")
    assert taken.status_code == 409
    assert "Agent is already reviewing this application." in taken.text
    page = second.get(f"/applications/{app_id}")
    assert 'id="taken"' in page.text and 'id="approve"' not in page.text
    refused = second.post(f"/applications/{app_id}/approve", {"note": ""})
    assert refused.status_code == 409
    assert _state(applicant, app_id) == "in_review"
    # An abandoned claim lapses: the second agent can take it later.
    applicant.clock.advance(dt.timedelta(minutes=31))
    second = signed_in(app, applicant.clock, team["agent2"])  # type: ignore[arg-type]
    assert second.post(f"/applications/{app_id}/claim").status_code == 303


def test_a_high_risk_application_needs_a_supervisor_after_the_first_approval(
    applicant: Applicant, team: dict[str, Member]
) -> None:
    app_id = in_review(applicant, high=True)
    app, clock = applicant.client.app, applicant.clock
    agent = signed_in(app, clock, team["agent"])  # type: ignore[arg-type]
    assert agent.post(f"/applications/{app_id}/claim").status_code == 303
    assert agent.post(f"/applications/{app_id}/approve", {"note": ""}).status_code == 303
    assert _state(applicant, app_id) == "in_review"  # one approval of two
    assert "1/2" in agent.get("/queue").text
    # The same person can never approve twice.
    again = agent.post(f"/applications/{app_id}/claim")
    assert again.status_code == 409 and "someone else" in again.text
    # Another agent is not enough: the second approval is a supervisor's.
    other = signed_in(app, clock, team["agent2"])  # type: ignore[arg-type]
    assert other.post(f"/applications/{app_id}/claim").status_code == 303
    refused = other.post(f"/applications/{app_id}/approve", {"note": ""})
    assert refused.status_code == 403 and "supervisor" in refused.text
    assert _state(applicant, app_id) == "in_review"
    assert other.post(f"/applications/{app_id}/release").status_code == 303
    boss = signed_in(app, clock, team["supervisor"])  # type: ignore[arg-type]
    assert boss.post(f"/applications/{app_id}/claim").status_code == 303
    assert boss.post(f"/applications/{app_id}/approve", {"note": "ok"}).status_code == 303
    assert _state(applicant, app_id) == "approved"
    with applicant.deps.sessions() as session:
        decided = session.scalars(
            select(ReviewDecision).where(ReviewDecision.application_id == uuid.UUID(app_id))
        ).all()
        assert [d.agent_id for d in decided] == [
            team["agent"].agent_id,
            team["supervisor"].agent_id,
        ]


def test_the_schema_refuses_a_second_decision_by_the_same_person(
    applicant: Applicant, team: dict[str, Member]
) -> None:
    app_id = uuid.UUID(in_review(applicant, high=True))
    now = applicant.clock.now()
    with pytest.raises(IntegrityError), transaction(applicant.deps.sessions) as session:
        for _ in range(2):
            session.add(
                ReviewDecision(
                    tenant_id=applicant.world.tenant_id,
                    application_id=app_id,
                    agent_id=team["supervisor"].agent_id,
                    decision="approve",
                    note="",
                    at=now,
                )
            )
            session.flush()


def test_a_rejection_tells_the_customer_why_in_their_language(
    applicant: Applicant, team: dict[str, Member]
) -> None:
    app_id = in_review(applicant)
    agent = signed_in(applicant.client.app, applicant.clock, team["agent"])  # type: ignore[arg-type]
    agent.post(f"/applications/{app_id}/claim")
    bad = agent.post(f"/applications/{app_id}/reject", {"reason": "NOPE", "note": ""})
    assert bad.status_code == 422 and _state(applicant, app_id) == "in_review"
    answer = agent.post(
        f"/applications/{app_id}/reject", {"reason": "DOCUMENT_NOT_HOLDER", "note": "photo differs"}
    )
    assert answer.status_code == 303
    body = applicant.call("GET", f"/applications/{app_id}", lang="it").json()
    assert body["state"] == "rejected"
    assert body["failure"]["code"] == "DOCUMENT_NOT_HOLDER"
    assert body["failure"]["detail"] == (
        "Il documento d'identità non appartiene all'intestatario della linea."
    )
    deliver(applicant.deps)
    assert applicant.deps.outbox is not None
    texts = [m.message.text for m in applicant.deps.outbox.messages()]
    assert any("non appartiene all'intestatario" in t for t in texts)
    assert not any("photo differs" in t for t in texts)  # the note stays in the file


def test_documents_open_for_agents_only_uncached_and_audited(
    applicant: Applicant, team: dict[str, Member]
) -> None:
    app_id = in_review(applicant)
    app, clock = applicant.client.app, applicant.clock
    agent = signed_in(app, clock, team["agent"])  # type: ignore[arg-type]
    page = agent.get(f"/applications/{app_id}")
    assert page.headers["cache-control"] == "no-store"
    links = [part.split('"')[0] for part in page.text.split('src="')[1:] if "/documents/" in part]
    assert len(links) == 1
    image = agent.client.get(links[0])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.headers["cache-control"] == "no-store"
    assert image.content.startswith(b"\x89PNG")
    auditor = signed_in(app, clock, team["auditor"])  # type: ignore[arg-type]
    assert "/documents/" not in auditor.get(f"/applications/{app_id}").text
    assert auditor.client.get(links[0]).status_code == 403
    with applicant.deps.sessions() as session:
        views = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "document.viewed")
        ).all()
        assert [e.actor_id for e in views] == [str(team["agent"].agent_id)]


def test_the_queue_shows_the_service_level_timer_and_filters(
    applicant: Applicant, team: dict[str, Member]
) -> None:
    app_id = in_review(applicant)
    agent = signed_in(applicant.client.app, applicant.clock, team["agent"])  # type: ignore[arg-type]
    row = agent.get("/queue").text.split(f'data-app="{app_id}"')[0].rsplit("<tr", 1)[1]
    assert "overdue" not in row
    assert app_id in agent.get("/queue?route=review&reason=RECENT_SIM_CHANGE").text
    assert app_id not in agent.get("/queue?route=four_eyes").text
    assert app_id not in agent.get("/queue?reason=MRZ_MISMATCH").text
    assert app_id not in agent.get("/queue?overdue=1").text
    applicant.clock.advance(dt.timedelta(minutes=241))  # the tenant's SLA is 4 hours
    agent = signed_in(applicant.client.app, applicant.clock, team["agent"])  # type: ignore[arg-type]
    late = agent.get("/queue?overdue=1&older_than_hours=4").text
    row = late.split(f'data-app="{app_id}"')[0].rsplit("<tr", 1)[1]
    assert 'class="overdue"' in row
    assert "1 waiting, 1 overdue." in late


def test_no_document_or_code_reaches_the_logs_of_a_review(
    applicant: Applicant, team: dict[str, Member], capfd: pytest.CaptureFixture[str]
) -> None:
    app_id = in_review(applicant)
    agent = signed_in(applicant.client.app, applicant.clock, team["agent"])  # type: ignore[arg-type]
    page = agent.get(f"/applications/{app_id}")
    link = page.text.split('src="')[1].split('"')[0]
    agent.client.get(link)
    agent.post(f"/applications/{app_id}/claim")
    agent.post(f"/applications/{app_id}/approve", {"note": ""})
    run(applicant.deps, applicant.clock)
    out = capfd.readouterr()
    logs = out.out + out.err
    assert "YA1234567" not in logs and team["agent"].secret not in logs
    assert "PNG" not in logs and "LPA:1$" not in logs
