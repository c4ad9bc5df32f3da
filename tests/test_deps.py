"""The process's ports: built once, closed once when the process stops."""

from __future__ import annotations

import pytest

from resim.config import Settings
from resim.deps import build_deps
from resim.integrations.es2plus.port import Es2PlusError
from resim.integrations.sms.port import SmsMessage
from resim.kit.clock import FixedClock


def test_a_stopped_process_makes_no_more_calls_through_its_clients(
    settings: Settings, clock: FixedClock
) -> None:
    settings.sms.backend = "kannel"
    deps = build_deps(settings, clock=clock)
    with pytest.raises(Es2PlusError) as answered:  # the SM-DP+ answers while the process runs
        deps.smdp_client().download_order("call-1", profile_type="no-such-type")
    assert answered.value.code is not None
    deps.close()
    with pytest.raises(RuntimeError, match="closed"):
        deps.smdp_client().download_order("call-2", profile_type="none")
    with pytest.raises(RuntimeError, match="closed"):
        deps.sms.send(SmsMessage("m-1", "+41791234567", "x"))
    with pytest.raises(RuntimeError, match="closed"):
        deps.sinks.post_event("http://127.0.0.1:9/", b"{}", token=None, correlator="c")
