"""The ports and settings a process wires once and hands to routes and jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from resim.config import Settings
from resim.db.engine import make_engine, make_sessionmaker
from resim.integrations.calls import Observer
from resim.integrations.email.outbox import OutboxEmail
from resim.integrations.email.port import EmailSender
from resim.integrations.email.smtp import SmtpEmail
from resim.integrations.es2plus.client import Es2PlusClient, TlsFiles
from resim.integrations.hlr.osmo import OsmoHlr
from resim.integrations.hlr.port import SubscriberDb
from resim.integrations.ocr.port import Ocr
from resim.integrations.ocr.tesseract import TesseractOcr
from resim.integrations.sms.kannel import KannelSms, dlr_url
from resim.integrations.sms.outbox import OutboxSms
from resim.integrations.sms.port import SmsSender
from resim.kit.clock import Clock, SystemClock
from resim.kit.crypto import KeyRing
from resim.registry.service import LineRegistry
from resim.smdp_sandbox.rules import Sandbox
from resim.smdp_sandbox.store import Store

SANDBOX_MOUNT = "/smdp-sandbox"


@dataclass
class Deps:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    email: EmailSender
    sms: SmsSender
    ocr: Ocr
    clock: Clock = field(default_factory=SystemClock)

    def smdp_url(self) -> str:
        smdp = self.settings.smdp
        return smdp.url or self.settings.public_url.rstrip("/") + SANDBOX_MOUNT

    def smdp_client(self, observer: Observer | None = None) -> Es2PlusClient:
        smdp = self.settings.smdp
        tls = None
        if smdp.tls_cert and smdp.tls_key:
            tls = TlsFiles(str(smdp.tls_cert), str(smdp.tls_key), str(smdp.tls_ca or "") or None)
        return Es2PlusClient(
            self.smdp_url(),
            smdp.requester_id,
            timeout_seconds=smdp.timeout_seconds,
            tls=tls,
            observer=observer,
        )

    def hlr(self, session: Session, observer: Observer | None = None) -> SubscriberDb:
        """The subscriber database; the registry works in ``session``'s transaction."""
        hlr = self.settings.hlr
        if hlr.backend == "osmo-hlr":
            return OsmoHlr(
                hlr.host, hlr.ctrl_port, timeout_seconds=hlr.timeout_seconds, observer=observer
            )
        return LineRegistry(session, self.clock, keyring(self))

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
        sms=_sms(settings),
        ocr=TesseractOcr(),
        clock=clock or SystemClock(),
    )


def _sms(settings: Settings) -> SmsSender:
    if settings.sms.backend == "kannel":
        public, secret = settings.public_url, settings.secret_bytes
        return KannelSms(settings.sms, lambda message_id: dlr_url(public, secret, message_id))
    return OutboxSms(settings.sms.outbox_dir)


def open_sandbox(
    settings: Settings, path: Path | None = None, requesters: frozenset[str] | None = None
) -> Sandbox:
    """The SM-DP+ sandbox on its state file (served by `resim serve` or `resim smdp-sandbox`)."""
    where = path or settings.smdp.sandbox_db
    where.parent.mkdir(parents=True, exist_ok=True)
    return Sandbox(
        Store(str(where)), smdp_address=settings.smdp.sandbox_address, requesters=requesters
    )


def keyring(deps: Deps) -> KeyRing:
    return deps.settings.documents.keyring(deps.settings.secret_bytes)
