"""Settings: one object, built once from the environment (prefix ``RESIM_``), passed down."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from resim.kit.crypto import KeyRing

DEFAULT_SECRET = "dev-only-insecure-secret-change-me"  # noqa: S105 - refused in production


class DbSettings(BaseModel):
    url: str = Field(
        "sqlite:///var/resim.sqlite3",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user:pw@host/db.",
    )
    echo: bool = Field(False, description="Log every SQL statement (development only).")
    pool_size: int = Field(5, ge=1, le=100, description="PostgreSQL connections kept per process.")


class JobsSettings(BaseModel):
    embedded_worker: bool = Field(
        True, description="Run a worker loop inside `resim serve` (the one-machine default)."
    )
    poll_seconds: float = Field(0.5, gt=0, le=60, description="Idle wait between job claims.")
    max_attempts: int = Field(8, ge=1, le=100, description="Attempts before a job is parked.")
    backoff_base_seconds: float = Field(2.0, gt=0, description="First retry delay; doubles.")
    backoff_max_seconds: float = Field(3600.0, gt=0, description="Longest retry delay.")
    lease_seconds: int = Field(
        300, ge=1, description="A claimed job whose worker is silent this long is claimed again."
    )
    step_max_tries: int = Field(
        6,
        ge=1,
        le=50,
        description="Tries of a provisioning step against a failing SM-DP+ or HLR before the "
        "workflow gives up and undoes what it did.",
    )


class EmailSettings(BaseModel):
    backend: Literal["outbox", "smtp"] = Field(
        "outbox", description="outbox: write messages to a folder shown in the UI; smtp: send."
    )
    outbox_dir: Path = Field(Path("var/outbox/email"), description="Where the outbox writes.")
    sender: str = Field("resim <no-reply@resim.example>", description="From: header.")
    smtp_host: str = Field("127.0.0.1", description="SMTP server host.")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP server port.")
    smtp_username: str | None = Field(None, description="SMTP user, if the server wants one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(False, description="Upgrade the connection with STARTTLS.")
    smtp_timeout_seconds: float = Field(10.0, gt=0, description="Timeout of one SMTP exchange.")


class SmsSettings(BaseModel):
    backend: Literal["outbox", "kannel"] = Field(
        "outbox",
        description="outbox: kept for the UI; kannel: Kannel's HTTP sendsms interface (Kannel "
        "talks SMPP to the operator's SMSC).",
    )
    outbox_dir: Path = Field(Path("var/outbox/sms"), description="Where the SMS outbox writes.")
    kannel_url: str = Field(
        "http://127.0.0.1:13013/cgi-bin/sendsms", description="Kannel smsbox's sendsms URL."
    )
    kannel_username: str = Field("resim", description="A sendsms-user of Kannel's smsbox.")
    kannel_password: SecretStr = Field(SecretStr(""), description="That user's password.")
    sender: str = Field("resim", max_length=16, description="The sender shown on the phone.")
    timeout_seconds: float = Field(10.0, gt=0, le=60, description="Per sendsms request.")
    inbound_token: SecretStr = Field(
        SecretStr(DEFAULT_SECRET), description="Shared secret the SMS gateway sends with replies."
    )


class SmdpSettings(BaseModel):
    backend: Literal["sandbox", "es2plus"] = Field(
        "sandbox",
        description="sandbox: resim's own SM-DP+ (served under /smdp-sandbox); es2plus: a real "
        "SM-DP+ at `url` over mutual TLS.",
    )
    url: str | None = Field(
        None, description="The SM-DP+'s ES2+ base URL; unset with the sandbox: our own."
    )
    requester_id: str = Field("resim", description="Our functionRequesterIdentifier.")
    timeout_seconds: float = Field(10.0, gt=0, le=120, description="Per ES2+ call.")
    tls_cert: Path | None = Field(None, description="Our client certificate (PEM).")
    tls_key: Path | None = Field(None, description="Its private key (PEM).")
    tls_ca: Path | None = Field(None, description="The CA of the SM-DP+'s server certificate.")
    notify_token: SecretStr = Field(
        SecretStr(DEFAULT_SECRET),
        description="Bearer token the SM-DP+ sends with handleDownloadProgressInfo.",
    )
    sandbox_db: Path = Field(
        Path("var/smdp-sandbox.sqlite3"), description="The sandbox's own state."
    )
    sandbox_address: str = Field(
        "smdp.sandbox.resim.test",
        description="The SM-DP+ address the sandbox hands out; also the address put in "
        "activation codes when an SM-DP+ does not say its own.",
    )

    @property
    def embedded(self) -> bool:
        """resim serves the sandbox itself, under /smdp-sandbox."""
        return self.backend == "sandbox" and self.url is None


class HlrSettings(BaseModel):
    backend: Literal["registry", "osmo-hlr"] = Field(
        "registry",
        description="registry: resim's own line registry (embedded); osmo-hlr: the Osmocom HLR "
        "over its CTRL interface.",
    )
    host: str = Field("127.0.0.1", description="osmo-hlr's CTRL address.")
    ctrl_port: int = Field(4259, ge=1, le=65535, description="osmo-hlr's CTRL port.")
    timeout_seconds: float = Field(5.0, gt=0, le=60, description="Per CTRL command.")


class DocumentSettings(BaseModel):
    folder: Path = Field(Path("var/documents"), description="Where encrypted uploads are kept.")
    keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Encryption keys by id, each 32 bytes in base64; several for rotation.",
    )
    current_key: str | None = Field(None, description="Id of the key that encrypts new uploads.")
    max_upload_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="Largest upload accepted.")

    def keyring(self, fallback_secret: bytes) -> KeyRing:
        """The configured keys; in development, one key derived from the secret key."""
        if not self.keys:
            return KeyRing(
                {"dev": hashlib.sha256(b"documents\x00" + fallback_secret).digest()}, "dev"
            )
        decoded = {k: base64.b64decode(v.get_secret_value()) for k, v in self.keys.items()}
        return KeyRing(decoded, self.current_key or sorted(decoded)[-1])


class SecuritySettings(BaseModel):
    secret_key: SecretStr = Field(
        SecretStr(DEFAULT_SECRET), description="Key for signing cookies and hashing codes."
    )
    cookie_secure: bool = Field(False, description="Send cookies over HTTPS only.")
    session_minutes: int = Field(60, ge=5, le=24 * 60, description="A customer session's life.")
    signin_code_minutes: int = Field(10, ge=1, le=60, description="A sign-in code's life.")
    fresh_signin_minutes: int = Field(
        15, ge=1, le=24 * 60, description="How recent a sign-in must be to show an eSIM code."
    )
    signin_code_max_tries: int = Field(5, ge=1, le=20, description="Wrong codes before lock.")
    signin_per_address: int = Field(5, ge=1, description="Code requests per address a window.")
    signin_per_ip: int = Field(30, ge=1, description="Sign-in attempts per IP a window.")
    signin_window_minutes: int = Field(15, ge=1, description="The rate-limit window.")
    idempotency_hours: int = Field(24, ge=1, description="How long POST answers are replayed.")
    agent_session_minutes: int = Field(
        8 * 60, ge=5, le=24 * 60, description="An agent's session life, however active."
    )
    agent_idle_minutes: int = Field(
        30, ge=1, le=24 * 60, description="An agent's session ends after this long unused."
    )
    agent_max_failures: int = Field(
        5, ge=1, le=20, description="Failed agent sign-ins in a row before the account locks."
    )
    agent_lockout_minutes: int = Field(
        15, ge=1, le=24 * 60, description="How long a locked agent account stays locked."
    )
    agent_setup_hours: int = Field(
        72, ge=1, le=30 * 24, description="How long a new agent's set-up link works."
    )
    review_claim_minutes: int = Field(
        30, ge=1, le=24 * 60, description="How long an agent's claim on an application lasts."
    )
    country_header: str | None = Field(
        None,
        description="Header in which the trusted edge proxy puts the client's ISO country code "
        "(for example CF-IPCountry); unset, the country is not known.",
    )


class CamaraSettings(BaseModel):
    """The CAMARA SIM Swap API for banks and its OAuth 2.0 / OpenID Connect CIBA server."""

    token_seconds: int = Field(
        600, ge=60, le=3600, description="An access token's life (short: tokens are bearer)."
    )
    monitored_days: int = Field(
        90,
        ge=1,
        le=3650,
        description="How far back SIM changes may be told: an older change is withheld "
        "(latestSimChange null with monitoredPeriod), a longer maxAge is OUT_OF_RANGE.",
    )
    per_minute: int = Field(
        6000, ge=1, description="Default requests a minute of a new API client."
    )
    consent_seconds: int = Field(
        600, ge=60, le=3600, description="How long a holder has to answer a bank's request."
    )
    poll_interval_seconds: int = Field(
        5, ge=1, le=60, description="Least wait between a bank's polls of the token endpoint."
    )
    sink_timeout_seconds: float = Field(
        10.0, gt=0, le=60, description="Per webhook delivery to a bank's sink."
    )
    allow_http_sinks: bool = Field(
        False, description="Accept http:// sinks (development and tests); https:// otherwise."
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RESIM_", env_nested_delimiter="__", extra="ignore"
    )

    mode: Literal["development", "production"] = Field(
        "development", description="production refuses SQLite, sandboxes and default secrets."
    )
    var_dir: Path = Field(Path("var"), description="Folder for the SQLite file and outboxes.")
    host: str = Field("127.0.0.1", description="Address `resim serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `resim serve` listens on.")
    demo: bool = Field(True, description="Show demo hints (accounts, outbox link) on pages.")
    public_url: str = Field(
        "http://127.0.0.1:8000", description="Where customers reach resim: links in messages."
    )
    log_level: str = Field("INFO", description="Lowest level logged.")
    db: DbSettings = Field(default_factory=DbSettings)
    jobs: JobsSettings = Field(default_factory=JobsSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    sms: SmsSettings = Field(default_factory=SmsSettings)
    smdp: SmdpSettings = Field(default_factory=SmdpSettings)
    hlr: HlrSettings = Field(default_factory=HlrSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    documents: DocumentSettings = Field(default_factory=DocumentSettings)
    camara: CamaraSettings = Field(default_factory=CamaraSettings)

    @model_validator(mode="after")
    def _production_is_real(self) -> Settings:
        if self.mode != "production":
            return self
        problems = []
        if self.db.url.startswith("sqlite"):
            problems.append("RESIM_DB__URL must be PostgreSQL, not SQLite")
        if self.email.backend == "outbox":
            problems.append("RESIM_EMAIL__BACKEND must be smtp, not the outbox")
        if self.sms.backend == "outbox":
            problems.append("RESIM_SMS__BACKEND must be a real gateway, not the outbox")
        if self.smdp.backend == "sandbox":
            problems.append("RESIM_SMDP__BACKEND must be a real SM-DP+, not the sandbox")
        elif not (self.smdp.url or "").startswith("https://") or not (
            self.smdp.tls_cert and self.smdp.tls_key
        ):
            problems.append(
                "RESIM_SMDP__URL must be https, with RESIM_SMDP__TLS_CERT and RESIM_SMDP__TLS_KEY"
            )
        if self.hlr.backend == "registry":
            problems.append("RESIM_HLR__BACKEND must be the network's HLR, not the registry")
        if self.smdp.notify_token.get_secret_value() == DEFAULT_SECRET:
            problems.append("RESIM_SMDP__NOTIFY_TOKEN must be set")
        secret = self.security.secret_key.get_secret_value()
        if secret == DEFAULT_SECRET or len(secret) < 32:
            problems.append("RESIM_SECURITY__SECRET_KEY must be set to 32 or more characters")
        if not self.security.cookie_secure:
            problems.append("RESIM_SECURITY__COOKIE_SECURE must be true")
        if self.demo:
            problems.append("RESIM_DEMO must be false")
        if self.sms.inbound_token.get_secret_value() == DEFAULT_SECRET:
            problems.append("RESIM_SMS__INBOUND_TOKEN must be set")
        if not self.documents.keys:
            problems.append("RESIM_DOCUMENTS__KEYS must hold the document encryption keys")
        if problems:
            raise ValueError("production mode refused: " + "; ".join(problems))
        return self

    @property
    def production(self) -> bool:
        return self.mode == "production"

    @property
    def secret_bytes(self) -> bytes:
        return self.security.secret_key.get_secret_value().encode()
