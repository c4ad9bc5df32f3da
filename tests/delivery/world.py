"""A replacement whose code is ready, with verified contacts, and a holder signed in."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from fastapi.testclient import TestClient

from resim.customer.models import Customer
from resim.db.engine import transaction
from resim.deps import Deps, keyring
from resim.kit.activation_code import ActivationCode
from resim.kit.clock import FixedClock
from resim.provisioning import service as provisioning
from resim.replacement.models import Application
from resim.tasks import make_worker
from resim.tenant import service as tenants
from tests.provisioning.world import Case, approve, holder, state_of
from tests.web.test_pages import CSRF, sign_in

ALT_PHONE = "+41791234567"


@dataclass(frozen=True)
class Ready:
    case: Case
    app_id: uuid.UUID
    email: str  # the address on file: sign-in codes go there
    contact_email: str  # the application's verified contact address


def run(deps: Deps, clock: FixedClock, rounds: int = 4) -> None:
    worker = make_worker(deps)
    for _ in range(rounds):
        worker.run_until_idle()
        clock.advance(dt.timedelta(seconds=30))
    worker.run_until_idle()


def code_ready(
    deps: Deps,
    clock: FixedClock,
    *,
    fee: tuple[int, str, str | None] = (1000, "credit", None),
    reason: str = "lost",
    **policy: object,
) -> Ready:
    """An approved application provisioned to "code ready"; ``policy`` overrides the
    tenant's, ``fee`` is the accepted quote (cents, charged to, free reason)."""
    now = clock.now()
    case = holder(deps.sessions, now)
    with transaction(deps.sessions) as session:
        tenant = tenants.by_id(session, case.tenant_id)
        tenant.policy = {**tenant.policy, **policy}
    app_id = approve(deps.sessions, case, now)
    with transaction(deps.sessions) as session:
        app = session.get(Application, app_id)
        person = session.get(Customer, case.customer_id)
        assert app is not None and person is not None
        app.reason = reason
        app.fee_cents, app.fee_charge_to, app.fee_free_reason = fee
        app.contact_email = f"contact.{app_id.hex[:8]}@example.org"
        app.contact_email_verified_at = now
        app.alt_phone, app.alt_phone_verified_at = ALT_PHONE, now
        email, contact = person.email, app.contact_email
    run(deps, clock)
    assert state_of(deps.sessions, app_id)[0] == "code_ready"
    return Ready(case, app_id, email, contact)


def code_of(deps: Deps, app_id: uuid.UUID) -> ActivationCode:
    """The code as resim keeps it (encrypted), for comparing with what users see."""
    with deps.sessions() as session:
        prov = provisioning.for_application(session, app_id)
        assert prov is not None
        found = provisioning.activation_code(keyring(deps), prov)
    assert found is not None
    return found


def signed_in(client: TestClient, deps: Deps, ready: Ready) -> str:
    """Sign the holder in; returns a CSRF token for the forms."""
    sign_in(client, deps, ready.email)
    page = client.get(f"/acme/applications/{ready.app_id}")
    found = CSRF.search(page.text)
    assert found
    return found.group(1)


LPA = re.compile(r"LPA:1\$[^\"<\s]+")
