"""A worker process for the crash tests. With ``kill_after`` N > 0 it SIGKILLs itself right
after its N-th call to the SM-DP+ or the HLR returns: the call happened, the step that made
it has not committed. With N = 0 it works until the queue has been idle for a while."""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import time
from typing import Any, cast

from resim import tasks
from resim.config import Settings
from resim.deps import build_deps
from resim.jobs.worker import Worker


class Tripwire:
    """Passes calls through to an SM-DP+ client or an HLR port, counting them."""

    calls = 0
    kill_after = 0

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name.startswith("_") or not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            Tripwire.calls += 1
            if Tripwire.calls == Tripwire.kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        return call


def main(kill_after: int, idle_seconds: float) -> None:
    Tripwire.kill_after = kill_after
    deps = build_deps(Settings())
    ports = tasks.ports(deps)
    wired = dataclasses.replace(
        ports,
        smdp=lambda see: cast(Any, Tripwire(deps.smdp_client(see))),
        hlr=lambda session, see: cast(Any, Tripwire(deps.hlr(session, see))),
    )
    worker = Worker(deps.sessions, deps.clock, deps.settings.jobs, tasks.handlers(deps, wired))
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < idle_seconds:
        if worker.run_once() is not None:
            idle_since = time.monotonic()
        else:
            time.sleep(0.05)


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]))
