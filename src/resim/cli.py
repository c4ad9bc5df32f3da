"""The `resim` command: serve, worker, migrate, demo, import-lines, smdp-sandbox."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from resim.config import Settings

app = typer.Typer(
    help="resim: replace a lost, deleted or broken eSIM online.", no_args_is_help=True
)
console = Console(stderr=True)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        # Only the reasons: the input itself may hold secrets.
        for error in exc.errors(include_input=False):
            where = ".".join(str(part) for part in error["loc"])
            prefix = f"{where}: " if where else ""
            console.print(f"[red]Settings refused:[/red] {prefix}{error['msg']}")
        raise typer.Exit(2) from None


@app.command()
def migrate(check: Annotated[bool, typer.Option(help="Also run `alembic check`.")] = False) -> None:
    """Upgrade the database to the latest schema."""
    from resim.db.migrate import check as alembic_check
    from resim.db.migrate import upgrade

    settings = _settings()
    upgrade(settings.db.url)
    console.print("database at the latest schema")
    if check:
        alembic_check(settings.db.url)
        console.print("models and migrations agree")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    worker: Annotated[bool, typer.Option(help="Run the job worker in this process.")] = True,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes (one a core is typical).")
    ] = 1,
) -> None:
    """Serve the portal, the JSON API and (by default) the job worker."""
    import uvicorn

    from resim.app import create_app

    settings = _settings()
    settings.jobs.embedded_worker = worker
    host, port = host or settings.host, port or settings.port
    console.print(f"resim on http://{host}:{port}/")
    if workers == 1:
        uvicorn.run(
            create_app(settings), host=host, port=port, log_level="warning", proxy_headers=False
        )
        return
    # Each process builds its own app from the environment; the job queue is shared safely
    # (claims skip rows another worker holds), the API's rate buckets are per process.
    os.environ["RESIM_JOBS__EMBEDDED_WORKER"] = "true" if worker else "false"
    uvicorn.run(
        "resim.app:create_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=False,
    )


@app.command("worker")
def run_worker(
    once: Annotated[bool, typer.Option(help="Run what is due, then stop.")] = False,
) -> None:
    """Run the job worker (several may run at once on PostgreSQL)."""
    from resim.deps import build_deps
    from resim.logs import configure
    from resim.tasks import make_worker

    settings = _settings()
    configure(settings.log_level)
    deps = build_deps(settings)
    worker = make_worker(deps)
    try:
        if once:
            outcomes = worker.run_until_idle()
            console.print(f"{len(outcomes)} jobs run")
            return
        worker.run_forever()
    except KeyboardInterrupt:
        worker.stop()
    finally:
        deps.close()


@app.command()
def demo(
    if_empty: Annotated[bool, typer.Option(help="Do nothing if any tenant exists.")] = False,
    seed: Annotated[int, typer.Option(help="Random seed of the data set.")] = 2026,
) -> None:
    """Load the demo data set: three operators, plans, a few hundred customers and lines."""
    import resim.models  # noqa: F401 - every table known before the first query
    from resim.db.engine import make_engine, make_sessionmaker, transaction
    from resim.demo.data import (
        DEMO_ACCOUNTS,
        DEMO_BANK,
        DEMO_STAFF,
        add_agents,
        add_bank,
        load,
        stock_profiles,
    )
    from resim.deps import open_sandbox
    from resim.kit.clock import SystemClock
    from resim.tenant import service as tenants

    settings = _settings()
    engine = make_engine(settings.db.url)
    with transaction(make_sessionmaker(engine)) as session:
        if tenants.all_tenants(session):
            if if_empty:
                console.print("demo data already loaded")
                return
            console.print("[red]The database already has tenants; demo data goes in an empty one.")
            raise typer.Exit(1)
        now = SystemClock().now()
        counts = load(session, now=now, seed=seed)
        staff = add_agents(session, settings, now=now)
        add_bank(session, settings, now=now)
        stocked = 0
        if settings.smdp.embedded:
            keyring = settings.documents.keyring(settings.secret_bytes)
            stocked = stock_profiles(session, open_sandbox(settings), keyring, now=now)
    console.print(
        f"loaded {counts['tenants']} operators, {counts['customers']} customers, "
        f"{counts['lines']} lines, {stocked} replacement profiles in stock"
    )
    for slug, email in DEMO_ACCOUNTS:
        console.print(f"  sign in at /{slug}/signin as {email}")
    console.print(
        f"{staff} back-office accounts, e.g. /aurora/office/ as "
        f"{DEMO_STAFF[0][0]}@aurora.example (the sign-in page shows the demo codes)"
    )
    console.print(
        f"a bank for the SIM Swap API: client_id {DEMO_BANK[0]}, client_secret {DEMO_BANK[1]}"
    )


@app.command("load-profiles")
def load_profiles(
    path: Annotated[Path, typer.Argument(help="The SM-DP+ vendor's output file (CSV).")],
    tenant: Annotated[str, typer.Option(help="The operator's slug.")],
    profile_type: Annotated[
        str | None, typer.Option(help="Profile type; the tenant's policy says by default.")
    ] = None,
) -> None:
    """Stock replacement profiles: ICCID, IMSI and Milenage keys (iccid,imsi,ki,opc), the keys
    encrypted at rest. Any bad row and nothing is loaded."""
    from resim.db.engine import make_engine, make_sessionmaker, transaction
    from resim.errors import AppError
    from resim.kit.clock import SystemClock
    from resim.provisioning import inventory
    from resim.tenant import service as tenants

    settings = _settings()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        console.print(f"[red]{path}: {exc}")
        raise typer.Exit(1) from None
    with transaction(make_sessionmaker(make_engine(settings.db.url))) as session:
        found = tenants.find(session, tenant)
        if found is None:
            console.print(f"[red]No operator '{tenant}'.")
            raise typer.Exit(1)
        kind = profile_type or tenants.policy(found).profile_type
        try:
            rows = inventory.parse(text)
        except AppError as exc:
            console.print(f"[red]{path}: {exc.message % exc.params}")
            raise typer.Exit(1) from None
        keyring = settings.documents.keyring(settings.secret_bytes)
        added = inventory.load(session, keyring, found.id, kind, rows, at=SystemClock().now())
    console.print(f"{added} of {len(rows)} profiles of type {kind} stocked for {tenant}")


audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    tenant: Annotated[
        str | None, typer.Option(help="One operator's slug; all when left out.")
    ] = None,
) -> None:
    """Check every tenant's audit chain: exit 1 and name the first event that does not hold."""
    from sqlalchemy import select

    from resim.audit import service as audit
    from resim.db.engine import make_engine, make_sessionmaker
    from resim.errors import AppError
    from resim.tenant import service as tenants
    from resim.tenant.models import Tenant

    settings = _settings()
    sessions = make_sessionmaker(make_engine(settings.db.url))
    broken = 0
    with sessions() as session:
        if tenant is None:
            found = list(session.scalars(select(Tenant).order_by(Tenant.slug)))
        else:
            try:
                found = [tenants.get(session, tenant)]
            except AppError as exc:
                console.print(f"[red]No operator '{tenant}'.")
                raise typer.Exit(2) from exc
        for each in found:
            result = audit.verify(session, each.id)
            if result is None:
                console.print(f"{each.slug}: the audit chain holds")
            else:
                broken += 1
                console.print(f"[red]{each.slug}: event {result.seq}: {result.why}")
    if broken:
        raise typer.Exit(1)


