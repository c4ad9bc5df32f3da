"""The demo's simulated phone: the embedded SM-DP+ sandbox installs a code and tells resim."""

from __future__ import annotations

import httpx

from resim.app import create_app
from resim.deps import Deps, keyring
from resim.kit.clock import FixedClock
from resim.provisioning import service as provisioning
from resim.tasks import make_worker
from tests.provisioning.world import approve, embedded, state_of
from tests.servers import serve


def test_the_simulated_phone_installs_the_code_and_resim_hears_of_it(
    deps: Deps, clock: FixedClock
) -> None:
    deps.settings.demo = True
    case, port = embedded(deps, clock.now(), "phone", ("8939960", "22296"), confirmation_code=True)
    app_id = approve(deps.sessions, case, clock.now())
    with serve(create_app(deps=deps), port=port) as url:
        make_worker(deps).run_until_idle()
        assert state_of(deps.sessions, app_id)[0] == "code_ready"
        with deps.sessions() as session:
            prov = provisioning.for_application(session, app_id)
            assert prov is not None
            code = provisioning.activation_code(keyring(deps), prov)
            confirmation = provisioning.confirmation_code(keyring(deps), prov)
        assert code is not None and confirmation is not None
        phone = f"{url}/smdp-sandbox/sandbox/phone"
        # Without the confirmation code the phone asks for it, as a real one would.
        asked = httpx.post(phone, data={"activation_code": code.lpa})
        assert asked.status_code == 200 and 'name="confirmation_code"' in asked.text
        wrong = httpx.post(phone, data={"activation_code": "LPA:2$x.y$Z"})
        assert wrong.status_code == 422
        done = httpx.post(
            phone,
            data={"activation_code": code.lpa, "confirmation_code": confirmation, "back": "/acme"},
        )
        assert done.status_code == 200 and 'data-ok="true"' in done.text
        assert 'href="/acme"' in done.text
    assert state_of(deps.sessions, app_id)[0] == "installed"
