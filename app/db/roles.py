"""The service's own login: a role that owns nothing, is no superuser, and can act only as kith_app.

``KITH_DATABASE_URL`` names the role that owns Kith's schema: migrations and provisioning run as it.
The service's queries never do. They run on ``KITH_APP_DATABASE_URL`` when it is given (a login you
made yourself, a member of ``kith_app``); otherwise Kith makes one login per database and uses that:

- named ``kith_svc_`` and 16 hex digits of the SHA-256 of the database's name, so that databases
  side by side on one server (the test suite's, the bench's) each have their own and none collide;
- ``LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT``, a member of
  ``kith_app`` only: it cannot ``SET ROLE`` to the owner or to any superuser, it owns nothing, and
  it holds kith_app's rights only while acting as kith_app (its connections start so): ``SET ROLE
  NONE`` leaves it with none, so no check that asks "is this kith_app?" can be stepped round;
- with a generated password kept in ``KITH_DATA_DIR/<login>.password`` (mode 0600, made once);
- admitted to this database only: ``CONNECT`` is revoked from ``PUBLIC`` on Kith's database and
  granted to its own login, so another database's login cannot come in and act as ``kith_app`` here;
- unable to make temporary objects (``TEMPORARY`` revoked from ``PUBLIC`` and ``kith_app``): one
  would be searched before Kith's own table of the same name and outlive the request.

Roles are cluster-wide and outlive a dropped database: :func:`drop_login` removes a database's
login with it (the tests and the bench do).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.errors import AppError
from app.db.rls import APP_ROLE
from app.db.session import database_unavailable

log = logging.getLogger(__name__)

LOGIN_PREFIX = "kith_svc_"


def login_name(database: str) -> str:
    """The service login Kith makes for ``database``."""
    return LOGIN_PREFIX + hashlib.sha256(database.encode()).hexdigest()[:16]


def plain_url(url: str) -> str:
    """``url`` in the form asyncpg itself accepts."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _password(data_dir: Path, login: str) -> tuple[str, bool]:
    """The login's password from the data directory (made there on first use by exactly one
    process, readable only by its owner), and whether it was made now."""
    path = data_dir / f"{login}.password"
    made = False
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then linked into place: when several processes start at
        # once, exactly one password wins and none reads a half-written file.
        draft = data_dir / f".{login}.password.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
        try:
            os.link(draft, path)
            made = True
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip(), made


# What a service login must not hold, by pg_roles column.
_MORE_THAN_A_LOGIN = {
    "rolsuper": "SUPERUSER",
    "rolcreatedb": "CREATEDB",
    "rolcreaterole": "CREATEROLE",
    "rolreplication": "REPLICATION",
    "rolbypassrls": "BYPASSRLS",
}


class CannotProvision(AppError):
    status, code, title = 500, "cannot_provision_login", "Kith cannot make its service login"


async def service_url(owner_url: str, settings: Settings) -> str:
    """The URL the service's queries use: ``KITH_APP_DATABASE_URL``, or this database's own login
    (made or brought up to date here, as the owner)."""
    if settings.app_database_url:
        return settings.app_database_url
    return await provision(owner_url, settings)


async def provision(owner_url: str, settings: Settings) -> str:
    """Make this database's service login if it is missing, check that it holds no more than it
    should, admit it (and only it, besides the owner) to the database, and answer its URL."""
    parsed = make_url(owner_url)
    database = parsed.database or parsed.username or "postgres"  # libpq's default: the user's name
    login = login_name(database)
    password, made = _password(settings.data_dir, login)
    url = parsed.set(username=login, password=password).render_as_string(hide_password=False)
    try:
        conn = await asyncpg.connect(plain_url(owner_url))
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        # The service still starts, answering 503 until the server is back; ``kith serve`` has
        # made the login before (its migrations need the server too).
        log.warning("could not reach the database to check the service login %s: %s", login, exc)
        return url
    try:
        # One provisioning at a time per server (several processes may start together).
        async with conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext('kith provision'), hashtext($1))", login
            )
            role = await conn.fetchrow(
                "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolinherit, "
                "ARRAY(SELECT b.rolname::text FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid "
                "      WHERE m.member = r.oid) AS member_of "
                "FROM pg_roles r WHERE r.rolname = $1",
                login,
            )
            # Names and passwords are Kith's own (hex digits; URL-safe base64): quoted as they stand.
            try:
                if role is None:
                    await conn.execute(
                        f"CREATE ROLE {login} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                        f"NOBYPASSRLS NOINHERIT PASSWORD '{password}' IN ROLE {APP_ROLE}"
                    )
                    log.info("made the service login %s for database %s", login, database)
                else:
                    held = [word for flag, word in _MORE_THAN_A_LOGIN.items() if role[flag]]
                    held += [f"member of {name}" for name in role["member_of"] if name != APP_ROLE]
                    if held:
                        raise CannotProvision(
                            f"The role {login} exists with more than a service login may hold "
                            f"({', '.join(held)}): drop it, or name a login in KITH_APP_DATABASE_URL."
                        )
                    if role["rolinherit"]:  # made before logins were NOINHERIT
                        await conn.execute(f"ALTER ROLE {login} NOINHERIT")
                    if APP_ROLE not in role["member_of"]:
                        await conn.execute(f"GRANT {APP_ROLE} TO {login}")
                    if made:  # a new data directory for a database that already has its login
                        log.warning(
                            "the service login %s has a new password (from %s)", login, settings.data_dir
                        )
                    await conn.execute(f"ALTER ROLE {login} PASSWORD '{password}'")
            except asyncpg.InsufficientPrivilegeError as exc:
                raise CannotProvision(
                    f"The role of KITH_DATABASE_URL may not make the service's login ({exc}): give it "
                    "CREATEROLE, or make a login that is a member of kith_app and name it in "
                    "KITH_APP_DATABASE_URL."
                ) from exc
        await _admit_only(conn, database, login)
    finally:
        await conn.close()
    return url


async def _admit_only(conn: asyncpg.Connection, database: str, login: str) -> None:
    """Let ``login`` (and the owner) connect to ``database``, and no other role but superusers."""
    quoted = '"' + database.replace('"', '""') + '"'
    try:
        async with conn.transaction():
            await conn.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {quoted} TO CURRENT_USER")
            await conn.execute(f"REVOKE CONNECT, TEMPORARY ON DATABASE {quoted} FROM PUBLIC")
            await conn.execute(f"GRANT CONNECT ON DATABASE {quoted} TO {login}")
            # No temporary objects for the service: one would be searched before Kith's own table
            # or function of the same name, and would outlive the request on a pooled connection.
            await conn.execute(f"REVOKE TEMPORARY ON DATABASE {quoted} FROM {APP_ROLE}")
    except asyncpg.InsufficientPrivilegeError as exc:
        # Only the database's owner may: without it, other databases' logins could come in.
        log.warning(
            "could not keep other roles out of database %s (%s): have its owner run "
            "REVOKE CONNECT ON DATABASE ... FROM PUBLIC and GRANT CONNECT ... TO %s",
            database, exc, login,
        )  # fmt: skip


async def drop_login(admin: asyncpg.Connection, database: str) -> None:
    """Remove the service login Kith made for ``database`` (after the database is dropped)."""
    await admin.execute(f"DROP ROLE IF EXISTS {login_name(database)}")