agent_app = typer.Typer(help="Back-office accounts.", no_args_is_help=True)
app.add_typer(agent_app, name="agent")


@agent_app.command("create")
def agent_create(
    tenant: Annotated[str, typer.Option(help="The operator's slug.")],
    email: Annotated[str, typer.Option(help="The agent's e-mail (their sign-in name).")],
    name: Annotated[str, typer.Option(help="The agent's full name.")],
    role: Annotated[str, typer.Option(help="agent, supervisor, admin or auditor.")] = "admin",
) -> None:
    """Create a back-office account (the first admin, typically) and print its one-time
    set-up link, where the person chooses a password and enrols an authenticator app."""
    from resim.agent import service as agents
    from resim.agent.roles import Role
    from resim.agent.schemas import NewAgentForm
    from resim.audit.service import Actor
    from resim.db.engine import make_engine, make_sessionmaker, transaction
    from resim.errors import AppError
    from resim.kit.clock import SystemClock
    from resim.tenant import service as tenants

    try:
        form = NewAgentForm.model_validate({"email": email, "name": name, "role": role})
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        console.print(f"[red]Give a valid e-mail, a name, and a role among {roles}.")
        raise typer.Exit(2) from None
    settings = _settings()
    with transaction(make_sessionmaker(make_engine(settings.db.url))) as session:
        found = tenants.find(session, tenant)
        if found is None:
            console.print(f"[red]No operator '{tenant}'.")
            raise typer.Exit(1)
        try:
            agent, setup = agents.create(
                session,
                settings,
                found.id,
                email=form.email,
                name=form.name,
                role=form.role,
                at=SystemClock().now(),
                actor=Actor("cli"),
            )
        except AppError as exc:
            console.print(f"[red]{exc.message % exc.params}")
            raise typer.Exit(1) from None
    link = f"{settings.public_url.rstrip('/')}/{found.slug}/office/setup/{setup}"
    hours = settings.security.agent_setup_hours
    console.print(f"{agent.role} {agent.email} created. Set-up link (valid {hours} hours, once):")
    console.print(link, soft_wrap=True)


