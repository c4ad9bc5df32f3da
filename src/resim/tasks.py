"""Every job name and its handler, wired with this process's ports."""

from __future__ import annotations

import resim.models  # noqa: F401 - every table known before the first job
from resim.camara import tasks as camara_tasks
from resim.camara.subscriptions import source
from resim.deps import Deps, keyring
from resim.identity import tasks as identity_tasks
from resim.jobs.worker import Handler, Worker
from resim.message import tasks as message_tasks
from resim.provisioning import tasks as provisioning_tasks
from resim.provisioning.service import Ports
from resim.replacement import flow
from resim.replacement import tasks as replacement_tasks


def handlers(deps: Deps) -> dict[str, Handler]:
    return {
        **message_tasks.handlers(
            deps.settings.secret_bytes, deps.settings.email.sender, deps.email, deps.sms
        ),
        **replacement_tasks.handlers(deps.settings, ports(deps)),
        **identity_tasks.handlers(deps.settings.documents.folder, deps.clock),
        **provisioning_tasks.handlers(ports(deps)),
        **camara_tasks.handlers(
            deps.settings.secret_bytes,
            deps.clock,
            source(deps.settings.public_url),
            deps.sinks,
        ),
    }


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


def make_worker(deps: Deps, worker_id: str | None = None) -> Worker:
    return Worker(deps.sessions, deps.clock, deps.settings.jobs, handlers(deps), worker_id)
