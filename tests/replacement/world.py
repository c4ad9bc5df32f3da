"""An applicant driving the API: the state the review and delivery tests start from."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi.testclient import TestClient

from resim.customer.models import Customer
from resim.deps import Deps
from resim.identity.specimen import render
from resim.kit.clock import FixedClock
from resim.kit.mrz import compose_td3
from tests import factories
from tests.helpers import api_token, deliver, last_code, last_sms

ALT_PHONE = "+41 79 765 43 21"


class Applicant:
    def __init__(self, client: TestClient, deps: Deps, clock: FixedClock) -> None:
        self.client, self.deps, self.clock = client, deps, clock
        deps.settings.security.session_minutes = 24 * 60  # outlives the confirmation window
        self.world = factories.world(deps.sessions, clock.now())
        self.auth = {"authorization": f"Bearer {api_token(client, deps, 'acme', self.world.email)}"}
        with deps.sessions() as session:
            holder = session.get(Customer, self.world.customer_id)
            assert holder is not None
            self.holder = holder

    def call(self, method: str, path: str, json: Any = None, lang: str = "en") -> Any:
        answer = self.client.request(
            method, f"/api/v1/acme{path}", json=json, headers={**self.auth, "accept-language": lang}
        )
        return answer

    def start(self, msisdn: str | None = None, reason: str = "lost") -> str:
        answer = self.call(
            "POST", "/applications", {"msisdn": msisdn or self.world.msisdns[0], "reason": reason}
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def passport(self, **overrides: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "document_number": "YA1234567",
            "issuing_state": "ITA",
            "nationality": "ITA",
            "surname": self.holder.family_name,
            "given_names": self.holder.given_name,
            "birth_date": self.holder.birth_date,
            "sex": self.holder.sex,
            "expiry_date": dt.date(2031, 6, 1),
        }
        fields.update(overrides)
        return {
            "documentType": "passport",
            "documentNumber": "YA1234567",
            "documentCountry": "ITA",
            "documentExpiry": "2031-06-01",
            "mrz": compose_td3(**fields),
            "codiceFiscale": self.holder.codice_fiscale,
            "selfDeclaration": True,
            "contactEmail": self.holder.email,
            "altPhone": ALT_PHONE,
        }

    def verify_contacts(self, app_id: str) -> None:
        for channel in ("email", "sms"):
            assert (
                self.call("POST", f"/applications/{app_id}/verifications/{channel}").status_code
                == 202
            )
        deliver(self.deps)
        email_code = last_code(self.deps, self.holder.email)
        sms_code = re.search(r"\b(\d{6})\b", last_sms(self.deps, "+41797654321")).group(1)  # type: ignore[union-attr]
        for channel, code in (("email", email_code), ("sms", sms_code)):
            answer = self.call(
                "POST", f"/applications/{app_id}/verifications/{channel}/confirm", {"code": code}
            )
            assert answer.status_code == 200, answer.text

    def upload(
        self, app_id: str, data: bytes, kind: str = "identity", name: str = "doc.png"
    ) -> Any:
        return self.client.post(
            f"/api/v1/acme/applications/{app_id}/documents",
            data={"kind": kind},
            files={"file": (name, data, "image/png")},
            headers=self.auth,
        )

    def complete(self, app_id: str, **passport: Any) -> None:
        fields = self.passport(**passport)
        answer = self.call("PATCH", f"/applications/{app_id}", fields)
        assert answer.status_code == 200, answer.text
        assert self.upload(app_id, render(fields["mrz"])).status_code == 201
        self.verify_contacts(app_id)

    def end_window(self) -> None:
        self.clock.advance(dt.timedelta(minutes=61))
        deliver(self.deps)