client_app = typer.Typer(help="Banks' clients of the CAMARA SIM Swap API.", no_args_is_help=True)
app.add_typer(client_app, name="api-client")


@client_app.command("create")
def api_client_create(
    name: Annotated[str, typer.Option(help="The bank's name, shown to holders.")],
    tenant: Annotated[
        list[str], typer.Option(help="An operator's slug whose numbers it may ask about.")
    ],
    scope: Annotated[
        list[str] | None,
        typer.Option(help="A scope to grant (repeat); default: sim-swap:check and retrieve-date."),
    ] = None,
    per_minute: Annotated[int | None, typer.Option(help="Requests a minute.")] = None,
    per_day: Annotated[int | None, typer.Option(help="A daily quota, if any.")] = None,
) -> None:
    """Create OAuth 2.0 client credentials for a bank; prints client_id and client_secret
    (shown once: only a keyed hash of the secret is kept)."""
    from resim.audit.service import Actor
    from resim.camara import service as camara
    from resim.db.engine import make_engine, make_sessionmaker, transaction
    from resim.errors import AppError
    from resim.kit.clock import SystemClock
    from resim.tenant import service as tenants

    settings = _settings()
    with transaction(make_sessionmaker(make_engine(settings.db.url))) as session:
        ids = []
        for slug in tenant:
            found = tenants.find(session, slug)
            if found is None:
                console.print(f"[red]No operator '{slug}'.")
                raise typer.Exit(1)
            ids.append(found.id)
        try:
            created = camara.create_client(
                session,
                settings.secret_bytes,
                name=name,
                scopes=scope or [camara.CHECK, camara.RETRIEVE_DATE],
                tenant_ids=ids,
                per_minute=per_minute or settings.camara.per_minute,
                per_day=per_day,
                actor=Actor("cli"),
                at=SystemClock().now(),
            )
        except AppError as exc:
            console.print(f"[red]{exc.message % exc.params}")
            raise typer.Exit(2) from None
        client_id = created.client.client_id
        scopes = " ".join(created.client.scopes)
    console.print(f"client_id={client_id}")
    console.print(f"client_secret={created.secret}")
    console.print(f"scopes={scopes}")
    console.print(f"token endpoint: {settings.public_url.rstrip('/')}/camara/oauth2/token")


