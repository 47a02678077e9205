"""The `kith` command."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from app.core.config import get_settings

cli = typer.Typer(
    help="Kith: the shared local CRM.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Database migrations.", no_args_is_help=True)
orgs_cli = typer.Typer(help="Organisations.", no_args_is_help=True)
clients_cli = typer.Typer(help="API clients.", no_args_is_help=True)
audit_cli = typer.Typer(help="The audit trail.", no_args_is_help=True)
openapi_cli = typer.Typer(help="The OpenAPI document.", no_args_is_help=True)
identity_cli = typer.Typer(help="Identity resolution.", no_args_is_help=True)
areas_cli = typer.Typer(help="Areas and the postcode lookup.", no_args_is_help=True)
indicators_cli = typer.Typer(help="Community indicators.", no_args_is_help=True)
demo_cli = typer.Typer(help="The demo neighbourhood.", no_args_is_help=True)
staff_cli = typer.Typer(help="Staff users of the console.", no_args_is_help=True)
import_cli = typer.Typer(help="Import an organisation's records from a CSV file.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(orgs_cli, name="orgs")
cli.add_typer(clients_cli, name="clients")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(openapi_cli, name="openapi")
cli.add_typer(identity_cli, name="identity")
cli.add_typer(areas_cli, name="areas")
cli.add_typer(indicators_cli, name="indicators")
cli.add_typer(demo_cli, name="demo")
cli.add_typer(staff_cli, name="staff")
cli.add_typer(import_cli, name="import")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON")]


def _urls():
    from app.db.embedded import resolve_database

    return resolve_database(get_settings())


def _fail(message: str) -> None:
    typer.secho(message, err=True, fg=typer.colors.RED)
    raise typer.Exit(1)


async def _as_operator(fn, *, as_owner: bool = False):
    """Run ``fn(session, principal)`` as the platform operator, after bringing the schema up to date.
    ``as_owner`` runs it as the tables' owner rather than the app role (for checks the app role
    has no right to make, such as reading the audit chain heads)."""
    from app.auth.principal import Principal
    from app.db import migrate, roles
    from app.db.session import Database

    settings = get_settings()
    urls = _urls()
    await migrate.upgrade(urls.owner, settings)
    db = (
        Database.connect(urls.owner, settings, role=None)
        if as_owner
        else Database.connect(await roles.service_url(urls.owner, settings), settings)
    )
    db.services.update(signing_key=_signing_key())  # as the server has it (derived secrets, sealing)
    try:
        async with db.session(platform=True) as session:
            return await fn(session, Principal.operator())
    finally:
        await db.dispose()


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (KITH_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (KITH_PORT)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    migrate: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Migrate the database first")
    ] = True,
    demo: Annotated[
        bool, typer.Option("--demo", help="Seed the demo neighbourhood first (once) and print how to use it")
    ] = False,
) -> None:
    """Run the API server (migrating the database first)."""
    import uvicorn

    from app.auth.keys import SigningKey
    from app.core.logging import configure_logging
    from app.db import migrate as migrations
    from app.db import roles

    if demo:
        # A demonstration: development mode, so that sign-in codes go to /dev/outbox.
        os.environ.setdefault("KITH_ENV", "dev")
        # ... with the indicators open, as a place publishing them would (disclosure-controlled).
        os.environ.setdefault("KITH_INDICATORS_PUBLIC", "true")
        get_settings.cache_clear()
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    urls = _urls()
    if migrate:
        asyncio.run(migrations.upgrade(urls.owner, settings))
    # Worker processes inherit the resolved database, the service's login and the signing key
    # instead of racing for them.
    os.environ["KITH_DATABASE_URL"] = urls.owner
    os.environ["KITH_APP_DATABASE_URL"] = asyncio.run(roles.service_url(urls.owner, settings))
    SigningKey.load_or_create(
        settings.data_dir, settings.jwt_private_key.get_secret_value() if settings.jwt_private_key else None
    )
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = (settings.data_dir / "metrics").resolve()
        metrics_dir.mkdir(parents=True, exist_ok=True)
        for stale in metrics_dir.glob("*.db"):
            stale.unlink()
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    bind_host, bind_port = host or settings.host, port or settings.port
    if demo:
        # Browsers keep the portal's Secure cookies over plain HTTP only for the name localhost.
        shown_host = "localhost" if bind_host in ("127.0.0.1", "::1") else bind_host
        _serve_demo(settings, f"http://{shown_host}:{bind_port}")
    typer.echo(f"Kith is listening on http://{bind_host}:{bind_port}  (API docs: /docs)", err=True)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=workers,
        log_config=None,
        # Proxy headers only from the proxies named in KITH_TRUSTED_PROXIES (uvicorn's own default
        # believes any loopback peer, which let a client rotate X-Forwarded-For past rate limits).
        proxy_headers=bool(settings.trusted_proxies.strip()),
        forwarded_allow_ips=settings.trusted_proxies.strip() or "",
        timeout_graceful_shutdown=20,
    )


def _demo_seed_module():
    """The demo's seeding, which draws its residents with the bench's synthetic generator (Faker)."""
    try:
        from app.demo import seed
    except ModuleNotFoundError as exc:
        if exc.name != "faker":
            raise
        typer.echo(
            "The demo neighbourhood is drawn by the bench's synthetic generator, which needs the bench "
            "extra: pip install -e '.[bench]'",
            err=True,
        )
        raise typer.Exit(2) from None
    return seed


def _serve_demo(settings, base: str) -> None:
    """Seed the demo neighbourhood into an empty database, or reuse the demo seeded there before;
    refuse one that holds anything else. Then print how to use it."""
    demo_seed = _demo_seed_module()
    credentials = settings.data_dir / "demo-credentials.json"
    seeded = _seed_demo(announce="Seeding the demo neighbourhood (about a minute, once)…", empty_only=True)
    if seeded is not None:
        credentials.parent.mkdir(parents=True, exist_ok=True)
        credentials.write_bytes(demo_seed.credentials_json(seeded["clients"]))
        credentials.chmod(0o600)
    shown = json.loads(credentials.read_text()) if credentials.exists() else {}
    typer.echo(
        f"\nKith demo neighbourhood\n  portal:   {base}/portal  (sign in as {demo_seed.DEMO_RESIDENT_EMAIL}; "
        f"the code arrives at {base}/dev/outbox; her rewards card's PIN is {demo_seed.DEMO_CARD_PIN})\n"
        f"  console:  {base}/console  (staff sign in the same way: "
        + "; ".join(
            f"{email} ({role.replace('_', ' ')})" for email, (_, role) in demo_seed.DEMO_STAFF.items()
        )
        + f")\n  API docs: {base}/docs\n  token:    POST {base}/oauth/token "
        "(client_credentials)"
    )
    if shown:
        typer.echo(f"  demo API clients (also in {credentials}):")
        for role, c in shown.items():
            typer.echo(
                f"    {role:9} {c['client_id']}  {c['client_secret']}  ({c['organisation']}: {c['scopes']})"
            )
        typer.echo("  their organisations:")
        for org_name, org_id in dict.fromkeys(
            (c["organisation"], c.get("organisation_id")) for c in shown.values()
        ):
            typer.echo(f"    {org_id or '(see kith orgs list)'}  {org_name}")
    else:
        typer.echo(
            f"  no demo API clients are kept in {credentials}: make one with "
            '`kith orgs list` and `kith clients create --org ID --scopes "…"`'
        )
    opened = "open to anyone" if settings.indicators_public else "staff with the analyst role"
    typer.echo(
        f"  insights: {base}/insights  (the community indicators, {opened}; the API too: "
        f"{base}/v1/indicators/values?level=ward)\n"
    )


def _seed_demo(
    people: int = 5000, seed: int = 7, announce: str | None = None, *, empty_only: bool = False
) -> dict | None:
    """Seed the demo neighbourhood, its staff, API clients, the demo resident's readers and the
    indicators' roll-ups, unless the database has it already (then None): the summary, with the
    clients' credentials. ``empty_only``: exit 1 when the database holds anything else."""
    demo_seed = _demo_seed_module()

    async def run(db):
        return await demo_seed.seed_demo(
            db,
            people=people,
            seed=seed,
            empty_only=empty_only,
            announce=(lambda: typer.echo(announce, err=True)) if announce else None,
        )

    try:
        return asyncio.run(_on_demo_database(run))
    except demo_seed.NotEmpty as exc:
        _fail(
            f"{exc.detail}\nGive the demo a database of its own — a new data directory, e.g. "
            "`KITH_DATA_DIR=.kith-demo kith serve --demo` (with KITH_DATABASE_URL unset) — or serve this "
            "one without --demo."
        )
        return None  # not reached: _fail exits


