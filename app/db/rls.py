"""Row-level security: the one pattern every table of organisation-owned or person data follows.

The service's queries run as the role ``kith_app``, which owns no table and is no superuser. Each
transaction states whose it is with ``set_config(..., true)`` (transaction-local, so a pooled
connection never carries one request's organisation into the next); with no context set, the
policies match no row. (Statements are kept one per string: asyncpg runs one per call.) Migrations call :func:`tenant_table` for each new table, e.g.::

    for statement in tenant_table("interactions"):
        op.execute(statement)
"""

from __future__ import annotations

APP_ROLE = "kith_app"

# Installed once by the foundation migration; policies call these so that the rule lives in one place.
CONTEXT_FUNCTIONS = [
    """CREATE FUNCTION kith_current_org() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
       $$ SELECT nullif(current_setting('kith.org_id', true), '')::uuid $$""",
    """CREATE FUNCTION kith_is_platform() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
       $$ SELECT coalesce(current_setting('kith.platform', true), '') = 'on' $$""",
    f"GRANT EXECUTE ON FUNCTION kith_current_org() TO {APP_ROLE}",
    f"GRANT EXECUTE ON FUNCTION kith_is_platform() TO {APP_ROLE}",
]


def tenant_table(
    table: str,
    org_column: str = "org_id",
    privileges: str = "SELECT, INSERT, UPDATE, DELETE",
) -> list[str]:
    """SQL that puts ``table`` under tenant isolation: RLS enabled and forced, one policy keyed on
    ``org_column`` (visible to that organisation, or to a platform-admin transaction), and the
    app role's privileges."""
    rule = f"({org_column} = kith_current_org() OR kith_is_platform())"
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {table}_tenant ON {table} USING {rule} WITH CHECK {rule}",
        f"GRANT {privileges} ON {table} TO {APP_ROLE}",
    ]


def platform_table(table: str, privileges: str = "SELECT, INSERT, UPDATE") -> list[str]:
    """SQL for a table only platform-admin transactions may see (no organisation owns its rows)."""
    rule = "(kith_is_platform())"
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
