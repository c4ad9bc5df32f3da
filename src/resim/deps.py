"""The ports and settings a process wires once and hands to routes and jobs."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

import resim.models  # noqa: F401 - every table known before the first query
from resim.config import Settings
from resim.db.engine import make_engine, make_sessionmaker
from resim.integrations.email.outbox import OutboxEmail
from resim.integrations.email.port import EmailSender
from resim.integrations.email.smtp import SmtpEmail
from resim.integrations.ocr.port import Ocr
from resim.integrations.ocr.tesseract import TesseractOcr
from resim.integrations.sms.outbox import OutboxSms
from resim.integrations.sms.port import SmsSender
from resim.kit.clock import Clock, SystemClock
from resim.kit.crypto import KeyRing


@dataclass
class Deps:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    email: EmailSender
    sms: SmsSender
    ocr: Ocr
    clock: Clock = field(default_factory=SystemClock)

    @property
    def outbox(self) -> OutboxEmail | None:
        return self.email if isinstance(self.email, OutboxEmail) else None

    @property
    def sms_outbox(self) -> OutboxSms | None:
        return self.sms if isinstance(self.sms, OutboxSms) else None


def build_deps(settings: Settings, *, clock: Clock | None = None) -> Deps:
    engine = make_engine(settings.db.url, echo=settings.db.echo, pool_size=settings.db.pool_size)
    email: EmailSender
    if settings.email.backend == "smtp":
        email = SmtpEmail(settings.email)
    else:
        email = OutboxEmail(settings.email.outbox_dir)
    return Deps(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        email=email,
        sms=OutboxSms(settings.sms.outbox_dir),
        ocr=TesseractOcr(),
        clock=clock or SystemClock(),
    )


def keyring(deps: Deps) -> KeyRing:
    return deps.settings.documents.keyring(deps.settings.secret_bytes)
