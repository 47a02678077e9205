"""What one organisation can learn of another's knowledge of a person.

Revision ID: 2026_12_06_cross_org_privacy
Revises: 2026_12_06_audit_keyed
Create Date: 2026-12-06 22:00

- ``identity_decisions.answered``: what the organisation was told of a record it registered, which
  now depends on its own records alone (created, matched or review), beside ``status``, what the
  platform did (it may have linked the record silently to a person another organisation knows, or
  held it for the platform's reviewers). Nullable and without a default, so adding it rewrites
  nothing: NULL for decisions made before it was kept.
- ``identity_decisions`` is the platform's to read: a decision holds the score and the person found
  across organisations. An organisation still writes the decisions of its own records (in the
  statement that resolves them, which reads nothing back), and no longer reads any.
- ``relationships``: another organisation's record of a relationship is visible to an organisation
  (for the purpose it states) only if every person in it granted it ``relationships`` for that
  purpose. It was enough that either did: a resident's grant showed the reader whom else they knew,
  under the reader's own id for that other person, without that person's consent. An
  organisation still sees every relationship it recorded itself (both people its own).
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_06_cross_org_privacy"
down_revision = "2026_12_06_audit_keyed"
branch_labels = None
depends_on = None

UPGRADE = [
    "ALTER TABLE public.identity_decisions ADD COLUMN answered character varying(16)",
    "DROP POLICY identity_decisions_tenant ON public.identity_decisions",
    "CREATE POLICY identity_decisions_platform ON public.identity_decisions "
    "USING (public.kith_is_platform()) WITH CHECK (public.kith_is_platform())",
    "CREATE POLICY identity_decisions_recorded ON public.identity_decisions FOR INSERT "
    "WITH CHECK (org_id = public.kith_current_org())",
    "DROP POLICY relationships_via_consent ON public.relationships",
    "CREATE POLICY relationships_via_consent ON public.relationships FOR SELECT "
    "USING (((public.kith_current_purpose() IS NOT NULL) "
    "AND public.kith_consented(person_id, ARRAY['relationships'::text]) "
    "AND ((other_person_id IS NULL) OR public.kith_consented(other_person_id, ARRAY['relationships'::text]))))",
]

DOWNGRADE = [
    "DROP POLICY relationships_via_consent ON public.relationships",
    "CREATE POLICY relationships_via_consent ON public.relationships FOR SELECT "
    "USING (((public.kith_current_purpose() IS NOT NULL) "
    "AND (public.kith_consented(person_id, ARRAY['relationships'::text]) "
    "OR public.kith_consented(other_person_id, ARRAY['relationships'::text]))))",
    "DROP POLICY identity_decisions_recorded ON public.identity_decisions",
    "DROP POLICY identity_decisions_platform ON public.identity_decisions",
    "CREATE POLICY identity_decisions_tenant ON public.identity_decisions "
    "USING (((org_id = public.kith_current_org()) OR public.kith_is_platform())) "
    "WITH CHECK (((org_id = public.kith_current_org()) OR public.kith_is_platform()))",
    "ALTER TABLE public.identity_decisions DROP COLUMN answered",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
