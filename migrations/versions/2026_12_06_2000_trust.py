"""Trust is the platform's to give: organisation trust flags, and grants that await the resident.

Revision ID: 2026_12_06_trust
Revises: 2026_12_06_baseline
Create Date: 2026-12-06 20:00

- ``organisations.records_consent`` / ``verifies_identity``: set only by the platform (a trigger
  refuses anyone else, whatever the row-level policy lets an organisation update of its own row).
- ``consent_grants.confirmed_at``: a grant opens other organisations' data only once confirmed
  (by the resident, or at once when the platform trusts the recording organisation). Every active
  grant test, here and in the service, now includes it. ``confirm_token_hash``: the emailed link.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_06_trust"
down_revision = "2026_12_06_baseline"
branch_labels = None
depends_on = None

CONSENTED = r"""
CREATE OR REPLACE FUNCTION public.kith_consented(p_person uuid, p_categories text[]) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
       SELECT kith_current_purpose() IS NOT NULL AND kith_current_org() IS NOT NULL AND EXISTS (
         SELECT 1 FROM people rp
           JOIN org_people op ON op.canonical_id = rp.canonical_id AND op.org_id = kith_current_org()
           JOIN consent_grants g ON g.org_person_id = op.org_person_id
          WHERE rp.id = p_person
            AND g.purpose = kith_current_purpose()
            AND g.confirmed_at IS NOT NULL
            AND g.withdrawn_at IS NULL
            AND (g.expires_at IS NULL OR g.expires_at > now())
            AND g.categories && p_categories) $$
"""

CONSENTED_BEFORE = r"""
CREATE OR REPLACE FUNCTION public.kith_consented(p_person uuid, p_categories text[]) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
       SELECT kith_current_purpose() IS NOT NULL AND kith_current_org() IS NOT NULL AND EXISTS (
         SELECT 1 FROM people rp
           JOIN org_people op ON op.canonical_id = rp.canonical_id AND op.org_id = kith_current_org()
           JOIN consent_grants g ON g.org_person_id = op.org_person_id
          WHERE rp.id = p_person
            AND g.purpose = kith_current_purpose()
            AND g.withdrawn_at IS NULL
            AND (g.expires_at IS NULL OR g.expires_at > now())
            AND g.categories && p_categories) $$
"""

TRUST_GUARD = r"""
CREATE FUNCTION public.kith_trust_guard() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF kith_is_platform() OR current_user <> 'kith_app' THEN  -- the service's role is the one held
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' AND (NEW.records_consent OR NEW.verifies_identity) THEN
    RAISE EXCEPTION 'only the platform grants an organisation trust' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'UPDATE' AND (NEW.records_consent, NEW.verifies_identity)
       IS DISTINCT FROM (OLD.records_consent, OLD.verifies_identity) THEN
    RAISE EXCEPTION 'only the platform grants an organisation trust' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$
"""

# Whatever the row-level policy lets an organisation's session write of its own grants, it may
# only record a grant (never card_presented: resolving a card records that, in the platform
# scope), confirm one it records only when the platform trusts it to record consent, and later
# only withdraw it. Everything else is the resident's, through the platform (portal, emailed link).
GRANT_GUARD = r"""
CREATE FUNCTION public.kith_grant_guard() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  -- The service's role is the one held to this; the tables' owner (migrations, an operator at
  -- psql) is not: it could switch the trigger off anyway.
  IF kith_is_platform() OR current_user <> 'kith_app' THEN
    RETURN NEW;
  END IF;
  IF NEW.method = 'card_presented' THEN
    RAISE EXCEPTION 'card_presented grants are recorded only by resolving a card'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF (NEW.id, NEW.org_id, NEW.org_person_id, NEW.purpose, NEW.categories, NEW.method, NEW.evidence,
        NEW.granted_by, NEW.granted_at, NEW.expires_at)
       IS DISTINCT FROM (OLD.id, OLD.org_id, OLD.org_person_id, OLD.purpose, OLD.categories, OLD.method,
        OLD.evidence, OLD.granted_by, OLD.granted_at, OLD.expires_at)
       OR (OLD.withdrawn_at IS NOT NULL AND NEW.withdrawn_at IS DISTINCT FROM OLD.withdrawn_at)
       OR (OLD.confirm_token_hash IS DISTINCT FROM NEW.confirm_token_hash AND NEW.confirm_token_hash IS NOT NULL)
       OR (OLD.confirmed_at IS NOT NULL AND NEW.confirmed_at IS DISTINCT FROM OLD.confirmed_at) THEN
      RAISE EXCEPTION 'an organisation may only withdraw a grant it recorded'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.confirmed_at IS NOT NULL OR NEW.confirmed_at IS NULL THEN
      RETURN NEW;
    END IF;
  ELSIF NEW.confirmed_at IS NULL THEN
    RETURN NEW;
  END IF;
  IF NEW.method = 'recorded_by_org' AND EXISTS (
       SELECT 1 FROM organisations o WHERE o.id = NEW.org_id AND o.records_consent) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'a grant this organisation records awaits the resident' USING ERRCODE = 'insufficient_privilege';
END $$
"""

UPGRADE = [
    "ALTER TABLE organisations ADD COLUMN records_consent boolean DEFAULT false NOT NULL",
    "ALTER TABLE organisations ADD COLUMN verifies_identity boolean DEFAULT false NOT NULL",
    TRUST_GUARD,
    "CREATE TRIGGER trust_guard BEFORE INSERT OR UPDATE ON organisations FOR EACH ROW "
    "EXECUTE FUNCTION kith_trust_guard()",
    "ALTER TABLE consent_grants ADD COLUMN confirmed_at timestamp with time zone",
    "ALTER TABLE consent_grants ADD COLUMN confirm_token_hash character varying(64)",
    "UPDATE consent_grants SET confirmed_at = granted_at",  # grants made before this stand
    "CREATE UNIQUE INDEX uq_consent_grants_confirm_token ON consent_grants (confirm_token_hash) "
    "WHERE confirm_token_hash IS NOT NULL",
    GRANT_GUARD,
    "CREATE TRIGGER grant_guard BEFORE INSERT OR UPDATE ON consent_grants FOR EACH ROW "
    "EXECUTE FUNCTION kith_grant_guard()",
    CONSENTED,
]

DOWNGRADE = [
    CONSENTED_BEFORE,
    "DROP TRIGGER grant_guard ON consent_grants",
    "DROP FUNCTION kith_grant_guard()",
    "DROP INDEX uq_consent_grants_confirm_token",
    "ALTER TABLE consent_grants DROP COLUMN confirm_token_hash",
    "ALTER TABLE consent_grants DROP COLUMN confirmed_at",
    "DROP TRIGGER trust_guard ON organisations",
    "DROP FUNCTION kith_trust_guard()",
    "ALTER TABLE organisations DROP COLUMN verifies_identity",
    "ALTER TABLE organisations DROP COLUMN records_consent",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
