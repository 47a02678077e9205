"""Rewards cards an organisation hands over: who issued a card, whether it is in use, and the PIN
only the resident knows.

Revision ID: 2026_12_07_cards_from_orgs
Revises: 2026_12_07_staff_sso
Create Date: 2026-12-07 17:00

- ``reward_cards.issued_by_org``: the organisation whose staff issued the card in the console
  (NULL: the resident in the portal, or the platform). That organisation has seen the card's code,
  so the code alone proves nothing (decision 0007): the card resolves nothing at the issuer, and
  elsewhere only with the PIN the resident chose.
- ``reward_cards.activated_at``: when the card began to work. A card an organisation issues waits
  for the resident to confirm it in the portal, choosing its PIN; confirming it retires the
  resident's earlier card. Cards issued before this revision were in use from their issue, and a
  card written without saying (the resident's, the platform's) is in use at once.
- ``reward_cards.pin_hash``, ``pin_failures``: the keyed hash of the PIN the resident chose for an
  organisation's card, and the wrong PINs given since the last right one: at the fifth the card
  stops until the resident chooses a new PIN in the portal (each wrong one is mailed to them).
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
        "ADD COLUMN issued_by_org uuid, ADD COLUMN activated_at timestamp with time zone DEFAULT now(), "
        "ADD COLUMN pin_hash text, ADD COLUMN pin_failures smallint DEFAULT 0 NOT NULL"
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
    # An organisation's card in use has the resident's PIN.
    op.execute(
        "ALTER TABLE public.reward_cards ADD CONSTRAINT ck_reward_cards_org_card_has_pin "
        "CHECK (issued_by_org IS NULL OR activated_at IS NULL OR pin_hash IS NOT NULL)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE public.reward_cards DROP CONSTRAINT ck_reward_cards_org_card_has_pin")
    op.execute("ALTER TABLE public.reward_cards DROP CONSTRAINT ck_reward_cards_waits_only_if_issued_by_org")
    op.execute("ALTER TABLE public.reward_cards DROP CONSTRAINT fk_reward_cards_issued_by_org_organisations")
    # An organisation's card is nothing without its PIN, which the older code cannot ask for.
    op.execute(
        "UPDATE public.reward_cards SET revoked_at = now() WHERE issued_by_org IS NOT NULL AND revoked_at IS NULL"
    )
    op.execute(
        "ALTER TABLE public.reward_cards DROP COLUMN pin_failures, DROP COLUMN pin_hash, DROP COLUMN activated_at, "
        "DROP COLUMN issued_by_org"
    )