async def _on_demo_database(fn):
    """Run ``fn(db)`` against the (migrated) database as the service connects to it."""
    from app.db import migrate, roles
    from app.db.session import Database

    settings = get_settings()
    urls = _urls()
    await migrate.upgrade(urls.owner, settings)
    db = Database.connect(await roles.service_url(urls.owner, settings), settings)
    db.services.update(signing_key=_signing_key())  # as the server has it (derived secrets, sealing)
    try:
        return await fn(db)
    finally:
        await db.dispose()


async def _refresh_indicators(full: bool = False):
    from app.indicators import service

    return await _as_operator(lambda s, p: service.refresh(s, get_settings(), full=full))


@areas_cli.command("import")
def areas_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="ONS NSPL/ONSPD-format CSV")],
    as_json: JsonFlag = False,
) -> None:
    """Load a postcode lookup (NSPL/ONSPD CSV): bad rows are reported by line, good ones imported."""
    from app.core.errors import AppError
    from app.indicators import areas

    async def load(session, principal):
        with file.open(newline="", encoding="utf-8-sig") as handle:
            return await areas.import_lookup(session, handle)

    try:
        report = asyncio.run(_as_operator(load))
    except AppError as exc:
        _fail(exc.detail)
    if as_json:
        typer.echo(json.dumps(report.as_json()))
    else:
        typer.echo(
            f"imported {report.imported} postcodes; areas: "
            + ", ".join(f"{n} {level}s" for level, n in sorted(report.areas.items()))
        )
        for bad in report.rejected[:50]:
            typer.echo(f"  line {bad['line']}: {bad['error']}", err=True)
        if len(report.rejected) > 50:
            typer.echo(f"  … and {len(report.rejected) - 50} more bad rows (--json lists them all)", err=True)
    if report.rejected and not report.imported:
        raise typer.Exit(1)


