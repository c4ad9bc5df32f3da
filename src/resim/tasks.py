"""Every job's handler, wired with this process's ports: the composition root of the jobs.

Each feature declares its jobs (``JobType``) and their handlers in its own modules; here the
process's ports are gathered once into :class:`Wired`, the one ``env`` every handler gets,
and mypy checks that it gives each feature's ``tasks.Env`` what it asks for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import resim.models  # noqa: F401 - every table known before the first job
from resim.camara import tasks as camara_tasks
from resim.config import Settings
from resim.db.engine import Waker
from resim.deps import Deps, keyring
from resim.identity import tasks as identity_tasks
from resim.integrations.email.port import EmailSender
from resim.integrations.sms.port import SmsGateway
from resim.integrations.webhook import WebhookPoster
from resim.jobs import registry
from resim.jobs.worker import Handler, Worker
from resim.kit.clock import Clock
from resim.message import tasks as message_tasks
from resim.provisioning import tasks as provisioning_tasks
from resim.provisioning.service import Ports
from resim.replacement import flow
from resim.replacement import tasks as replacement_tasks


class Env(
    message_tasks.Env,
    identity_tasks.Env,
    replacement_tasks.Env,
    provisioning_tasks.Env,
    camara_tasks.Env,
    Protocol,
):
    """What any job handler may ask of the process."""


@dataclass(frozen=True)
class Wired:
    """The process as job handlers see it: its ports, and provisioning's, wired to the flow."""

    deps: Deps
    provisioning: Ports

    @property
    def settings(self) -> Settings:
        return self.deps.settings

    @property
    def clock(self) -> Clock:
        return self.deps.clock

    @property
    def email(self) -> EmailSender:
        return self.deps.email

    @property
    def sms(self) -> SmsGateway:
        return self.deps.sms

    @property
    def sinks(self) -> WebhookPoster:
        return self.deps.sinks


def handlers(deps: Deps, provisioning: Ports | None = None) -> dict[str, Handler]:
    """The worker's table: every declared job bound to this process (``provisioning``
    replaces the wired ports, for tests that watch or break the network's side)."""
    env: Env = Wired(deps, provisioning or ports(deps))  # mypy: fits every feature's jobs
    return registry.handlers(env)


def ports(deps: Deps) -> Ports:
    """Provisioning's ports; a step's outcome goes to the replacement's flow."""
    key = deps.settings.secret_bytes
    return Ports(
        smdp=deps.smdp_client,
        hlr=deps.hlr,
        keyring=keyring(deps),
        clock=deps.clock,
        jobs=deps.settings.jobs,
        secret=deps.settings.secret_bytes,
        smdp_address=deps.settings.smdp.sandbox_address,
        report=lambda session, outcome: flow.provisioning_reported(session, key, outcome),
        public_url=deps.settings.public_url,
    )


def make_worker(
    deps: Deps, worker_id: str | None = None, provisioning: Ports | None = None
) -> Worker:
    waker = Waker(deps.engine)
    deps.closing.callback(waker.close)  # its LISTEN connection goes with the process's ports
    table = handlers(deps, provisioning)
    return Worker(deps.sessions, deps.clock, deps.settings.jobs, table, worker_id, waker.wait)
