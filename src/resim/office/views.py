"""The back office's other pages: dashboard, line tools, jobs, audit trail, tenant policy."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from resim.agent import service as agents
from resim.agent.guards import office
from resim.agent.roles import Action
from resim.agent.service import AgentPrincipal
from resim.audit import service as audit
from resim.customer import service as customers
from resim.errors import AppError
from resim.i18n import N_
from resim.jobs import service as jobs
from resim.line import service as lines
from resim.line.schemas import ReactivateReason, SuspendReason
from resim.message import service as messages
from resim.office.charts import COLORS, LABELS, ORDER, stacked_days
from resim.replacement import queries
from resim.review import service as review
from resim.tenant import service as tenants
from resim.tenant.models import Tenant
from resim.tenant.schemas import TenantPolicy
from resim.web.context import CTX, DB, Context
from resim.web.errors import STATUS, app_error_message
from resim.web.forms import FORM, parse
from resim.web.security import csrf, current_tenant
from resim.web.templating import render

router = APIRouter(prefix="/{tenant}/office", include_in_schema=False)
DASHBOARD_DAYS = 14


@router.get("/")
def dashboard(
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.DASHBOARD)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    stats = queries.stats(session, tenant.id, days=DASHBOARD_DAYS, now=ctx.now)
    waiting = review.queue(session, tenant.id, ctx.now)
    return render(
        request,
        "office_dashboard.html",
        {
            "stats": stats,
            "chart": stacked_days(stats.days),
            "colors": COLORS,
            "labels": LABELS,
            "order": ORDER,
            "queue_size": len(waiting),
            "overdue": sum(1 for item in waiting if item.overdue),
            "days": DASHBOARD_DAYS,
        },
    )


@router.get("/lines")
def lines_page(
    request: Request,
    q: str = Query("", max_length=100),
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.LINES)),
    session: Session = DB,
) -> Response:
    found = lines.search(session, tenant.id, q) if q.strip() else []
    return render(
        request, "office_lines.html", {"q": q, "found": found, "searched": bool(q.strip())}
    )


def _line_page(
    request: Request,
    session: Session,
    tenant: Tenant,
    line_id: uuid.UUID,
    *,
    error: str | None = None,
    flash: str | None = None,
    status: int = 200,
) -> Response:
    line = lines.get_line(session, tenant.id, line_id)
    holder = customers.get(session, tenant.id, line.customer_id)
    apps = queries.of_line(session, tenant.id, line.id)
    recipients = {line.msisdn, holder.email} | {holder.alt_phone or ""}
    for app in apps:
        recipients |= {app.contact_email or "", app.alt_phone or ""}
    recipients.discard("")
    return render(
        request,
        "office_line.html",
        {
            "line": line,
            "holder": holder,
            "events": lines.history(session, tenant.id, line.id),
            "profiles": lines.profiles(session, tenant.id, line.id),
            "apps": apps,
            "sent": messages.sent_to(session, tenant.id, recipients),
            "suspend_reasons": list(SuspendReason),
            "reactivate_reasons": list(ReactivateReason),
            "error": error,
            "flash": flash,
        },
        status,
    )


@router.get("/lines/{line_id}")
def line_page(
    request: Request,
    line_id: uuid.UUID,
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.LINES)),
    session: Session = DB,
) -> Response:
    return _line_page(request, session, tenant, line_id)


@router.post("/lines/{line_id}/state", dependencies=[Depends(csrf)])
def line_state(
    request: Request,
    line_id: uuid.UUID,
    action: str = Form(""),
    reason: str = Form(""),
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.LINE_STATE)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    lines.get_line(session, tenant.id, line_id)  # another tenant's line: 404
    chosen: SuspendReason | ReactivateReason
    try:
        if action == "suspend":
            chosen = SuspendReason(reason)
        elif action == "reactivate":
            chosen = ReactivateReason(reason)
        else:
            raise ValueError(action)
    except ValueError:
        message = ctx.translate(N_("Choose one of the offered values."))
        return _line_page(request, session, tenant, line_id, error=message, status=422)
    try:
        lines.change_state_by_staff(
            session, tenant.id, line_id, chosen, at=ctx.now, actor=who.actor(ctx.ip)
        )
    except AppError as exc:
        session.rollback()  # the page shows the line as it stays
        return _line_page(
            request,
            session,
            tenant,
            line_id,
            error=app_error_message(request, exc),
            status=STATUS[exc.kind],
        )
    return RedirectResponse(f"/{tenant.slug}/office/lines/{line_id}", status_code=303)


@router.get("/jobs")
def jobs_page(
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.JOBS)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    troubled = jobs.troubled(session, tenant.id, ctx.now)
    return render(request, "office_jobs.html", {"jobs": troubled, "now": ctx.now})


@router.post("/jobs/{job_id}/retry", dependencies=[Depends(csrf)])
def job_retry(
    job_id: uuid.UUID,
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.JOB_RETRY)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    job = jobs.retry(session, job_id, at=ctx.now, tenant_id=tenant.id)
    audit.record(
        session,
        tenant_id=tenant.id,
        actor=who.actor(ctx.ip),
        action="job.retried",
        subject_type="job",
        subject_id=str(job.id),
        at=ctx.now,
        details={"name": job.name},
    )
    return RedirectResponse(f"/{tenant.slug}/office/jobs", status_code=303)


def _date(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value.strip()), dt.time(), tzinfo=dt.UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class _AuditFilter:
    """The audit search form's fields, as typed (shown back, and logged with an export)."""

    action: str = Query("", max_length=60)
    actor: str = Query("", max_length=64)
    subject: str = Query("", max_length=64)
    since: str = Query("", max_length=10)
    until: str = Query("", max_length=10)

    def search(self) -> audit.Search:
        end = _date(self.until)
        return audit.Search(
            action=self.action.strip() or None,
            actor_id=self.actor.strip() or None,
            subject_id=self.subject.strip() or None,
            since=_date(self.since),
            until=end + dt.timedelta(days=1) if end else None,
        )


