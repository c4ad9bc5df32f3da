"""The CAMARA SIM Swap API's routes on its spec paths under ``/camara`` (the apiRoot): the
questions, the subscriptions, the OAuth 2.0 token endpoint (client credentials and OpenID
Connect CIBA) and CIBA's backchannel authentication. Who may call and the questions' hot path
are in :mod:`resim.camara.access`; the error model on the wire in :mod:`resim.camara.responses`."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, Any
from urllib.parse import unquote_plus

from fastapi import APIRouter, FastAPI, Form, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import StringConstraints
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from resim.camara import service, subscriptions
from resim.camara.access import Call, Runtime, asked, caller, runtime, subject_of
from resim.camara.responses import (
    ERRORS,
    NO_STORE,
    SUBSCRIPTION_ERRORS,
    correlated,
    error,
    http_error,
    oauth_error,
    validation_error,
)
from resim.camara.schemas import (
    CORRELATOR_PATTERN,
    CheckSimSwapInfo,
    CreateCheckSimSwap,
    CreateSimSwapDate,
    SimSwapInfo,
    Subscription,
    SubscriptionRequest,
    dump,
)
from resim.camara.spec import OAuthError, Refused
from resim.camara.subjects import Subject
from resim.db.engine import autocommit_sessionmaker
from resim.web.context import CTX, DB, Context, deps_of
from resim.web.errors import ErrorShape, add_shape
from resim.web.unit_of_work import keep_failed_try

PREFIX = "/camara"
SIM_SWAP = f"{PREFIX}/sim-swap/v2"
SUBSCRIPTIONS = subscriptions.PATH
CIBA_GRANT = "urn:openid:params:grant-type:ciba"

Correlator = Annotated[
    Annotated[str, StringConstraints(pattern=CORRELATOR_PATTERN)] | SkipJsonSchema[None],
    Header(alias="x-correlator", description="Correlation id, echoed in the answer."),
]


def _security(scope: str) -> dict[str, Any]:
    """The spec's security requirement: an OpenID Connect token holding ``scope``."""
    return {"security": [{"openId": [scope]}]}


def install(app: FastAPI, secret: bytes, public_url: str, engine: Engine, pool_size: int) -> None:
    issuer = public_url.rstrip("/") + PREFIX
    app.state.camara = Runtime(secret, issuer, autocommit_sessionmaker(engine), pool_size)
    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        """resim's document, with the OpenID Connect scheme the CAMARA paths require."""
        if app.openapi_schema is None:
            document = plain_openapi()
            schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
            schemes["openId"] = {
                "type": "openIdConnect",
                "openIdConnectUrl": f"{issuer}/.well-known/openid-configuration",
            }
        return app.openapi_schema or plain_openapi()

    app.openapi = openapi  # type: ignore[method-assign]
    add_shape(app, ErrorShape(PREFIX, validation_error, http_error))

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        return error(request, exc.code, exc.message, exc.retry_after)

    @app.exception_handler(OAuthError)
    async def _oauth(request: Request, exc: OAuthError) -> Response:
        return oauth_error(exc)

    app.include_router(router)
    app.include_router(subscription_router)
    app.include_router(oauth_router)


# -- sim-swap v2 ---------------------------------------------------------------------------

router = APIRouter(prefix=SIM_SWAP, tags=["SIM Swap (CAMARA)"])


@router.post(
    "/retrieve-date",
    operation_id="retrieveSimSwapDate",
    openapi_extra=_security(service.RETRIEVE_DATE),
    summary="Retrieve SIM swap date",
    response_model=SimSwapInfo,
    responses=ERRORS,
)
async def retrieve_date(
    body: CreateSimSwapDate, request: Request, x_correlator: Correlator = None
) -> Response:
    """The time of the latest SIM swap of the number (or of its activation, if it never
    changed), null beyond the monitored period."""
    settings = deps_of(request).settings.camara

    def answer(subject: Subject, now: dt.datetime) -> tuple[str, service.DateAnswer]:
        return "date", service.retrieve_date(subject, now, settings)

    found = await asked(request, service.RETRIEVE_DATE, "retrieve-date", body.phoneNumber, answer)
    latest = found.latest_sim_change
    content: dict[str, Any] = {"latestSimChange": service.rfc3339(latest) if latest else None}
    if found.monitored_period is not None:
        content["monitoredPeriod"] = found.monitored_period
    return correlated(request, JSONResponse(content))


