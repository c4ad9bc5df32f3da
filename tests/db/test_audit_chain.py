"""The audit chain: each event hashes the one before it in its tenant; tampering shows."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from resim.audit import service as audit
from resim.audit.models import AuditEvent
from resim.cli import app
from resim.db.engine import transaction
from tests import factories

AT = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
ACTOR = audit.Actor("agent", "a-1", "192.0.2.1")


def _tenant_with_events(sessions: sessionmaker[Session], slug: str, count: int) -> uuid.UUID:
    with transaction(sessions) as session:
        tenant = factories.tenant(session, slug, AT)  # writes events of its own too
        for n in range(count):
            audit.record(
                session,
                tenant_id=tenant.id,
                actor=ACTOR,
                action="test.event",
                subject_type="line",
                subject_id=f"s-{n}",
                at=AT + dt.timedelta(seconds=n),
                details={"n": n, "note": "è 中"},
            )
        return tenant.id


def _seqs(sessions: sessionmaker[Session], tenant_id: uuid.UUID) -> list[int]:
    with sessions() as session:
        stmt = select(AuditEvent.seq).where(AuditEvent.tenant_id == tenant_id)
        return list(session.scalars(stmt.order_by(AuditEvent.seq)))


def test_an_untouched_chain_holds_and_each_tenant_has_its_own(
    sessions: sessionmaker[Session],
) -> None:
    acme = _tenant_with_events(sessions, "acme", 5)
    other = _tenant_with_events(sessions, "other", 2)
    assert _seqs(sessions, acme) == list(range(1, len(_seqs(sessions, acme)) + 1))
    with sessions() as session:
        assert audit.verify(session, acme) is None and audit.verify(session, other) is None
        first = session.scalars(
            select(AuditEvent).where(AuditEvent.tenant_id == acme).order_by(AuditEvent.seq)
        ).first()
        assert first is not None and first.prev_hash == audit.GENESIS


def test_a_changed_event_is_found(sessions: sessionmaker[Session]) -> None:
    acme = _tenant_with_events(sessions, "acme", 5)
    target = _seqs(sessions, acme)[3]
    with sessions() as session:  # behind the ORM's back, as someone with database access would
        session.execute(
            update(AuditEvent)
            .where(AuditEvent.tenant_id == acme, AuditEvent.seq == target)
            .values(subject_id="forged")
        )
        session.commit()
        broken = audit.verify(session, acme)
    assert broken is not None and broken.seq == target and "changed" in broken.why


def test_a_removed_event_is_found_in_the_middle_and_at_the_end(
    sessions: sessionmaker[Session],
) -> None:
    acme = _tenant_with_events(sessions, "acme", 5)
    seqs = _seqs(sessions, acme)
    with sessions() as session:
        session.execute(
            delete(AuditEvent).where(AuditEvent.tenant_id == acme, AuditEvent.seq == seqs[2])
        )
        session.commit()
        broken = audit.verify(session, acme)
    assert broken is not None and broken.seq == seqs[2] and "missing" in broken.why

    other = _tenant_with_events(sessions, "other", 3)
    last = _seqs(sessions, other)[-1]
    with sessions() as session:
        session.execute(
            delete(AuditEvent).where(AuditEvent.tenant_id == other, AuditEvent.seq == last)
        )
        session.commit()
        broken = audit.verify(session, other)
    assert broken is not None and broken.seq == last and "end" in broken.why


def test_concurrent_writers_keep_one_straight_chain(sessions: sessionmaker[Session]) -> None:
    acme = _tenant_with_events(sessions, "acme", 0)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for n in range(15):
                with transaction(sessions) as session:
                    audit.record(
                        session,
                        tenant_id=acme,
                        actor=ACTOR,
                        action="test.concurrent",
                        subject_type="line",
                        subject_id=f"{worker}-{n}",
                        at=AT,
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = _seqs(sessions, acme)
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 60
    with sessions() as session:
        assert audit.verify(session, acme) is None


def test_the_cli_verifies_every_tenant_and_fails_on_tampering(
    sessions: sessionmaker[Session], db_url: str
) -> None:
    acme = _tenant_with_events(sessions, "acme", 3)
    _tenant_with_events(sessions, "other", 1)
    env = {"RESIM_DB__URL": db_url}
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"], env=env)
    assert ok.exit_code == 0, ok.output
    assert "acme: the audit chain holds" in ok.output and "other:" in ok.output
    with sessions() as session:
        session.execute(
            update(AuditEvent)
            .where(AuditEvent.tenant_id == acme, AuditEvent.seq == 2)
            .values(details={"n": 99})
        )
        session.commit()
    bad = runner.invoke(app, ["audit", "verify"], env=env)
    assert bad.exit_code == 1 and "acme: event 2" in bad.output
    only = runner.invoke(app, ["audit", "verify", "--tenant", "other"], env=env)
    assert only.exit_code == 0
    unknown = runner.invoke(app, ["audit", "verify", "--tenant", "nobody"], env=env)
    assert unknown.exit_code == 2


def test_a_rolled_back_savepoint_takes_its_events_with_it(
    sessions: sessionmaker[Session],
) -> None:
    acme = _tenant_with_events(sessions, "acme", 0)
    before = len(_seqs(sessions, acme))
    with transaction(sessions) as session:
        audit.record(
            session,
            tenant_id=acme,
            actor=ACTOR,
            action="kept",
            subject_type="x",
            subject_id="1",
            at=AT,
        )
        try:
            with session.begin_nested():
                audit.record(
                    session,
                    tenant_id=acme,
                    actor=ACTOR,
                    action="undone",
                    subject_type="x",
                    subject_id="2",
                    at=AT,
                )
                raise RuntimeError("the row is refused")
        except RuntimeError:
            pass
    with sessions() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.tenant_id == acme, AuditEvent.seq > before)
        ).all()
        assert list(actions) == ["kept"] and audit.verify(session, acme) is None
