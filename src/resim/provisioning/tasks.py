"""Jobs of the provisioning workflow: one step at a time, its outcome reported to whoever
wired the ports (the replacement's flow)."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from resim.provisioning import service
from resim.provisioning.service import Ports, StepRef


class Env(Protocol):
    @property
    def provisioning(self) -> Ports: ...


@service.STEP.handler
def step(env: Env, session: Session, ref: StepRef) -> None:
    ports = env.provisioning
    ports.report(session, service.advance(session, ports, ref.provisioning_id, ref.step))
