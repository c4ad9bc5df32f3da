"""The draft's contacts confirmed: a code to the contact e-mail, or by SMS to the
alternative phone, typed back within its minutes and tries."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.orm import Session

from resim.config import Settings
from resim.errors import AppError, Invalid
from resim.i18n import N_, gettext_for
from resim.kit.crypto import keyed_hash, numeric_code
from resim.message import service as messages
from resim.replacement import repository
from resim.replacement.draft import require_draft
from resim.replacement.models import Application, ContactVerification
from resim.replacement.queries import line_of
from resim.tenant.models import Tenant

CODE_MINUTES = 10
CODE_TRIES = 5


def send_verification(
    session: Session,
    settings: Settings,
    tenant: Tenant,
    app: Application,
    channel: str,
    *,
    language: str,
    at: dt.datetime,
) -> None:
    """A code to the contact e-mail or, by SMS, to the alternative phone."""
    require_draft(app)
    target = app.contact_email if channel == "email" else app.alt_phone
    if target is None:
        raise Invalid("CONTACT_MISSING", "Give the address or number first.", field=channel)
    if channel == "sms":
        line = line_of(session, app)
        if target == line.msisdn:
            raise Invalid(
                "ALT_PHONE_IS_LINE",
                "The alternative number must be another number than the lost line.",
                field="alt_phone",
            )
    pending = repository.open_verification(session, app.id, channel)
    if pending is not None:
        pending.used_at = at
    verification_id = uuid.uuid4()
    code = numeric_code(6)
    session.add(
        ContactVerification(
            id=verification_id,
            tenant_id=app.tenant_id,
            application_id=app.id,
            channel=channel,
            target=target,
            code_hash=keyed_hash(settings.secret_bytes, "verify", str(verification_id), code),
            created_at=at,
            expires_at=at + dt.timedelta(minutes=CODE_MINUTES),
        )
    )
    text = gettext_for(language, "%(operator)s: your verification code is %(code)s.") % {
        "operator": tenant.name,
        "code": code,
    }
    if channel == "email":
        subject = gettext_for(language, "Confirm your e-mail address")
        messages.queue_email(
            session,
            key=settings.secret_bytes,
            tenant_id=app.tenant_id,
            to=target,
            subject=subject,
            text=text,
            at=at,
        )
    else:
        messages.queue_sms(
            session, key=settings.secret_bytes, tenant_id=app.tenant_id, to=target, text=text, at=at
        )


def confirm_verification(
    session: Session,
    settings: Settings,
    app: Application,
    channel: str,
    code: str,
    *,
    at: dt.datetime,
) -> AppError | None:
    """Check a contact code; a wrong one is counted (the caller commits, then reports)."""
    pending = repository.open_verification(session, app.id, channel)
    target = app.contact_email if channel == "email" else app.alt_phone
    if pending is None or pending.expires_at <= at or pending.target != target:
        return Invalid(
            "CODE_INVALID",
            N_("This code is wrong or has expired. Ask for a new one."),
            field="code",
        )
    if keyed_hash(settings.secret_bytes, "verify", str(pending.id), code) != pending.code_hash:
        pending.failed_tries += 1
        if pending.failed_tries >= CODE_TRIES:
            pending.used_at = at
            return Invalid(
                "CODE_LOCKED", N_("Too many wrong codes. Ask for a new one."), field="code"
            )
        return Invalid(
            "CODE_INVALID",
            N_("This code is wrong or has expired. Ask for a new one."),
            field="code",
        )
    pending.used_at = at
    if channel == "email":
        app.contact_email_verified_at = at
    else:
        app.alt_phone_verified_at = at
    return None
