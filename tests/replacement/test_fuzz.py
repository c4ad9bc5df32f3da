"""Whatever the application endpoints receive, the answer is never a 500."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resim.deps import Deps
from resim.kit.clock import FixedClock
from tests.replacement.world import Applicant
from tests.web.test_no_500 import json_values

FIELDS = [
    "documentType",
    "documentNumber",
    "documentCountry",
    "documentExpiry",
    "mrz",
    "codiceFiscale",
    "selfDeclaration",
    "contactEmail",
    "altPhone",
]
texts = st.text(max_size=120) | st.sampled_from(
    ["passport", "cie", "ITA", "2030-01-01", "YA1234567", "P<ITA" + "<" * 39 + "\n" + "A" * 44]
)


def test_no_draft_update_makes_the_api_fail(
    client: TestClient, deps: Deps, clock: FixedClock
) -> None:
    applicant = Applicant(client, deps, clock)
    app_id = applicant.start()

    @settings(
        max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        st.dictionaries(st.sampled_from(FIELDS), texts | json_values, max_size=5),
        st.sampled_from(
            [
                "PATCH",
                "POST submit",
                "POST verifications/email",
                "POST verifications/sms/confirm",
                "GET quote",
            ]
        ),
    )
    def probe(body: dict[str, Any], action: str) -> None:
        method, _, tail = action.partition(" ")
        path = f"/applications/{app_id}" + (f"/{tail}" if tail else "")
        answer = applicant.client.request(
            method,
            f"/api/v1/acme{path}",
            content=json.dumps(body),
            headers={**applicant.auth, "content-type": "application/json"},
        )
        assert answer.status_code < 500, answer.text

    probe()
