"""create_app: routers, error handlers, middleware, and the embedded worker."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

import resim.models  # noqa: F401 - every table known before the first query
from resim import __version__
from resim.agent import views as agent_views
from resim.agent.roles import ROLE_NAMES
from resim.auth import api as auth_api
from resim.auth import views as auth_views
from resim.camara import api as camara_api
from resim.camara import views as camara_views
from resim.config import Settings
from resim.demo.data import DEMO_ACCOUNTS
from resim.deps import SANDBOX_MOUNT, Deps, build_deps, open_sandbox
from resim.line import api as line_api
from resim.line import views as line_views
from resim.logs import configure
from resim.message import api as message_api
from resim.office import views as office_views
from resim.replacement import api as replacement_api
from resim.replacement import delivery_api, delivery_views, smdp_api
from resim.replacement import views as replacement_views
from resim.review import views as review_views
from resim.smdp_sandbox import phone as sandbox_phone
from resim.smdp_sandbox.server import Notifier
from resim.smdp_sandbox.server import create_app as sandbox_app
from resim.tasks import make_worker
from resim.web import errors, middleware, templating
from resim.web import views as web_views


def create_app(settings: Settings | None = None, *, deps: Deps | None = None) -> FastAPI:
    """The app on ``deps``; without them, on its own, which it closes when the server stops."""
    owned = deps is None
    if deps is None:
        deps = build_deps(settings or Settings())
    configure(deps.settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if deps.settings.jobs.embedded_worker:
            worker = make_worker(deps)
            thread = threading.Thread(target=worker.run_forever, name="resim-worker", daemon=True)
            thread.start()
        yield
        if worker is not None:
            worker.stop()
            thread.join(timeout=10)
        if owned:
            deps.close()

    app = FastAPI(
        title="resim",
        version=__version__,
        description="Replace a lost, deleted or broken eSIM online, on the same number.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.deps = deps
    app.state.demo_accounts = DEMO_ACCOUNTS  # the home page's hint, in demo mode
    templating.share(role_names=ROLE_NAMES)
    errors.install(app)
    middleware.install(app)
    app.mount(
        "/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static"
    )
    if deps.settings.smdp.embedded:
        # The embedded SM-DP+: another system that happens to share the process.
        settings = deps.settings
        sandbox = open_sandbox(settings, requesters=frozenset({settings.smdp.requester_id}))
        notifier = Notifier(settings.public_url, settings.smdp.notify_token.get_secret_value())
        embedded = sandbox_app(sandbox, notifier)
        if deps.settings.demo:
            sandbox_phone.add_routes(embedded, sandbox, notifier, SANDBOX_MOUNT)
        embedded.state.deps = deps  # resim's middleware wraps the mount and reads its settings
        app.mount(SANDBOX_MOUNT, embedded, name="smdp-sandbox")
    camara_api.install(
        app,
        deps.settings.secret_bytes,
        deps.settings.public_url,
        deps.engine,
        deps.settings.db.pool_size,
    )
    app.include_router(smdp_api.router)
    app.include_router(auth_api.router)
    app.include_router(line_api.router)
    app.include_router(replacement_api.router)
    app.include_router(delivery_api.router)
    app.include_router(message_api.router)
    app.include_router(web_views.router)
    # The back office before the customer portal's /{tenant}/... pages.
    app.include_router(agent_views.router)
    app.include_router(review_views.router)
    app.include_router(office_views.router)
    app.include_router(camara_views.office_router)
    app.include_router(web_views.tenant_router)
    app.include_router(auth_views.router)
    app.include_router(line_views.router)
    app.include_router(replacement_views.router)
    app.include_router(delivery_views.router)
    app.include_router(camara_views.router)
    return app
