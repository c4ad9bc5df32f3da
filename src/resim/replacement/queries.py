"""Reading applications: for their holder, for staff, for jobs, and the dashboard's figures.
Nothing here changes an application."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from resim.errors import NotFound
from resim.i18n import N_
from resim.line import service as lines
from resim.line.models import Line
from resim.replacement import repository, timeline
from resim.replacement.models import Application, ApplicationEvent
from resim.replacement.states import ApplicationState

S = ApplicationState

FAILURES = {
    "LINE_BUSY": N_("Another replacement of this line is under way."),
    "SMDP_REFUSED": N_("The eSIM supplier could not prepare a new profile."),
    "SMDP_UNAVAILABLE": N_("The eSIM supplier did not answer for too long."),
    "HLR_REFUSED": N_("The network could not move your number to the new eSIM."),
    "HLR_UNAVAILABLE": N_("The network did not answer for too long."),
    "PROFILE_NOT_IN_STOCK": N_("There is no new eSIM available right now."),
    "NUMBER_ON_ANOTHER_IMSI": N_("Your number is not where we expected it on the network."),
}
FAILED_OTHERWISE = N_("The new eSIM could not be prepared.")

# Why an agent refused an application: shown to the customer, translated.
REJECTIONS = {
    "DOCUMENT_NOT_HOLDER": N_("The identity document does not belong to the holder of the line."),
    "DOCUMENT_UNREADABLE": N_("The identity document could not be read or checked."),
    "DOCUMENT_EXPIRED": N_("The identity document has expired."),
    "SUSPECTED_FRAUD": N_("The request did not pass our security checks."),
    "HOLDER_CONTACTED": N_("The holder of the line told us not to go ahead."),
    "OTHER": N_("The request could not be accepted."),
}


def get(
    session: Session,
    tenant_id: uuid.UUID,
    customer_id: uuid.UUID,
    app_id: uuid.UUID,
    *,
    lock: bool = False,
) -> Application:
    """The customer's own application; anyone else's is not found."""
    app = repository.by_id(session, tenant_id, app_id, lock=lock)
    if app is None or app.customer_id != customer_id:
        raise NotFound("APPLICATION_NOT_FOUND", "This application does not exist.")
    return app


def for_review(
    session: Session, tenant_id: uuid.UUID, app_id: uuid.UUID, *, lock: bool = False
) -> Application:
    """Any application of the tenant, for its staff."""
    app = repository.by_id(session, tenant_id, app_id, lock=lock)
    if app is None:
        raise NotFound("APPLICATION_NOT_FOUND", "This application does not exist.")
    return app


def find(session: Session, app_id: uuid.UUID) -> Application | None:
    """An application by id alone, for jobs that carry only its id."""
    return session.get(Application, app_id)


def lock(session: Session, app_id: uuid.UUID) -> Application | None:
    """An application by id alone, locked, for jobs that carry only its id."""
    tenant_id = tenant_of(session, app_id)
    return None if tenant_id is None else repository.by_id(session, tenant_id, app_id, lock=True)


def tenant_of(session: Session, app_id: uuid.UUID) -> uuid.UUID | None:
    """The tenant of an application, for jobs that carry only its id."""
    found = session.get(Application, app_id)
    return found.tenant_id if found else None


def waiting_for_review(session: Session, tenant_id: uuid.UUID) -> list[Application]:
    """Applications an agent must decide, oldest first (they wait from the window's end)."""
    return repository.in_state(session, tenant_id, S.IN_REVIEW)


def of_customer(
    session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID
) -> list[Application]:
    return repository.of_customer(session, tenant_id, customer_id)


def of_line(session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID) -> list[Application]:
    return repository.of_line(session, tenant_id, line_id)


def open_application(
    session: Session, tenant_id: uuid.UUID, line_id: uuid.UUID
) -> Application | None:
    return repository.open_for_line(session, tenant_id, line_id)


def line_of(session: Session, app: Application) -> Line:
    return lines.get_line(session, app.tenant_id, app.line_id)


def timeline_of(session: Session, app: Application) -> list[ApplicationEvent]:
    return timeline.of(session, app)


def failure_of(session: Session, app: Application) -> tuple[str, str] | None:
    """Why a failed or rejected application ended: its code and the message id that
    explains it."""
    if app.state not in (S.FAILED, S.REJECTED):
        return None
    ended = [e for e in timeline.of(session, app) if e.state == app.state.value]
    code = str(ended[-1].details.get("reason", "")) if ended else ""
    if app.state == S.REJECTED:
        return code, REJECTIONS.get(code, REJECTIONS["OTHER"])
    return code, FAILURES.get(code, FAILED_OTHERWISE)


OUTCOMES = {
    S.INSTALLED: "installed",
    S.CODE_READY: "approved",
    S.PROVISIONING: "approved",
    S.APPROVED: "approved",
    S.REJECTED: "rejected",
    S.FAILED: "failed",
    S.OBJECTED: "stopped",
    S.WITHDRAWN: "stopped",
    S.AWAITING_CONFIRMATION: "pending",
    S.IN_REVIEW: "pending",
}


@dataclass(frozen=True)
class Stats:
    days: list[tuple[dt.date, dict[str, int]]]  # per day of submission: outcome -> count
    median_minutes_to_installed: float | None
    auto_approved_share: float | None  # of the applications routed in the period
    submitted: int


def stats(session: Session, tenant_id: uuid.UUID, *, days: int, now: dt.datetime) -> Stats:
    """Applications submitted in the last ``days`` days, for the dashboard."""
    first = (now - dt.timedelta(days=days - 1)).date()
    since = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    apps = repository.submitted_since(session, tenant_id, since)
    per_day: dict[dt.date, dict[str, int]] = {
        first + dt.timedelta(days=i): dict.fromkeys(sorted(set(OUTCOMES.values())), 0)
        for i in range(days)
    }
    routed = auto = 0
    for app in apps:
        assert app.submitted_at is not None
        day = per_day.get(app.submitted_at.date())
        if day is not None and app.state in OUTCOMES:
            day[OUTCOMES[app.state]] += 1
        if app.route:
            routed += 1
            auto += app.route == "auto_approve"
    return Stats(
        days=sorted(per_day.items()),
        median_minutes_to_installed=_median(_minutes_to_installed(session, apps)),
        auto_approved_share=auto / routed if routed else None,
        submitted=len(apps),
    )


def _minutes_to_installed(session: Session, apps: list[Application]) -> list[float]:
    installed = repository.installed_at(session, [a.id for a in apps if a.state == S.INSTALLED])
    return sorted(
        (installed[a.id] - a.submitted_at).total_seconds() / 60
        for a in apps
        if a.id in installed and a.submitted_at is not None
    )


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
