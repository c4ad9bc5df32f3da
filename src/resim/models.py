"""Every feature's models in one import, for Alembic and metadata-wide tools."""

from resim.agent.models import Agent, AgentSession
from resim.audit.models import AuditChain, AuditEvent
from resim.auth.models import CustomerSession, RateLimitHit, SigninChallenge
from resim.billing.models import Charge
from resim.camara.models import ApiClient, ConsentRequest, SwapQuery, SwapSubscription
from resim.customer.models import Customer
from resim.delivery.models import Delivery, DeliveryLink
from resim.idempotency.models import IdempotencyRecord
from resim.identity.models import StoredDocument
from resim.jobs.models import Job
from resim.line.models import EsimProfile, Line, LineEvent
from resim.message.models import SmsReport
from resim.provisioning.models import ExternalCall, ProfileNotification, ProfileStock, Provisioning
from resim.registry.models import Subscriber, SubscriberChange
from resim.replacement.models import Application, ApplicationEvent, ContactVerification
from resim.review.models import ReviewClaim, ReviewDecision
from resim.tenant.models import Plan, Tenant

__all__ = [
    "Agent",
    "AgentSession",
    "ApiClient",
    "Application",
    "ApplicationEvent",
    "AuditChain",
    "AuditEvent",
    "Charge",
    "ConsentRequest",
    "ContactVerification",
    "Customer",
    "CustomerSession",
    "Delivery",
    "DeliveryLink",
    "EsimProfile",
    "ExternalCall",
    "IdempotencyRecord",
    "Job",
    "Line",
    "LineEvent",
    "Plan",
    "ProfileNotification",
    "ProfileStock",
    "Provisioning",
    "RateLimitHit",
    "ReviewClaim",
    "ReviewDecision",
    "SigninChallenge",
    "SmsReport",
    "StoredDocument",
    "Subscriber",
    "SubscriberChange",
    "SwapQuery",
    "SwapSubscription",
    "Tenant",
]
