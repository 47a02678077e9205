"""Rewards cards an organisation hands over: who issued a card, and whether it is in use.

Revision ID: 2026_12_07_cards_from_orgs
Revises: 2026_12_07_staff_sso
Create Date: 2026-12-07 17:00

- ``reward_cards.issued_by_org``: the organisation whose staff issued the card in the console
  (NULL: the resident in the portal, or the platform). That organisation knows the card's code, so
  the card resolves nothing there: no ``card_presented`` grant, no spending (decision 0007).
- ``reward_cards.activated_at``: when the card began to work. A card an organisation issues waits
  for the resident to confirm it in the portal unless the platform trusts the organisation to
  record consent; confirming it (or its issue, when it need not wait) revokes the resident's
  earlier card. Cards issued before this revision were in use from their issue.
"""

from __future__ import annotations

from alembic import op

revision = "2026_12_07_cards_from_orgs"
down_revision = "2026_12_07_staff_sso"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A card written without saying (the resident's, the platform's) works from its issue; only
    # an organisation's card is written waiting (activated_at NULL, explicitly).
    op.execute(
        "ALTER TABLE public.reward_cards "
        "ADD COLUMN issued_by_org uuid, ADD COLUMN activated_at timestamp with time zone DEFAULT now()"
    )
    op.execute("UPDATE public.reward_cards SET activated_at = created_at")
    op.execute(
        "ALTER TABLE public.reward_cards ADD CONSTRAINT fk_reward_cards_issued_by_org_organisations "
        "FOREIGN KEY (issued_by_org) REFERENCES public.organisations(id)"
    )
    # Only an organisation's card waits for the resident; the resident's own and the platform's work at once.
    op.execute(
        "ALTER TABLE public.reward_cards ADD CONSTRAINT ck_reward_cards_waits_only_if_issued_by_org "
        "CHECK (activated_at IS NOT NULL OR issued_by_org IS NOT NULL)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE public.reward_cards DROP CONSTRAINT ck_reward_cards_waits_only_if_issued_by_org")
    op.execute("ALTER TABLE public.reward_cards DROP CONSTRAINT fk_reward_cards_issued_by_org_organisations")
    # A card still waiting for its resident never worked: it stops being a card at all.
    op.execute("UPDATE public.reward_cards SET revoked_at = now() WHERE activated_at IS NULL AND revoked_at IS NULL")
    op.execute("ALTER TABLE public.reward_cards DROP COLUMN activated_at, DROP COLUMN issued_by_org")