@router.post(
    "/check",
    operation_id="checkSimSwap",
    openapi_extra=_security(service.CHECK),
    summary="Check SIM swap",
    response_model=CheckSimSwapInfo,
    responses=ERRORS,
)
async def check(
    body: CreateCheckSimSwap, request: Request, x_correlator: Correlator = None
) -> Response:
    """Whether the number's SIM was swapped in the last ``maxAge`` hours (240 if not given)."""
    settings = deps_of(request).settings.camara

    def bounded() -> None:
        service.check_max_age(body.maxAge, settings)

    def answer(subject: Subject, now: dt.datetime) -> tuple[str, bool]:
        swapped = service.swapped(subject, body.maxAge, now)
        return ("swapped" if swapped else "unswapped"), swapped

    swapped = await asked(request, service.CHECK, "check", body.phoneNumber, answer, bounded)
    return correlated(request, JSONResponse({"swapped": swapped}))


# -- sim-swap-subscriptions v0.3 -----------------------------------------------------------

subscription_router = APIRouter(prefix=SUBSCRIPTIONS, tags=["SIM Swap subscriptions (CAMARA)"])


def _source(request: Request) -> str:
    return subscriptions.source(deps_of(request).settings.public_url)


def _out(sub: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {"phoneNumber": sub.phone_number} if sub.phone_number else {}
    config: dict[str, Any] = {"subscriptionDetail": detail}
    if sub.expires_at is not None:
        config["subscriptionExpireTime"] = sub.expires_at
    if sub.max_events is not None:
        config["subscriptionMaxEvents"] = sub.max_events
    return dump(
        Subscription(
            protocol="HTTP",
            sink=sub.sink,
            types=sub.types,
            config=config,
            id=str(sub.id),
            startsAt=sub.starts_at,
            expiresAt=sub.expires_at,
            status=sub.status,
        )
    )


@subscription_router.post(
    "/subscriptions",
    operation_id="createSimSwapSubscription",
    openapi_extra=_security(service.SUBSCRIBE),
    summary="Create a sim swap event subscription for a phone number",
    status_code=201,
    response_model=Subscription,
    responses=SUBSCRIPTION_ERRORS,
)
def create_subscription(
    body: SubscriptionRequest,
    request: Request,
    x_correlator: Correlator = None,
    call: Call = caller(service.SUBSCRIBE),
    ctx: Context = CTX,
) -> Response:
    wanted = subscriptions.check_request(
        protocol=body.protocol,
        sink=body.sink,
        credential=body.sinkCredential.model_dump() if body.sinkCredential else None,
        expire_time=body.config.subscriptionExpireTime,
        max_events=body.config.subscriptionMaxEvents,
        allow_http=ctx.settings.camara.allow_http_sinks,
        now=call.now,
    )
    subject = subject_of(call, body.config.subscriptionDetail.phoneNumber)
    sub = subscriptions.create(
        call.session,
        ctx.settings.secret_bytes,
        client_ref=call.client.ref,
        subject=subject,
        three_legged=call.access.three_legged,
        wanted=wanted,
        at=call.now,
    )
    return correlated(request, JSONResponse(_out(sub), status_code=201))


@subscription_router.get(
    "/subscriptions",
    operation_id="retrieveSubscriptionList",
    openapi_extra=_security(service.SUBSCRIPTIONS_READ),
    summary="Retrieve a list of sim swap event subscription",
    response_model=list[Subscription],
    responses=SUBSCRIPTION_ERRORS,
)
def list_subscriptions(
    request: Request,
    x_correlator: Correlator = None,
    call: Call = caller(service.SUBSCRIPTIONS_READ),
) -> Response:
    found = subscriptions.of_client(call.session, call.client.ref, call.access)
    return correlated(request, JSONResponse([_out(s) for s in found]))


@subscription_router.get(
    "/subscriptions/{subscriptionId}",
    operation_id="retrieveSubscription",
    openapi_extra=_security(service.SUBSCRIPTIONS_READ),
    summary="Retrieve a sim swap event subscription for a phone number",
    response_model=Subscription,
    responses=SUBSCRIPTION_ERRORS,
)
def get_subscription(
    subscriptionId: str,  # noqa: N803 - the spec's name
    request: Request,
    x_correlator: Correlator = None,
    call: Call = caller(service.SUBSCRIPTIONS_READ),
) -> Response:
    sub = subscriptions.get(call.session, call.client.ref, call.access, subscriptionId)
    return correlated(request, JSONResponse(_out(sub)))


@subscription_router.delete(
    "/subscriptions/{subscriptionId}",
    operation_id="deleteSubscription",
    openapi_extra=_security(service.SUBSCRIPTIONS_DELETE),
    summary="Delete a sim swap event subscription",
    status_code=204,
    response_class=Response,
    responses=SUBSCRIPTION_ERRORS,
)
def delete_subscription(
    subscriptionId: str,  # noqa: N803 - the spec's name
    request: Request,
    x_correlator: Correlator = None,
    call: Call = caller(service.SUBSCRIPTIONS_DELETE),
) -> Response:
    sub = subscriptions.get(call.session, call.client.ref, call.access, subscriptionId)
    subscriptions.end(call.session, sub, "SUBSCRIPTION_DELETED", call.now, _source(request))
    return correlated(request, Response(status_code=204))


# -- OAuth 2.0 and OpenID Connect CIBA -------------------------------------------------------

oauth_router = APIRouter(prefix=PREFIX, tags=["OAuth 2.0 and CIBA for the SIM Swap API"])


def _credentials(request: Request, client_id: str | None, secret: str | None) -> tuple[str, str]:
    """client_secret_basic, else client_secret_post (RFC 6749 section 2.3.1)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            pair = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", "Malformed Basic credentials.", status=401) from None
        name, _, password = pair.partition(":")
        return unquote_plus(name), unquote_plus(password)
    if client_id and secret:
        return client_id, secret
    raise OAuthError("invalid_client", "Client authentication is required.", status=401)


def _client(request: Request, session: Session, client_id: str | None, secret: str | None) -> Any:
    name, password = _credentials(request, client_id, secret)
    return service.authenticate(session, deps_of(request).settings.secret_bytes, name, password)


@oauth_router.post("/oauth2/token", summary="OAuth 2.0 token endpoint")
def token_endpoint(
    request: Request,
    grant_type: Annotated[str | None, Form()] = None,
    scope: Annotated[str | None, Form()] = None,
    auth_req_id: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    """``client_credentials`` for a two-legged token; CIBA's grant to redeem a holder's
    consent for a three-legged one (and an ID token)."""
    settings, now, signer = ctx.settings.camara, ctx.now, runtime(request).signer
    client = _client(request, session, client_id, client_secret)
    body: dict[str, Any]
    if grant_type == "client_credentials":
        scopes = service.granted_scopes(client, scope)
        body = {
            "access_token": signer.access_token(
                client_id=client.client_id, scopes=scopes, now=now, seconds=settings.token_seconds
            ),
            "token_type": "Bearer",
            "expires_in": settings.token_seconds,
            "scope": " ".join(scopes),
        }
    elif grant_type == CIBA_GRANT:
        try:
            consent = service.redeem(session, ctx.settings.secret_bytes, client, auth_req_id, now)
        except OAuthError:
            keep_failed_try(session)  # the poll's time is kept, for slow_down
            raise
        body = {
            "access_token": signer.access_token(
                client_id=client.client_id,
                scopes=consent.scopes,
                now=now,
                seconds=settings.token_seconds,
                tenant_id=consent.tenant_id,
                line_id=consent.line_id,
            ),
            "token_type": "Bearer",
            "expires_in": settings.token_seconds,
            "scope": " ".join(consent.scopes),
            "id_token": signer.id_token(
                client_id=client.client_id,
                line_id=consent.line_id,
                now=now,
                seconds=settings.token_seconds,
            ),
        }
    else:
        raise OAuthError("unsupported_grant_type", "Use client_credentials or " + CIBA_GRANT + ".")
    return JSONResponse(body, headers=NO_STORE)


@oauth_router.post("/oauth2/bc-authorize", summary="OpenID Connect CIBA: ask the holder")
def bc_authorize(
    request: Request,
    scope: Annotated[str | None, Form()] = None,
    login_hint: Annotated[str | None, Form()] = None,
    purpose: Annotated[str | None, Form()] = None,
    binding_message: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    ctx: Context = CTX,
    session: Session = DB,
) -> Response:
    """The holder of the number in ``login_hint`` gets an e-mail (and sees the request in
    the portal) to allow or refuse; the bank then polls the token endpoint."""
    client = _client(request, session, client_id, client_secret)
    started = service.start_consent(
        session,
        key=ctx.settings.secret_bytes,
        settings=ctx.settings.camara,
        public_url=ctx.settings.public_url,
        client=client,
        scope=scope,
        login_hint=login_hint,
        purpose=purpose,
        binding_message=binding_message,
        at=ctx.now,
    )
    return JSONResponse(
        {
            "auth_req_id": started.auth_req_id,
            "expires_in": started.expires_in,
            "interval": started.interval,
        },
        headers=NO_STORE,
    )


@oauth_router.get("/.well-known/openid-configuration", summary="OpenID Provider metadata")
def discovery(request: Request) -> dict[str, Any]:
    issuer = runtime(request).signer.issuer
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth2/token",
        "backchannel_authentication_endpoint": f"{issuer}/oauth2/bc-authorize",
        "jwks_uri": f"{issuer}/oauth2/jwks",
        "grant_types_supported": ["client_credentials", CIBA_GRANT],
        "backchannel_token_delivery_modes_supported": ["poll"],
        "backchannel_user_code_parameter_supported": False,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": ["openid", *service.SCOPES],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "response_types_supported": ["none"],
    }


@oauth_router.get("/oauth2/jwks", summary="The keys that sign tokens")
def jwks(request: Request) -> dict[str, Any]:
    return runtime(request).signer.jwks()