@router.get("/audit")
def audit_page(
    request: Request,
    form: _AuditFilter = Depends(),
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.AUDIT)),
    session: Session = DB,
) -> Response:
    query = form.search()
    bad_dates = (form.since.strip() and query.since is None) or (
        form.until.strip() and query.until is None
    )
    return render(
        request,
        "office_audit.html",
        {
            "events": audit.search(session, tenant.id, query),
            "form": asdict(form),
            "names": agents.names(session, tenant.id),
            "bad_dates": bad_dates,
            "export": str(request.url.include_query_params()).split("?", 1)[1]
            if request.url.query
            else "",
        },
        422 if bad_dates else 200,
    )


@router.get("/audit.csv")
def audit_export(
    form: _AuditFilter = Depends(),
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.AUDIT)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    """Every matching event as CSV (oldest last), with its place in the chain and hashes."""
    query = form.search()
    now = ctx.now
    events = audit.search(session, tenant.id, query, limit=None)
    audit.record(
        session,
        tenant_id=tenant.id,
        actor=who.actor(ctx.ip),
        action="audit.exported",
        subject_type="tenant",
        subject_id=str(tenant.id),
        at=now,
        details={
            "events": len(events),
            "filter": asdict(form),
        },
    )
    rows = [_row(e) for e in events]

    def lines_out() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "seq",
                "at",
                "actor_type",
                "actor_id",
                "ip",
                "action",
                "subject_type",
                "subject_id",
                "details",
                "prev_hash",
                "hash",
            ]
        )
        for row in rows:
            writer.writerow(row)
            yield out.getvalue()
            out.seek(0)
            out.truncate()
        yield out.getvalue()

    name = f"audit-{tenant.slug}-{now:%Y%m%d-%H%M%S}.csv"
    return StreamingResponse(
        lines_out(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _row(e: Any) -> list[str]:
    return [
        str(e.seq),
        e.at.isoformat(),
        e.actor_type,
        e.actor_id or "",
        e.ip or "",
        e.action,
        e.subject_type,
        e.subject_id,
        json.dumps(e.details, sort_keys=True, ensure_ascii=False),
        e.prev_hash,
        e.hash,
    ]


@router.post("/audit/verify", dependencies=[Depends(csrf)])
def audit_verify(
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.AUDIT)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    broken = audit.verify(session, tenant.id)
    audit.record(
        session,
        tenant_id=tenant.id,
        actor=who.actor(ctx.ip),
        action="audit.verified",
        subject_type="tenant",
        subject_id=str(tenant.id),
        at=ctx.now,
        details={"holds": broken is None, "seq": broken.seq if broken else None},
    )
    return render(
        request,
        "office_audit.html",
        {
            "events": [],
            "form": {},
            "names": {},
            "bad_dates": False,
            "export": "",
            "verified": True,
            "broken": broken,
        },
        200,
    )


def _policy_page(
    request: Request,
    tenant: Tenant,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    flash: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "office_policy.html",
        {
            "values": values,
            "fields": TenantPolicy.model_fields,
            "flags": {
                n for n, info in TenantPolicy.model_fields.items() if info.annotation is bool
            },
            "errors": errors or {},
            "flash": flash,
            "documents": ["cie", "passport", "driving_licence", "residence_permit"],
            "loss_evidence": ["declaration", "police_report"],
        },
        status,
    )


@router.get("/policy")
def policy_page(
    request: Request,
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.POLICY)),
    session: Session = DB,
) -> Response:
    return _policy_page(request, tenant, tenants.policy(tenant).model_dump())


@router.post("/policy", dependencies=[Depends(csrf)])
def policy_save(
    request: Request,
    form: FormData = FORM,
    tenant: Tenant = Depends(current_tenant),
    who: AgentPrincipal = Depends(office(Action.POLICY_EDIT)),
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    current = tenants.policy(tenant).model_dump()
    data: dict[str, Any] = {}
    for name, info in TenantPolicy.model_fields.items():
        if info.annotation is bool:
            data[name] = form.get(name) == "1"
        elif name in ("accepted_documents", "accepted_loss_evidence"):
            data[name] = [str(v) for v in form.getlist(name)]
        else:
            raw = form.get(name)
            data[name] = str(raw).strip() if raw is not None else current[name]
    parsed = parse(request, TenantPolicy, data)
    if isinstance(parsed, dict):
        return _policy_page(request, tenant, {**current, **data}, errors=parsed, status=422)
    changed = tenants.update_policy(session, tenant, parsed, at=ctx.now, actor=who.actor(ctx.ip))
    flash = ctx.translate(N_("Saved: %(count)d changes."), count=len(changed))
    return _policy_page(request, tenant, parsed.model_dump(), flash=flash)
