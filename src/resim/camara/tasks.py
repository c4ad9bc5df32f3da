"""Jobs of the SIM Swap subscriptions: deliver an event to a sink, end a subscription when
its time (or its sink credential's) is up."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from resim.camara import subscriptions
from resim.camara.models import SwapSubscription
from resim.camara.spec import SUBSCRIPTION_ENDED
from resim.camara.subscriptions import EXPIRE, NOTIFY, Delivery, SubscriptionRef
from resim.config import Settings
from resim.errors import IntegrationError
from resim.integrations.webhook import SinkGone, WebhookPoster
from resim.jobs.worker import PermanentJobError
from resim.kit.clock import Clock
from resim.kit.crypto import unseal


class Env(Protocol):
    @property
    def settings(self) -> Settings: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def sinks(self) -> WebhookPoster: ...


@NOTIFY.handler
def notify(env: Env, session: Session, delivery: Delivery) -> None:
    sub = session.get(SwapSubscription, delivery.subscription)
    cloud_event = delivery.event
    if sub is None:
        raise PermanentJobError("the subscription is gone")
    if cloud_event["type"] == SUBSCRIPTION_ENDED and subscriptions.undelivered_before(
        session, sub, delivery
    ):
        # The last word comes last: the events before it are still being retried.
        raise IntegrationError("sink", "earlier events not delivered yet", transient=True)
    token = None
    if sub.sink_token:
        try:
            token = unseal(env.settings.secret_bytes, sub.sink_token)
        except ValueError as exc:
            raise PermanentJobError("the sink credential cannot be opened") from exc
    try:
        env.sinks.post_event(
            sub.sink,
            subscriptions.body_of(cloud_event),
            token=token,
            correlator=cloud_event["id"],
        )
    except SinkGone:  # the sink wants nothing more, not even a subscription-ended
        if sub.status == subscriptions.ACTIVE:
            sub.status, sub.ended_at = subscriptions.EXPIRED, env.clock.now()
            sub.termination_reason = "NETWORK_TERMINATED"


@EXPIRE.handler
def expire(env: Env, session: Session, ref: SubscriptionRef) -> None:
    source = subscriptions.source(env.settings.public_url)
    subscriptions.expire_if_due(session, ref.subscription, env.clock.now(), source)