@indicators_cli.command("refresh")
def indicators_refresh(
    full: Annotated[bool, typer.Option("--full", help="Rebuild every roll-up")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Bring the indicator roll-ups up to date (kith serve and kith worker also do it regularly)."""
    report = asyncio.run(_refresh_indicators(full))
    revised = f"; revision {report.revision} published" if report.revision else ""
    typer.echo(
        json.dumps(report.as_json()) if as_json else f"{report.cells} area-periods recomputed{revised}"
    )


@indicators_cli.command("revise")
def indicators_revise(as_json: JsonFlag = False) -> None:
    """Revise the published indicators now, whatever KITH_INDICATOR_REVISION says: objections,
    erasures and late records reach published figures (each changed one marked revised_at)."""
    from app.indicators import service

    revision = asyncio.run(_as_operator(lambda s, p: service.revise(s, get_settings())))
    said = (
        f"revision {revision} published"
        if revision
        else "nothing to publish yet: no period has ended since the data began"
    )
    typer.echo(json.dumps({"revision": revision}) if as_json else said)


@demo_cli.command("seed")
def demo_seed_command(
    people: Annotated[int, typer.Option(min=50, max=100_000, help="Residents")] = 5000,
    seed: Annotated[int, typer.Option(help="The same seed, the same neighbourhood")] = 7,
    as_json: JsonFlag = False,
) -> None:
    """Seed the demo neighbourhood (wards, organisations, a year of activity) and demo API clients."""
    summary = _seed_demo(people, seed)
    if summary is None:
        _fail("The demo neighbourhood is already in this database.")
    if as_json:
        typer.echo(json.dumps(summary, default=str))
    else:
        typer.echo(
            f"seeded {summary['people']} residents, {summary['organisations']} organisations, "
            f"{summary['interactions']} interactions, {summary['transfers']} ledger transfers"
        )
        for role, c in summary["clients"].items():
            typer.echo(
                f"  {role:9} {c['client_id']}  {c['client_secret']}  ({c['organisation']} {c['organisation_id']})"
            )


@cli.command()
def worker(
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Exit 0 only if this machine's worker reached the database within the last minute "
            "(a container's health check)",
        ),
    ] = False,
) -> None:
    """Run the background jobs on their own: webhook delivery, ledger hold timeouts, credit expiry,
    mail to residents, indicator roll-ups, identity retraining (kith serve also runs them, unless
    KITH_WEBHOOK_WORKER=false); stops on SIGTERM, letting the attempts in flight end."""
    import signal

    from app.core.logging import configure_logging
    from app.core.periodic import Jobs
    from app.db.session import Database
    from app.worker import HEARTBEAT_STALE_SECONDS, heartbeat, heartbeat_age

    settings = get_settings()
    if check:
        age = heartbeat_age(settings)
        if age is None or age > HEARTBEAT_STALE_SECONDS:
            _fail("no worker here has reached the database in the last minute")
        typer.echo(f"worker alive: it reached the database {age:.0f} s ago")
        return
    from app.core import memory
    from app.worker import background_jobs

    configure_logging(settings.log_level, settings.log_json)
    memory.tune_for_batches()  # the worker resolves imports' batches, as the server does
    urls = _urls()

    async def run() -> None:
        from app.db import roles

        db = Database.connect(await roles.service_url(urls.owner, settings), settings)
        jobs = Jobs([*background_jobs(db, settings), heartbeat(db, settings)])
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, jobs.request_stop)
        typer.echo("Kith worker running: " + ", ".join(job.name for job in jobs.jobs), err=True)
        try:
            await jobs.run()
        finally:
            await jobs.stop()
            await db.dispose()

    asyncio.run(run())


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from app.db import migrate

    asyncio.run(migrate.upgrade(_urls().owner, get_settings(), revision))
    typer.echo(f"database at {revision}")


@db_cli.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target, e.g. -1 or base")]) -> None:
    """Revert migrations down to REVISION."""
    from app.db import migrate

    asyncio.run(migrate.downgrade(_urls().owner, get_settings(), revision))
    typer.echo(f"database at {revision}")


@db_cli.command("check")
def db_check(as_json: JsonFlag = False) -> None:
    """Look for orphans (rows pointing at people, records, accounts or organisations that do not
    exist) and ledger invariant breaks; exit 1 if any is found."""
    from app.db import integrity

    findings = asyncio.run(_as_operator(lambda session, _: integrity.check(session), as_owner=True))
    if as_json:
        typer.echo(json.dumps({"ok": not findings, "findings": [vars(f) for f in findings]}, indent=2))
    elif findings:
        for f in findings:
            typer.secho(f"{f.check}: {f.count} (e.g. {', '.join(f.examples)})", err=True, fg=typer.colors.RED)
    else:
        typer.echo(
            f"database holds together: {len(integrity.UNCHECKED_REFERENCES)} unenforced references "
            f"without orphans, {len(integrity.LEDGER_CHECKS)} ledger invariants hold"
        )
    if findings:
        raise typer.Exit(1)


@db_cli.command("current")
def db_current() -> None:
    """Print the database's current migration revision."""
    from app.db import migrate

    current = asyncio.run(migrate.current(_urls().owner, get_settings()))
    head = migrate.head_revision()
    typer.echo(f"{current or '(none)'}{' (head)' if current == head else f' (latest is {head})'}")


@orgs_cli.command("create")
def orgs_create(
    name: Annotated[str, typer.Option(help="Organisation name")],
    sector: Annotated[str, typer.Option(help="public, social or commercial")],
    kind: Annotated[str, typer.Option(help="council, nhs, school, charity, business, …")],
    area_code: Annotated[str | None, typer.Option(help="ONS area code")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register an organisation."""
    from pydantic import ValidationError

    from app.organisations import service
    from app.organisations.schemas import OrganisationIn, OrganisationOut

    try:
        body = OrganisationIn(name=name, sector=sector, kind=kind, area_code=area_code)
    except ValidationError as exc:
        _fail("; ".join(f"--{'-'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    org = asyncio.run(_as_operator(lambda s, p: service.create_organisation(s, p, **body.model_dump())))
    out = OrganisationOut.model_validate(org).model_dump(mode="json")
    typer.echo(json.dumps(out) if as_json else f"created organisation {out['id']} ({out['name']})")


@orgs_cli.command("trust")
def orgs_trust(
    org: Annotated[str, typer.Argument(help="Organisation id")],
    records_consent: Annotated[
        bool,
        typer.Option("--records-consent", help="Grants it records count without the resident confirming"),
    ] = False,
    verifies_identity: Annotated[
        bool, typer.Option("--verifies-identity", help="What it marks verified is believed")
    ] = False,
    revoke: Annotated[bool, typer.Option("--revoke", help="Withdraw the trust named instead")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Trust an organisation (platform operator only; audited). New organisations have neither."""
    import uuid

    from app.core.errors import AppError
    from app.organisations import service
    from app.organisations.schemas import OrganisationOut

    if not (records_consent or verifies_identity):
        _fail("name the trust: --records-consent and/or --verifies-identity")
    try:
        org_id = uuid.UUID(org)
    except ValueError:
        _fail(f"ORG: {org!r} is not an organisation id")
    value = not revoke
    try:
        changed = asyncio.run(
            _as_operator(
                lambda s, p: service.set_trust(
                    s,
                    p,
                    org_id,
                    records_consent=value if records_consent else None,
                    verifies_identity=value if verifies_identity else None,
                )
            )
        )
    except AppError as exc:
        _fail(exc.detail)
    out = OrganisationOut.model_validate(changed).model_dump(mode="json")
    if as_json:
        typer.echo(json.dumps(out))
    else:
        typer.echo(
            f"{out['name']}: records consent: {'yes' if out['records_consent'] else 'no'}; "
            f"verifies identity: {'yes' if out['verifies_identity'] else 'no'}"
        )


@orgs_cli.command("scopes")
def orgs_scopes(
    org: Annotated[str, typer.Argument(help="Organisation id")],
    allow: Annotated[
        str | None,
        typer.Option(help='Space-separated scopes its admin may give its clients, e.g. "rewards:redeem"'),
    ] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Back to what the admin's own role may do")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Set what an organisation's own admin may give its API clients in the console (platform
    operator only; audited). By default, what the admin's role may do; never platform admin."""
    import uuid

    from app.core.errors import AppError
    from app.organisations import service

    try:
        org_id = uuid.UUID(org)
    except ValueError:
        _fail(f"ORG: {org!r} is not an organisation id")
    if (allow is None) == (not reset):
        _fail("give --allow SCOPES or --reset")
    scopes = None if reset else (allow or "").split()
    try:
        changed = asyncio.run(_as_operator(lambda s, p: service.set_client_scopes(s, p, org_id, scopes)))
    except AppError as exc:
        _fail(exc.detail)
    out = {"org_id": org, "client_scopes": changed.client_scopes}
    if as_json:
        typer.echo(json.dumps(out))
    elif changed.client_scopes is None:
        typer.echo(f"{changed.name}: its admin may give clients what the admin's own role may do")
    else:
        typer.echo(
            f"{changed.name}: its admin may give clients {' '.join(changed.client_scopes) or 'nothing'}"
        )


@orgs_cli.command("sso")
def orgs_sso(
    org: Annotated[str, typer.Option(help="Organisation id")],
    issuer: Annotated[str | None, typer.Option(help="The provider's issuer URL (https)")] = None,
    client_id: Annotated[str | None, typer.Option(help="Kith's client id at the provider")] = None,
    client_secret: Annotated[
        str | None, typer.Option(help="Kith's client secret there (asked for if not given)")
    ] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Stop single sign-on instead")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Let an organisation's staff sign in to the console with its OpenID Connect provider (or,
    with --remove, stop it). The secret is kept sealed and never shown back. Audited."""
    import uuid

    from app.console.service import SSO_CALLBACK
    from app.core.errors import AppError
    from app.organisations import service

    try:
        org_id = uuid.UUID(org)
    except ValueError:
        _fail(f"--org: {org!r} is not an organisation id")
    if remove:
        try:
            asyncio.run(_as_operator(lambda s, p: service.remove_sso(s, p, org_id)))
        except AppError as exc:
            _fail(exc.detail)
        typer.echo(json.dumps({"org_id": org, "sso": None}) if as_json else "single sign-on removed")
        return
    if not issuer or not client_id:
        _fail("give --issuer and --client-id (or --remove)")
    secret = client_secret or typer.prompt("Client secret", hide_input=True)
    try:
        asyncio.run(
            _as_operator(
                lambda s, p: service.set_sso(
                    s, p, org_id, issuer=issuer, client_id=client_id, client_secret=secret
                )
            )
        )
    except AppError as exc:
        _fail(exc.detail)
    callback = get_settings().public_url.rstrip("/") + SSO_CALLBACK
    out = {"org_id": org, "issuer": issuer, "client_id": client_id, "redirect_uri": callback}
    if as_json:
        typer.echo(json.dumps(out))
    else:
        typer.echo(f"single sign-on with {issuer} (client id {client_id})")
        typer.echo(f"Register this redirect URI at the provider: {callback}", err=True)


@clients_cli.command("create")
def clients_create(
    org: Annotated[str, typer.Option(help="Organisation id")],
    scopes: Annotated[str, typer.Option(help='Space-separated scopes, e.g. "people:read people:write"')] = "",
    admin: Annotated[
        bool, typer.Option("--admin", help="A platform-admin client (adds scope 'admin')")
    ] = False,
    name: Annotated[str, typer.Option(help="A label for the client")] = "API client",
    as_json: JsonFlag = False,
) -> None:
    """Create an API client; its secret is printed once."""
    import uuid

    from app.auth.principal import SCOPES
    from app.core.errors import AppError
    from app.organisations import service

    wanted = scopes.split()
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        _fail(f"unknown scope(s): {' '.join(unknown)}; known: {' '.join(SCOPES)}")
    if not wanted and not admin:
        _fail("give --scopes and/or --admin")
    try:
        org_id = uuid.UUID(org)
    except ValueError:
        _fail(f"--org: {org!r} is not an organisation id")
    try:
        client, secret = asyncio.run(
            _as_operator(
                lambda s, p: service.create_client(s, p, org_id, name=name, scopes=wanted, admin=admin)
            )
        )
    except AppError as exc:
        _fail(exc.detail)
    out = {
        "client_id": client.client_id,
        "client_secret": secret,
        "org_id": str(client.org_id),
        "scopes": client.scopes,
    }
    if as_json:
        typer.echo(json.dumps(out))
    else:
        typer.echo(
            f"client_id:     {out['client_id']}\nclient_secret: {secret}\nscopes:        {' '.join(client.scopes)}"
        )
        typer.echo("The secret is shown only now; keep it safe.", err=True)


def _run_fast(coroutine: Any) -> Any:
    """Run a long database job on uvloop where it is installed (as uvicorn serves Kith): asyncpg
    does its I/O in about half the time there than on the standard event loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def _org_id(raw: str, name: str = "ORG") -> Any:
    import uuid

    try:
        return uuid.UUID(raw)
    except ValueError:
        _fail(f"{name}: {raw!r} is not an organisation id")


def _client_out(client: Any) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "org_id": str(client.org_id),
        "name": client.name,
        "scopes": list(client.scopes),
        "created_at": client.created_at.isoformat(),
        "disabled_at": client.disabled_at.isoformat() if client.disabled_at else None,
    }


@orgs_cli.command("list")
def orgs_list(as_json: JsonFlag = False) -> None:
    """Every organisation, in order of registration (platform operator)."""
    from app.core.pagination import PageRequest, decode_cursor
    from app.organisations import service
    from app.organisations.schemas import OrganisationOut

    async def every(session, principal):
        out, after = [], None
        while True:
            rows, cursor = await service.list_organisations(session, PageRequest(limit=500, after=after))
            out.extend(rows)
            if cursor is None:
                return out
            after = decode_cursor(cursor)

    orgs = [
        OrganisationOut.model_validate(o).model_dump(mode="json") for o in asyncio.run(_as_operator(every))
    ]
    if as_json:
        typer.echo(json.dumps(orgs))
        return
    for o in orgs:
        trust = [t for t in ("records_consent", "verifies_identity") if o[t]]
        typer.echo(
            f"{o['id']}  {o['name']} ({o['sector']}, {o['kind']}){'  trusted: ' + ', '.join(trust) if trust else ''}"
        )


@orgs_cli.command("show")
def orgs_show(org: Annotated[str, typer.Argument(help="Organisation id")], as_json: JsonFlag = False) -> None:
    """One organisation: its details, trust, API clients and staff (never a secret)."""
    from app.core.errors import AppError
    from app.organisations import service
    from app.organisations.schemas import OrganisationOut

    org_id = _org_id(org)

    async def show(session, principal):
        found = await service.get_organisation(session, org_id)
        return found, await service.list_clients(session, org_id), await service.list_staff(session, org_id)

    try:
        found, clients, staff = asyncio.run(_as_operator(show))
    except AppError as exc:
        _fail(exc.detail)
    out = OrganisationOut.model_validate(found).model_dump(mode="json") | {
        "client_scopes": found.client_scopes,
        "clients": [_client_out(c) for c in clients],
        "staff": [
            {"id": str(m.id), "email": m.email, "role": m.role, "disabled": m.disabled_at is not None}
            for m in staff
        ],
    }
    if as_json:
        typer.echo(json.dumps(out))
        return
    typer.echo(f"{out['name']} ({out['sector']}, {out['kind']}), id {out['id']}")
    typer.echo(
        f"records consent: {'yes' if out['records_consent'] else 'no'}; verifies identity: {'yes' if out['verifies_identity'] else 'no'}"
    )
    for c in out["clients"]:
        typer.echo(
            f"client {c['client_id']}  {c['name']}: {' '.join(c['scopes'])}{'  (disabled)' if c['disabled_at'] else ''}"
        )
    for m in out["staff"]:
        typer.echo(f"staff  {m['email']}: {m['role']}{'  (disabled)' if m['disabled'] else ''}")


@clients_cli.command("list")
def clients_list(
    org: Annotated[str, typer.Option(help="Organisation id")], as_json: JsonFlag = False
) -> None:
    """An organisation's API clients (never their secrets)."""
    from app.core.errors import AppError
    from app.organisations import service

    org_id = _org_id(org, "--org")
    try:
        clients = asyncio.run(_as_operator(lambda s, p: service.list_clients(s, org_id)))
    except AppError as exc:
        _fail(exc.detail)
    out = [_client_out(c) for c in clients]
    if as_json:
        typer.echo(json.dumps(out))
        return
    for c in out:
        typer.echo(
            f"{c['client_id']}  {c['name']}: {' '.join(c['scopes'])}{'  (disabled)' if c['disabled_at'] else ''}"
        )


@clients_cli.command("disable")
def clients_disable(
    client_id: Annotated[str, typer.Argument(help="The client's id (kc_…)")], as_json: JsonFlag = False
) -> None:
    """Disable an API client: its tokens stop working on their next request. Audited."""
    from app.core.errors import AppError
    from app.organisations import service

    try:
        client = asyncio.run(_as_operator(lambda s, p: service.disable_client(s, p, client_id)))
    except AppError as exc:
        _fail(exc.detail)
    typer.echo(json.dumps(_client_out(client)) if as_json else f"disabled {client.client_id}")


@clients_cli.command("rotate-secret")
def clients_rotate_secret(
    client_id: Annotated[str, typer.Argument(help="The client's id (kc_…)")], as_json: JsonFlag = False
) -> None:
    """A new secret for an API client, printed once; the old one stops working now. Audited."""
    from app.core.errors import AppError
    from app.organisations import service

    try:
        secret = asyncio.run(_as_operator(lambda s, p: service.rotate_client_secret(s, p, client_id)))
    except AppError as exc:
        _fail(exc.detail)
    if as_json:
        typer.echo(json.dumps({"client_id": client_id, "client_secret": secret}))
    else:
        typer.echo(f"client_id:     {client_id}\nclient_secret: {secret}")
        typer.echo("The secret is shown only now; the old one no longer works.", err=True)


_ImportFile = Annotated[Path, typer.Argument(help="The CSV file (UTF-8 or Windows-1252; comma or semicolon)")]
_ImportOrg = Annotated[str, typer.Option(help="The organisation whose records these are")]
_ImportMap = Annotated[
    str | None,
    typer.Option(
        "--map",
        help="Kith field=column, comma-separated (e.g. given_name=Forename,family_name=Surname); "
        "default: guessed from the headers, and printed",
    ),
]
_ImportDates = Annotated[
    str, typer.Option(help="How the file writes dates: dmy (31/12/1980) or ymd (1980-12-31)")
]
_ImportReport = Annotated[
    Path | None, typer.Option(help="Where to write the report, a line per row (default: FILE.report.csv)")
]


@import_cli.command("people")
def import_people(
    file: _ImportFile,
    org: _ImportOrg,
    map_: _ImportMap = None,
    date_format: _ImportDates = "dmy",
    report: _ImportReport = None,
    as_json: JsonFlag = False,
) -> None:
    """Import an organisation's people: each row resolved as the batch API resolves a record
    (created, matched, held for review, or rejected with the reason), with a progress bar and a
    report. Importing the same file again creates no one twice."""
    _import("people", file, org, map_, date_format, report, as_json)


@import_cli.command("interactions")
def import_interactions(
    file: _ImportFile,
    org: _ImportOrg,
    map_: _ImportMap = None,
    date_format: _ImportDates = "dmy",
    report: _ImportReport = None,
    as_json: JsonFlag = False,
) -> None:
    """Import an organisation's contacts with its people (each row naming the person by the
    organisation's reference, person_ref): stored as the batch API stores them (created, duplicate
    of one stored before, or rejected with the reason). Importing the same file again stores
    nothing twice (a row without an id of the file's is known by its content)."""
    _import("interactions", file, org, map_, date_format, report, as_json)


def _import(
    kind: str, file: Path, org: str, map_: str | None, date_format: str, report: Path | None, as_json: bool
) -> None:
    from rich.progress import Progress

    from app.core import memory
    from app.core.errors import AppError
    from app.db.session import Database
    from app.imports import mapping as mappings
    from app.imports import service
    from app.imports.table import read_table

    org_id = _org_id(org, "--org")
    if date_format not in mappings.DATE_FORMATS:
        _fail(f"--date-format: {date_format!r}; give dmy (31/12/1980) or ymd (1980-12-31)")
    fields = mappings.FIELDS[kind]
    try:
        table = read_table(file.read_bytes())
        chosen = (
            mappings.parse_map(map_, table.headers, fields) if map_ else mappings.guess(table.headers, fields)
        )
    except OSError as exc:
        _fail(f"{file}: {exc.strerror}")
    except AppError as exc:
        _fail(exc.detail)
    if not chosen:
        _fail(
            f"no column of {file} could be matched to a field: give --map (columns: {', '.join(table.headers)})"
        )
    if not map_:
        typer.echo("columns: " + ", ".join(f"{f}={h}" for f, h in chosen.items()), err=True)
    memory.tune_for_batches()  # the file read in lives as long as the import
    settings = get_settings()
    urls = _urls()
    run_kind, principal = (
        (service.import_people, service.people_principal(org_id))
        if kind == "people"
        else (service.import_interactions, service.interactions_principal(org_id))
    )

    async def run():
        from app.db import migrate, roles

        await migrate.upgrade(urls.owner, settings)
        db = Database.connect(await roles.service_url(urls.owner, settings), settings)
        try:
            with Progress(console=None, transient=as_json) as bar:
                task = bar.add_task(f"importing {file.name}", total=len(table.rows))
                return await run_kind(
                    db, principal, table, chosen, date_format, lambda n: bar.advance(task, n)
                )
        finally:
            await db.dispose()

    try:
        done = _run_fast(run())
    except AppError as exc:
        _fail(exc.detail)
    where = report or file.with_suffix(".report.csv")
    where.write_text(done.csv(), encoding="utf-8")
    counts = done.counts()
    if as_json:
        typer.echo(json.dumps({"rows": len(done.rows), **counts, "report": str(where)}))
    else:
        typer.echo(", ".join(f"{n} {k}" for k, n in counts.items() if n) + f"; report: {where}")


@staff_cli.command("invite")
def staff_invite(
    org: Annotated[str, typer.Option(help="Organisation id")],
    email: Annotated[str, typer.Option(help="The staff member's work email address")],
    role: Annotated[
        str, typer.Option(help="viewer, caseworker, org_admin or analyst; or reviewer (the platform's own)")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Invite a staff member to an organisation's console (again: set their role and enable them).
    They sign in at /console with a code mailed to the address."""
    import uuid

    from app.core.errors import AppError
    from app.identity.normalise import FieldError
    from app.identity.normalise import email as normalise_email
    from app.organisations import service

    try:
        org_id = uuid.UUID(org)
    except ValueError:
        _fail(f"--org: {org!r} is not an organisation id")
    try:
        address = normalise_email("email", email)
    except FieldError as exc:
        _fail(f"--email: {exc.message}")
    try:
        staff = asyncio.run(
            _as_operator(lambda s, p: service.invite_staff(s, p, org_id, email=address, role=role))
        )
    except AppError as exc:
        _fail(exc.detail)
    out = {"id": str(staff.id), "org_id": str(staff.org_id), "email": staff.email, "role": staff.role}
    typer.echo(json.dumps(out) if as_json else f"invited {staff.email} as {staff.role} (staff id {staff.id})")


def _signing_key():
    from app.auth.keys import SigningKey

    settings = get_settings()
    pem = settings.jwt_private_key.get_secret_value() if settings.jwt_private_key else None
    return SigningKey.load_or_create(settings.data_dir, pem)


@audit_cli.command("verify")
def audit_verify(
    checkpoints: Annotated[
        Path | None,
        typer.Option(help="Checkpoints kept outside (kith audit export-checkpoints) to hold the chains to"),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check every link of the audit trail's keyed hash chains, each chain's head, and every signed
    checkpoint; exit 1 at the first break."""
    from app.audit import service

    outside = []
    if checkpoints is not None:
        try:
            outside = [json.loads(line) for line in checkpoints.read_text().splitlines() if line.strip()]
        except (OSError, ValueError) as exc:
            _fail(f"--checkpoints: cannot read {checkpoints}: {exc}")
    key, signing = get_settings().audit_secret(), _signing_key()
    reports = asyncio.run(_as_operator(lambda s, p: service.verify(s, key, signing, outside), as_owner=True))
    ok = all(r.ok for r in reports)
    if as_json:
        typer.echo(json.dumps({"ok": ok, "chains": [r.__dict__ for r in reports]}))
    else:
        total = sum(r.entries for r in reports)
        for r in reports:
            if not r.ok:
                typer.echo(f"chain {r.chain}: BROKEN at entry {r.broken_at}: {r.reason}")
        typer.echo(f"audit trail {'intact' if ok else 'BROKEN'}: {total} entries in {len(reports)} chains")
    if not ok:
        raise typer.Exit(1)


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign each audit chain's head now (the server also does it every KITH_AUDIT_CHECKPOINT_SECONDS)."""
    from app.audit import service

    signing = _signing_key()
    made = asyncio.run(_as_operator(lambda s, p: service.checkpoint(s, signing)))
    typer.echo(f"{made} chain heads signed")


@audit_cli.command("export-checkpoints")
def audit_export_checkpoints(
    out: Annotated[Path | None, typer.Option(help="File to write (default: standard output)")] = None,
) -> None:
    """Write every signed checkpoint as JSON lines, for someone outside Kith to keep: `kith audit
    verify --checkpoints FILE` then holds the trail to them even if the database's copies go."""
    from app.audit import service

    rows = asyncio.run(_as_operator(lambda s, p: service.checkpoints(s)))
    text_out = "".join(json.dumps(r) + "\n" for r in rows)
    if out is None:
        typer.echo(text_out, nl=False)
    else:
        out.write_text(text_out)
        typer.echo(f"{len(rows)} checkpoints written to {out}", err=True)


@identity_cli.command("train")
def identity_train(
    sample: Annotated[
        int, typer.Option(min=100, help="Records whose candidate pairs feed the estimate")
    ] = 2000,
    as_json: JsonFlag = False,
) -> None:
    """Re-estimate the matching parameters (m and u) from the records held, and use them."""
    from app.identity import training

    done = asyncio.run(_as_operator(lambda s, p: training.train(s, p, sample)))
    params = done.params
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "candidate_pairs": done.pairs,
                    "labels": done.labels,
                    "agreed": done.agreed,
                    "agreed_before": done.agreed_before,
                    "adopted": done.adopted,
                    **params.to_json(),
                }
            )
        )
        return
    typer.echo(
        f"estimated from {done.pairs} candidate pairs; on {done.labels} reviewers' decisions it agrees with "
        f"{done.agreed} (the parameters in use: {done.agreed_before}): "
        + ("adopted" if done.adopted else "NOT adopted, the parameters in use are kept")
    )
    typer.echo("match weights (log2 m/u) of the estimate:")
    for attribute, levels in params.m.items():
        weights = ", ".join(f"{lv} {params.weight(attribute, lv):+.1f}" for lv in levels)
        typer.echo(f"  {attribute:9} {weights}")


@cli.command()
def bench(
    quick: Annotated[
        bool, typer.Option("--quick", help="Smaller data, the same scenarios: under 2 minutes on 2 cores")
    ] = False,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            help="Run only this scenario (repeatable): profile-read, timeline-read, ingest, ledger, identity, indicators; "
            "identity-quality (Kith beside Splink on the corruption model) runs only when named"
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the JSON report to this file")] = None,
    workers: Annotated[int, typer.Option(min=1, help="kith serve worker processes")] = 2,
    tiny: Annotated[bool, typer.Option("--tiny", hidden=True, help="Token sizes, for the tests")] = False,
) -> None:
    """Measure Kith's performance targets, each beside its floor from the same run, on a fresh database
    (KITH_DATABASE_URL's server, else an embedded one); print a table, then the JSON report."""
    from rich.console import Console

    from app.bench.runner import run_bench
    from app.bench.scenarios import SCENARIOS

    # Every scenario unless one is named; a scenario may ask to run only when named (BY_DEFAULT).
    names = scenario or [name for name, module in SCENARIOS.items() if getattr(module, "BY_DEFAULT", True)]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        _fail(f"unknown scenario(s): {' '.join(unknown)}; known: {' '.join(SCENARIOS)}")
    size = "tiny" if tiny else "quick" if quick else "full"
    console = Console(stderr=True, width=None if sys.stderr.isatty() else 132)
    report = asyncio.run(run_bench(names, size, workers, get_settings().database_url, console))
    text = json.dumps(report, indent=2)
    if out is not None:
        out.write_text(text + "\n")
    typer.echo(text)


@openapi_cli.command("export")
def openapi_export(
    out: Annotated[Path, typer.Option(help="Where to write the document")] = Path("openapi/openapi.json"),
) -> None:
    """Write the OpenAPI document (openapi/openapi.json by default)."""
    from app.main import create_app

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(openapi_json(create_app()))
    typer.echo(f"wrote {out}")


def openapi_json(app) -> str:
    return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    from app.db.migrate import SchemaFromAnOldRevision

    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
    except SchemaFromAnOldRevision as exc:
        typer.secho(exc.detail, err=True, fg=typer.colors.RED)
        sys.exit(1)


if __name__ == "__main__":
    main()
