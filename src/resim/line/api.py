"""Line status, suspension and reactivation for the operator's app (JSON, /api/v1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from resim.audit.service import Actor
from resim.auth.guards import api_customer, customer_actor
from resim.auth.service import Principal
from resim.kit.telecom import ItalianMobile
from resim.line import service
from resim.line.schemas import (
    EventOut,
    LineOut,
    PlanOut,
    ProfileOut,
    ReactivateIn,
    SuspendIn,
)
from resim.line.service import LineOverview
from resim.web.context import CTX, DB, Context

router = APIRouter(prefix="/api/v1/{tenant}/lines", tags=["lines"])


def to_out(view: LineOverview) -> LineOut:
    line = view.line
    return LineOut(
        msisdn=line.msisdn,
        state=line.state.value,
        state_changed_at=line.state_changed_at,
        iccid=line.iccid,
        eid=line.eid,
        plan=PlanOut.model_validate(view.plan, from_attributes=True),
        plan_valid_until=line.plan_valid_until,
        billing=line.billing,
        credit_cents=line.credit_cents if line.billing == "prepaid" else None,
        profile=ProfileOut(
            iccid=view.profile.iccid,
            state=view.profile.state.value,
            device_state=view.profile.device_state.value,
        )
        if view.profile
        else None,
        events=[
            EventOut(kind=e.kind.value, at=e.at, actor=e.actor, reason=e.reason)
            for e in view.events
        ],
    )


def _number(msisdn: str) -> str:
    return str(ItalianMobile(msisdn))


@router.get("", response_model=list[LineOut], response_model_by_alias=True)
def list_lines(who: Principal = Depends(api_customer), session: Session = DB) -> list[LineOut]:
    """The signed-in customer's lines with their state, profile, plan and last events."""
    return [to_out(v) for v in service.overview(session, who.tenant_id, who.customer_id)]


@router.get("/{msisdn}", response_model=LineOut, response_model_by_alias=True)
def get_line(msisdn: str, who: Principal = Depends(api_customer), session: Session = DB) -> LineOut:
    view = service.line_overview(session, who.tenant_id, who.customer_id, _number(msisdn))
    return to_out(view)


@router.post("/{msisdn}/suspend", response_model=LineOut, response_model_by_alias=True)
def suspend(
    msisdn: str,
    body: SuspendIn,
    who: Principal = Depends(api_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> LineOut:
    """Suspend a lost or stolen line at once. Accepts an Idempotency-Key header."""
    return _change(
        ctx,
        session,
        who,
        msisdn,
        lambda number, at, actor: service.suspend(
            session, who.tenant_id, who.customer_id, number, body.reason, at=at, actor=actor
        ),
    )


@router.post("/{msisdn}/reactivate", response_model=LineOut, response_model_by_alias=True)
def reactivate(
    msisdn: str,
    body: ReactivateIn,
    who: Principal = Depends(api_customer),
    ctx: Context = CTX,
    session: Session = DB,
) -> LineOut:
    """Lift the customer's suspension (the phone turned up). Accepts an Idempotency-Key."""
    return _change(
        ctx,
        session,
        who,
        msisdn,
        lambda number, at, actor: service.reactivate(
            session, who.tenant_id, who.customer_id, number, body.reason, at=at, actor=actor
        ),
    )


def _change(
    ctx: Context,
    session: Session,
    who: Principal,
    msisdn: str,
    change: Callable[[str, dt.datetime, Actor], object],
) -> LineOut:
    number = _number(msisdn)
    change(number, ctx.now, customer_actor(ctx.request, who))
    return to_out(service.line_overview(session, who.tenant_id, who.customer_id, number))