@app.command("import-lines")
def import_lines(
    path: Annotated[Path, typer.Argument(help="CSV file, UTF-8, with a header row.")],
    tenant: Annotated[str, typer.Option(help="The operator's slug.")],
    dry_run: Annotated[bool, typer.Option(help="Check every row, write nothing.")] = False,
) -> None:
    """Import lines and their holders from CSV. Any rejected row: nothing is imported."""
    from resim.audit.service import Actor
    from resim.db.engine import make_engine, make_sessionmaker, transaction
    from resim.errors import AppError
    from resim.kit.clock import SystemClock
    from resim.line import importing
    from resim.tenant import service as tenants

    settings = _settings()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        console.print(f"[red]Cannot read {path}: {exc}")
        raise typer.Exit(2) from exc
    rows, rejected = importing.parse_rows(text.splitlines(keepends=True))
    sessions = make_sessionmaker(make_engine(settings.db.url))
    with transaction(sessions) as session:
        try:
            found = tenants.get(session, tenant)
        except AppError as exc:
            console.print(f"[red]No operator '{tenant}'.")
            raise typer.Exit(2) from exc
        report = importing.ImportReport(rows=len(rows) + len(rejected), rejected=[])
        if not rejected:
            with Progress(
                TextColumn("importing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                disable=not sys.stderr.isatty(),
            ) as progress:
                task = progress.add_task("rows", total=len(rows))
                report = importing.import_rows(
                    session,
                    found.id,
                    rows,
                    at=SystemClock().now(),
                    actor=Actor("cli", "import"),
                    progress=lambda n: progress.advance(task, n),
                )
            rejected = report.rejected or []
        if rejected:  # leaving by the exception rolls everything back
            for item in sorted(rejected, key=lambda r: r.row):
                console.print(f"line {item.row}: {item.reason}")
            console.print(f"[red]{len(rejected)} rows rejected; nothing imported.")
            raise typer.Exit(1)
        if dry_run:
            session.rollback()
            console.print(f"{report.imported} rows valid; dry run, nothing imported")
            return
    console.print(f"imported {report.imported} lines, {report.customers_created} new customers")


@app.command("reencrypt-documents")
def reencrypt_documents() -> None:
    """Re-encrypt kept identity documents with the current key (after adding a new key)."""
    from resim.db.engine import make_engine, make_sessionmaker, transaction
    from resim.identity import service as identity

    settings = _settings()
    ring = settings.documents.keyring(settings.secret_bytes)
    with transaction(make_sessionmaker(make_engine(settings.db.url))) as session:
        count = identity.reencrypt(session, keyring=ring, folder=settings.documents.folder)
    console.print(f"{count} documents re-encrypted with key {ring.current}")


@app.command("smdp-sandbox")
def smdp_sandbox(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8700,
    db: Annotated[Path | None, typer.Option(help="The sandbox's state file.")] = None,
    pool: Annotated[
        list[str] | None,
        typer.Option(help="Add profiles: TYPE:ICCID_PREFIX:IMSI_PREFIX:COUNT (repeatable)."),
    ] = None,
    requester: Annotated[
        list[str] | None, typer.Option(help="Allowed functionRequesterIdentifier (repeatable).")
    ] = None,
    notify_url: Annotated[
        str | None, typer.Option(help="Operator base URL for handleDownloadProgressInfo.")
    ] = None,
    tls_cert: Annotated[Path | None, typer.Option(help="Server certificate (PEM).")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="Its private key (PEM).")] = None,
    client_ca: Annotated[
        Path | None, typer.Option(help="Require client certificates signed by this CA.")
    ] = None,
) -> None:
    """Run the SM-DP+ sandbox on its own: ES2+ at /gsma/rsp2/es2plus/, steering at /sandbox/."""
    import ssl

    import uvicorn

    from resim.deps import open_sandbox
    from resim.smdp_sandbox.server import Notifier, create_app

    settings = _settings()
    path = db or settings.smdp.sandbox_db
    sandbox = open_sandbox(settings, path, frozenset(requester) if requester else None)
    for spec in pool or []:
        try:
            kind, iccid_prefix, imsi_prefix, count = spec.split(":")
            added = sandbox.add_pool(kind, iccid_prefix, imsi_prefix, int(count))
        except ValueError as exc:
            console.print(f"[red]--pool {spec}:[/red] {exc} (TYPE:ICCID_PREFIX:IMSI_PREFIX:COUNT)")
            raise typer.Exit(2) from None
        console.print(f"{added} profiles of type {kind} added")
    notifier = Notifier(
        notify_url or settings.public_url, settings.smdp.notify_token.get_secret_value()
    )
    tls: dict[str, object] = {}
    if tls_cert and tls_key:
        tls = {"ssl_certfile": str(tls_cert), "ssl_keyfile": str(tls_key)}
        if client_ca:
            tls |= {"ssl_ca_certs": str(client_ca), "ssl_cert_reqs": ssl.CERT_REQUIRED}
    scheme = "https" if tls else "http"
    console.print(f"SM-DP+ sandbox on {scheme}://{host}:{port}/ (state in {path})")
    uvicorn.run(
        create_app(sandbox, notifier),
        host=host,
        port=port,
        log_level="warning",
        **tls,  # type: ignore[arg-type]
    )


def main() -> None:
    app()
