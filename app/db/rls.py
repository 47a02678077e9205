"""Row-level security: the one pattern every table of organisation-owned or person data follows.

The service's queries run as the role ``kith_app``, which owns no table and is no superuser. Each
transaction states whose it is with ``kith_begin`` (transaction-local, so a pooled connection never
carries one request's organisation into the next), which takes the service's key: the context it
sets is believed only with the token it proves itself by (``kith_context_valid``), so a statement
that sets ``kith.org_id`` or ``kith.platform`` itself sees nothing. With no context, the policies
match no row. Policies read the context once per statement (``(SELECT kith_current_org())``).
(Statements are kept one per string: asyncpg runs one per call.) A migration calls
:func:`tenant_table` for each new table, e.g.::

    for statement in tenant_table("interactions"):
        op.execute(statement)
"""

from __future__ import annotations

APP_ROLE = "kith_app"

ORG = "(SELECT public.kith_current_org())"
PLATFORM = "(SELECT public.kith_is_platform())"


def tenant_table(
    table: str,
    org_column: str = "org_id",
    privileges: str = "SELECT, INSERT, UPDATE, DELETE",
) -> list[str]:
    """SQL that puts ``table`` under tenant isolation: RLS enabled and forced, one policy keyed on
    ``org_column`` (visible to that organisation, or to a platform-admin transaction), and the
    app role's privileges."""
    rule = f"({org_column} = {ORG} OR {PLATFORM})"
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {table}_tenant ON {table} USING {rule} WITH CHECK {rule}",
        f"GRANT {privileges} ON {table} TO {APP_ROLE}",
    ]


def platform_table(table: str, privileges: str = "SELECT, INSERT, UPDATE") -> list[str]:
    """SQL for a table only platform-admin transactions may see (no organisation owns its rows)."""
    rule = f"({PLATFORM})"
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {table}_platform ON {table} USING {rule} WITH CHECK {rule}",
        f"GRANT {privileges} ON {table} TO {APP_ROLE}",
    ]


def drop_tenant_table(table: str) -> list[str]:
    """The reverse of :func:`tenant_table`, for downgrades."""
    return [
        f"REVOKE ALL ON {table} FROM {APP_ROLE}",
        f"DROP POLICY IF EXISTS {table}_tenant ON {table}",
        f"DROP POLICY IF EXISTS {table}_platform ON {table}",
    ]
