"""Identity-document files: redrawn, encrypted (AES-256-GCM, rotating keys) and written to
disk, never in clear; every view audited; deleted by a job when retention ends.

GDPR (Garante): document images are personal data, shown only to those who review.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.errors import Invalid, NotFound
from resim.identity.models import StoredDocument
from resim.jobs.registry import JobType, Payload
from resim.kit.crypto import KeyRing
from resim.kit.images import redraw
from resim.kit.telecom import InvalidIdentifier


class DocumentRef(Payload):
    document_id: uuid.UUID


# Deletes a kept document once its retention has passed (GDPR: minimal retention).
PURGE = JobType("identity.purge_document", DocumentRef)


def _path(folder: Path, document: StoredDocument) -> Path:
    return folder / str(document.tenant_id) / f"{document.id}.bin"


def _associated(document_id: uuid.UUID) -> bytes:
    return b"resim-document:" + str(document_id).encode()


def store(
    session: Session,
    *,
    keyring: KeyRing,
    folder: Path,
    max_bytes: int,
    tenant_id: uuid.UUID,
    owner_type: str,
    owner_id: uuid.UUID,
    kind: str,
    data: bytes,
    retention_days: int,
    at: dt.datetime,
    actor: audit.Actor,
) -> tuple[StoredDocument, bytes]:
    """Keep an upload; returns its record and the redrawn clear bytes (for OCR, in memory)."""
    if len(data) > max_bytes:
        raise Invalid(
            "FILE_TOO_LARGE",
            "This file is too large (at most %(mb)d MB).",
            params={"mb": max_bytes // (1024 * 1024)},
        )
    if not data:
        raise Invalid("FILE_EMPTY", "This file is empty.")
    try:
        clean, content_type = redraw(data)
    except InvalidIdentifier as exc:
        raise Invalid(exc.code, exc.message, field="file") from exc
    document = StoredDocument(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        owner_type=owner_type,
        owner_id=owner_id,
        kind=kind,
        content_type=content_type,
        size=len(clean),
        key_id=keyring.current,
        created_at=at,
        delete_after=at + dt.timedelta(days=retention_days),
    )
    key_id, blob = keyring.encrypt(clean, _associated(document.id))
    document.key_id = key_id
    target = _path(folder, document)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(blob)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
    session.add(document)
    session.flush()
    PURGE.enqueue(
        session,
        DocumentRef(document_id=document.id),
        at=at,
        tenant_id=tenant_id,
        run_after=document.delete_after,
    )
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="document.stored",
        subject_type=owner_type,
        subject_id=str(owner_id),
        at=at,
        details={"document": str(document.id), "kind": kind, "type": content_type},
    )
    return document, clean


def documents_of(
    session: Session, tenant_id: uuid.UUID, owner_id: uuid.UUID
) -> list[StoredDocument]:
    stmt = (
        select(StoredDocument)
        .where(
            StoredDocument.tenant_id == tenant_id,
            StoredDocument.owner_id == owner_id,
            StoredDocument.deleted_at.is_(None),
        )
        .order_by(StoredDocument.created_at)
    )
    return list(session.scalars(stmt))


def open_document(
    session: Session,
    *,
    keyring: KeyRing,
    folder: Path,
    tenant_id: uuid.UUID,
    document_id: uuid.UUID,
    at: dt.datetime,
    actor: audit.Actor,
) -> tuple[StoredDocument, bytes]:
    """Decrypt for display; the view is audited in the caller's transaction."""
    document = session.scalar(
        select(StoredDocument).where(
            StoredDocument.tenant_id == tenant_id, StoredDocument.id == document_id
        )
    )
    if document is None or document.deleted_at is not None:
        raise NotFound("DOCUMENT_NOT_FOUND", "This document does not exist.")
    clear = keyring.decrypt(
        document.key_id, _path(folder, document).read_bytes(), _associated(document.id)
    )
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="document.viewed",
        subject_type=document.owner_type,
        subject_id=str(document.owner_id),
        at=at,
        details={"document": str(document.id)},
    )
    return document, clear


def reencrypt(session: Session, *, keyring: KeyRing, folder: Path) -> int:
    """Re-encrypt every kept document under the current key (after a key rotation)."""
    count = 0
    for document in session.scalars(
        select(StoredDocument).where(StoredDocument.deleted_at.is_(None))
    ):
        if document.key_id == keyring.current:
            continue
        path = _path(folder, document)
        clear = keyring.decrypt(document.key_id, path.read_bytes(), _associated(document.id))
        key_id, blob = keyring.encrypt(clear, _associated(document.id))
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(blob)
        os.replace(tmp, path)
        document.key_id = key_id
        count += 1
    session.flush()
    return count


def purge(session: Session, folder: Path, document_id: uuid.UUID, at: dt.datetime) -> None:
    """Job: delete the file and mark the record once its retention has passed."""
    document = session.get(StoredDocument, document_id, with_for_update=True)
    if document is None or document.deleted_at is not None:
        return
    if at < document.delete_after:
        PURGE.enqueue(
            session,
            DocumentRef(document_id=document.id),
            at=at,
            tenant_id=document.tenant_id,
            run_after=document.delete_after,
        )
        return
    _path(folder, document).unlink(missing_ok=True)
    document.deleted_at = at
    audit.record(
        session,
        tenant_id=document.tenant_id,
        actor=audit.SYSTEM,
        action="document.deleted",
        subject_type=document.owner_type,
        subject_id=str(document.owner_id),
        at=at,
        details={"document": str(document.id), "reason": "retention"},
    )
