"""The ports and settings a process wires once and hands to routes and jobs."""

from __future__ import annotations

from contextlib import ExitStack
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
from resim.integrations.es2plus.port import Es2Plus
from resim.integrations.hlr.osmo import OsmoHlr
from resim.integrations.hlr.port import SubscriberDb
from resim.integrations.ocr.port import Ocr
from resim.integrations.ocr.tesseract import TesseractOcr
from resim.integrations.sms.kannel import KannelCallbacks, KannelSms
from resim.integrations.sms.outbox import OutboxSms
from resim.integrations.sms.port import SmsGateway
from resim.integrations.webhook import WebhookPoster
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
    sms: SmsGateway
    ocr: Ocr
    es2plus: Es2PlusClient
    sinks: WebhookPoster  # the banks' CAMARA notification sinks
    clock: Clock = field(default_factory=SystemClock)
    # What the process closes when it stops: the adapters' long-lived clients.
    closing: ExitStack = field(default_factory=ExitStack)

    def smdp_client(self, observer: Observer | None = None) -> Es2Plus:
        """The SM-DP+ for one job step: the process's client, recording each call."""
        return self.es2plus.observed(observer)

    def close(self) -> None:
        """The process stops: close the adapters' connections and the database pool."""
        self.closing.close()
        self.engine.dispose()

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
    closing = ExitStack()
    es2plus = closing.enter_context(es2plus_client(settings))
    sms = _sms(settings, closing)
    sinks = closing.enter_context(WebhookPoster(settings.camara.sink_timeout_seconds))
    return Deps(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        email=email,
        sms=sms,
        ocr=TesseractOcr(),
        es2plus=es2plus,
        sinks=sinks,
        clock=clock or SystemClock(),
        closing=closing,
    )


def smdp_url(settings: Settings) -> str:
    """The SM-DP+'s ES2+ base URL: the configured one, or the sandbox mounted in resim."""
    return settings.smdp.url or settings.public_url.rstrip("/") + SANDBOX_MOUNT


def es2plus_client(settings: Settings) -> Es2PlusClient:
    """The process's one ES2+ client, its TLS files loaded now."""
    smdp = settings.smdp
    tls = None
    if smdp.tls_cert and smdp.tls_key:
        tls = TlsFiles(str(smdp.tls_cert), str(smdp.tls_key), str(smdp.tls_ca or "") or None)
    return Es2PlusClient(
        smdp_url(settings), smdp.requester_id, timeout_seconds=smdp.timeout_seconds, tls=tls
    )


def _sms(settings: Settings, closing: ExitStack) -> SmsGateway:
    callbacks = KannelCallbacks(
        settings.public_url,
        settings.secret_bytes,
        settings.sms.inbound_token.get_secret_value(),
    )
    if settings.sms.backend == "kannel":
        return closing.enter_context(KannelSms(settings.sms, callbacks))
    return OutboxSms(settings.sms.outbox_dir, callbacks)


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
