"""What the holder is told, in their language: an e-mail at each change of the application
(with the receipt once installed), and the AGCOM 86/21/CIR announcement of a submission."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from resim.billing.models import Charge
from resim.customer import service as customers
from resim.customer.models import Customer
from resim.i18n import N_, gettext_for
from resim.kit.money import format_eur
from resim.line import service as lines
from resim.message import service as messages
from resim.replacement.models import Application
from resim.replacement.states import ApplicationState
from resim.tenant.models import Tenant

S = ApplicationState

STATE_NOTICES = {
    S.OBJECTED: N_(
        "The request to replace the SIM of %(msisdn)s was stopped, as you asked. "
        "Your current SIM keeps working."
    ),
    S.APPROVED: N_(
        "Your request to replace the SIM of %(msisdn)s is approved. We are preparing your new eSIM."
    ),
    S.IN_REVIEW: N_(
        "Your request to replace the SIM of %(msisdn)s is being checked by our staff. "
        "We will write to you."
    ),
    S.CODE_READY: N_(
        "Your new eSIM for %(msisdn)s is ready. Open your request on our site to install it."
    ),
    S.FAILED: N_(
        "We could not prepare your new eSIM for %(msisdn)s. Nothing was changed on your line: "
        "please call us."
    ),
    S.INSTALLED: N_("Your new eSIM for %(msisdn)s is installed and the line is active again."),
    S.REJECTED: N_(
        "We could not accept your request to replace the SIM of %(msisdn)s. "
        "Your current SIM was not changed."
    ),
}

FREE_REASONS = {
    "faulty_sim": N_("free: the eSIM was faulty"),
    "free_allowance": N_("free: your first replacement in twelve months"),
}
CHARGED_TO = {
    "credit": N_("taken from your prepaid credit"),
    "bill": N_("added to your next bill"),
    "none": N_("nothing to pay"),
}


def receipt_text(lang: str, charged: Charge, msisdn: str) -> str:
    """The receipt in the holder's language: number, date, line, amount, how it is paid."""
    lines_ = [
        gettext_for(lang, "Receipt %(number)s") % {"number": charged.receipt_number},
        gettext_for(lang, "Date: %(date)s") % {"date": charged.charged_at.date().isoformat()},
        gettext_for(lang, "eSIM replacement for %(msisdn)s") % {"msisdn": msisdn},
        gettext_for(lang, "Amount: %(amount)s")
        % {"amount": format_eur(charged.amount_cents, lang)},
    ]
    how = gettext_for(lang, CHARGED_TO.get(charged.charge_to, CHARGED_TO["none"]))
    if charged.free_reason in FREE_REASONS:
        how = gettext_for(lang, FREE_REASONS[charged.free_reason])
    lines_.append(how)
    if charged.credit_after_cents is not None:
        lines_.append(
            gettext_for(lang, "Credit left: %(amount)s")
            % {"amount": format_eur(charged.credit_after_cents, lang)}
        )
    return "\n".join(lines_)


def notify(
    session: Session,
    key: bytes,
    app: Application,
    state: ApplicationState,
    at: dt.datetime,
    *,
    receipt: Charge | None = None,
    detail: str | None = None,
) -> None:
    """An e-mail to the holder's address on file at each change of the application; the
    receipt, when there is one, goes with it, and ``detail`` (a message id) says why."""
    holder = customers.get(session, app.tenant_id, app.customer_id)
    lang = holder.language
    line = lines.get_line(session, app.tenant_id, app.line_id)
    subject = gettext_for(lang, "Your SIM replacement request")
    text = gettext_for(lang, STATE_NOTICES[state]) % {"msisdn": line.msisdn}
    if detail is not None:
        text += " " + gettext_for(lang, detail)
    if receipt is not None:
        subject = gettext_for(lang, "Your new eSIM is installed: receipt %(number)s") % {
            "number": receipt.receipt_number
        }
        text += "\n\n" + receipt_text(lang, receipt, line.msisdn)
    messages.queue_email(
        session,
        key=key,
        tenant_id=app.tenant_id,
        to=holder.email,
        subject=subject,
        text=text,
        at=at,
    )


def announce_submission(
    session: Session,
    key: bytes,
    tenant: Tenant,
    holder: Customer,
    msisdn: str,
    link: str,
    minutes: int,
    at: dt.datetime,
) -> None:
    """AGCOM delibera 86/21/CIR: the SIM change is announced to the line's own number, even
    when that SIM is lost, and to the e-mail on file; an objection in the window stops it."""
    lang = holder.language
    sms = gettext_for(
        lang,
        "%(operator)s: a new SIM was requested for this number. If it was not you, "
        "open %(link)s within %(minutes)d minutes to stop it.",
    )
    messages.queue_sms(
        session,
        key=key,
        tenant_id=tenant.id,
        to=msisdn,
        text=sms % {"operator": tenant.name, "link": link, "minutes": minutes},
        at=at,
    )
    notice = gettext_for(
        lang,
        "We received a request to replace the SIM of %(msisdn)s. If it was not "
        "you, open this link within %(minutes)d minutes to stop it: %(link)s",
    )
    messages.queue_email(
        session,
        key=key,
        tenant_id=tenant.id,
        to=holder.email,
        subject=gettext_for(lang, "Your SIM replacement request"),
        text=notice % {"msisdn": msisdn, "minutes": minutes, "link": link},
        at=at,
    )
