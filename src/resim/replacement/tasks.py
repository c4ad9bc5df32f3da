"""Jobs of the replacement process: the AGCOM window's end, a provisioning round's start,
a code's expiry and link, and a new round when the customer asks again."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from resim.audit import service as audit
from resim.config import Settings
from resim.errors import AppError
from resim.kit.clock import Clock
from resim.provisioning.service import Ports
from resim.replacement import flow, handover, queries
from resim.replacement.flow import AppRef, Expiry, LinkOn, NewRound


class Env(Protocol):
    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def provisioning(self) -> Ports: ...


@flow.WINDOW_ENDS.handler
def window_ends(env: Env, session: Session, ref: AppRef) -> None:
    tenant_id = queries.tenant_of(session, ref.application_id)
    if tenant_id is not None:
        key = env.settings.secret_bytes
        flow.window_ended(session, key, tenant_id, ref.application_id, env.clock.now())


@flow.PROVISION.handler
def provision(env: Env, session: Session, ref: AppRef) -> None:
    flow.start_round(session, env.provisioning, ref.application_id)


@flow.CODE_EXPIRES.handler
def code_expires(env: Env, session: Session, expiry: Expiry) -> None:
    flow.code_expired(session, env.provisioning, expiry.application_id, expiry.expires_at)


@flow.SEND_LINK.handler
def send_link(env: Env, session: Session, link: LinkOn) -> None:
    app = queries.find(session, link.application_id)
    if app is None:
        return
    try:
        handover.send_link(
            session, env.settings, app, link.channel, at=env.clock.now(), actor=audit.SYSTEM
        )
    except AppError:
        return  # no verified contact on that channel, or the code is gone: the page shows it


@flow.REISSUE.handler
def reissue(env: Env, session: Session, new: NewRound) -> None:
    flow.reissue(session, env.provisioning, new.application_id, new.round)
