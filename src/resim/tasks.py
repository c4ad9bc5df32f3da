"""Every job's handler, wired with this process's ports: the composition root of the jobs."""

from __future__ import annotations

from typing import Protocol

from resim.camara import tasks as camara_tasks
from resim.camara.subscriptions import source
from resim.db.engine import Waker
from resim.delivery import tasks as delivery_tasks
from resim.deps import Deps, keyring
from resim.identity import tasks as identity_tasks
from resim.jobs import registry
from resim.jobs.worker import Handler, Worker
from resim.message import tasks as message_tasks
from resim.provisioning import tasks as provisioning_tasks
from resim.provisioning.service import Ports
from resim.replacement import tasks as replacement_tasks


class Env(message_tasks.Env, identity_tasks.Env, Protocol):
    """What every job handler may ask of the process; ``Deps`` must provide it all."""


def handlers(deps: Deps) -> dict[str, Handler]:
    env: Env = deps  # mypy checks here that the wired process fits every feature's jobs
    return {
        **registry.handlers(env),
        **replacement_tasks.handlers(deps.settings.secret_bytes, deps.clock),
        **provisioning_tasks.handlers(ports(deps)),
        **delivery_tasks.handlers(deps.settings, ports(deps)),
        **camara_tasks.handlers(
            deps.settings.secret_bytes,
            deps.clock,
            source(deps.settings.public_url),
            deps.settings.camara.sink_timeout_seconds,
        ),
    }


def ports(deps: Deps) -> Ports:
    return Ports(
        smdp=deps.smdp_client,
        hlr=deps.hlr,
        keyring=keyring(deps),
        clock=deps.clock,
        jobs=deps.settings.jobs,
        secret=deps.settings.secret_bytes,
        smdp_address=deps.settings.smdp.sandbox_address,
        public_url=deps.settings.public_url,
    )


def make_worker(deps: Deps, worker_id: str | None = None) -> Worker:
    waker = Waker(deps.engine)
    return Worker(
        deps.sessions, deps.clock, deps.settings.jobs, handlers(deps), worker_id, waker.wait
    )
