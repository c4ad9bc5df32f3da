"""Jobs of the SIM Swap subscriptions: deliver an event to a sink, end a subscription when
its time (or its sink credential's) is up."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from resim.camara import subscriptions
from resim.camara.models import SwapSubscription
from resim.camara.spec import SUBSCRIPTION_ENDED
from resim.errors import IntegrationError
from resim.integrations.webhook import SinkGone, WebhookPoster
from resim.jobs.worker import Handler, PermanentJobError
from resim.kit.clock import Clock
from resim.kit.crypto import unseal


def handlers(key: bytes, clock: Clock, source: str, sinks: WebhookPoster) -> dict[str, Handler]:
    def notify(session: Session, payload: dict[str, Any]) -> None:
        sub = session.get(SwapSubscription, uuid.UUID(payload["subscription"]))
        cloud_event = payload["event"]
        if sub is None:
            raise PermanentJobError("the subscription is gone")
        if cloud_event["type"] == SUBSCRIPTION_ENDED and subscriptions.undelivered_before(
            session, sub, payload
        ):
            # The last word comes last: the events before it are still being retried.
            raise IntegrationError("sink", "earlier events not delivered yet", transient=True)
        token = None
        if sub.sink_token:
            try:
                token = unseal(key, sub.sink_token)
            except ValueError as exc:
                raise PermanentJobError("the sink credential cannot be opened") from exc
        try:
            sinks.post_event(
                sub.sink,
                subscriptions.body_of(cloud_event),
                token=token,
                correlator=cloud_event["id"],
            )
        except SinkGone:  # the sink wants nothing more, not even a subscription-ended
            if sub.status == subscriptions.ACTIVE:
                sub.status, sub.ended_at = subscriptions.EXPIRED, clock.now()
                sub.termination_reason = "NETWORK_TERMINATED"

    def expire(session: Session, payload: dict[str, Any]) -> None:
        subscriptions.expire_if_due(session, payload["subscription"], clock.now(), source)

    return {subscriptions.NOTIFY: notify, subscriptions.EXPIRE: expire}
