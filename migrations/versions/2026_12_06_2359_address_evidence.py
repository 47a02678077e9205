"""The address as evidence: house number and street, town and UPRN kept for matching, and a
blocking key on the house; the reviewers' "different people" indexed for automatic merges.

Revision ID: 2026_12_06_address_evidence
Revises: 2026_12_06_platform_writes
Create Date: 2026-12-06 23:59

Matching compared the postcode alone: a postcode mistyped lost the address's evidence, and a pair
whose names and date of birth were both corrupted was never compared. person_records and
person_match gain the folded house number and street (``m_line``: "2/14|pk rd" for "Flat 2, 14 Park Road"), the folded town
(``m_town``) and the UPRN (``m_uprn``), and the key ``bk_line_district`` (the house in its postcode
district; indexed on person_match). Existing rows are filled from their address and UPRN claims
by the fold below, which is the service's (``people.normalise.address_line_key``) as of this
revision.
"""

from __future__ import annotations

import json
import unicodedata

from alembic import op
from sqlalchemy import text

revision = "2026_12_06_address_evidence"
down_revision = "2026_12_06_platform_writes"
branch_labels = None
depends_on = None

COLUMNS = ("m_line", "m_town", "m_uprn", "bk_line_district")
TABLES = ("person_records", "person_match")
BATCH = 5000

_STREET_WORDS = {
    "street": "st", "road": "rd", "avenue": "ave", "lane": "ln", "drive": "dr", "close": "cl",
    "crescent": "cres", "place": "pl", "gardens": "gdns", "court": "ct", "terrace": "ter",
    "grove": "gr", "square": "sq", "way": "way", "walk": "wlk", "mews": "mews", "park": "pk",
}  # fmt: skip


def _fold(value: str) -> str:
    if value.isascii():
        return value.lower()
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _line_key(line1: str | None, line2: str | None) -> str | None:
    text_ = " ".join(part for part in (line1, line2) if part)
    if not text_:
        return None
    words = "".join(ch if ch.isalnum() else " " for ch in _fold(text_)).split()
    if not words or (len(words) >= 2 and words[0] in ("po", "p") and "box" in words[:3]):
        return None
    numbers = [i for i, w in enumerate(words) if any(c.isdigit() for c in w)]
    street = [_STREET_WORDS.get(w, w) for w in words[(numbers[-1] if numbers else -1) + 1 :]]
    if not street:
        return None
    return f"{'/'.join(words[i] for i in numbers)}|{' '.join(street)}"


def upgrade() -> None:
    for table in TABLES:
        for column in COLUMNS:
            op.execute(f"ALTER TABLE public.{table} ADD COLUMN {column} text")
    op.execute(
        "CREATE INDEX ix_person_match_bk_line_district ON public.person_match USING btree (bk_line_district) "
        "WHERE (bk_line_district IS NOT NULL)"
    )
    # The reviewers' "different people", which an automatic merge of fragments must not override.
    op.execute(
        "CREATE INDEX ix_identity_decisions_distinct ON public.identity_decisions USING btree (person_id) "
        "WHERE (review_outcome = 'distinct')"
    )
    conn = op.get_bind()
    # The owner is held to these tables' row-level security too (FORCE): lifted for the backfill.
    for table in TABLES:
        op.execute(f"ALTER TABLE public.{table} NO FORCE ROW LEVEL SECURITY")
    last = None
    while True:
        rows = conn.execute(
            text(
                "SELECT id, claims #> '{address,value}', claims #>> '{uprn,value}', m_postcode FROM public.person_records "
                "WHERE (claims ? 'address' OR claims ? 'uprn') AND (CAST(:last AS uuid) IS NULL OR id > CAST(:last AS uuid)) "
                "ORDER BY id LIMIT :n"
            ),
            {"last": last, "n": BATCH},
        ).all()
        if not rows:
            break
        last = str(rows[-1][0])
        values = []
        for rid, address, uprn, postcode in rows:
            address = address or {}
            line = _line_key(address.get("line1"), address.get("line2"))
            town = _fold(address["town"]) if address.get("town") else None
            district = postcode.split(" ")[0] if postcode else None
            key = f"{line}|{district}" if line and district and line[0] != "|" else None
            values.append({"id": str(rid), "line": line, "town": town, "uprn": uprn, "key": key})
        for table, id_column in (("person_records", "id"), ("person_match", "record_id")):
            conn.execute(
                text(
                    f"UPDATE public.{table} t SET m_line = v.line, m_town = v.town, m_uprn = v.uprn, "
                    "bk_line_district = v.key FROM jsonb_to_recordset(CAST(:rows AS jsonb)) "
                    f"AS v(id uuid, line text, town text, uprn text, key text) WHERE t.{id_column} = v.id"
                ),
                {"rows": _json(values)},
            )
    for table in TABLES:
        op.execute(f"ALTER TABLE public.{table} FORCE ROW LEVEL SECURITY")


def _json(rows: list[dict]) -> str:
    return json.dumps(rows)


def downgrade() -> None:
    op.execute("DROP INDEX public.ix_identity_decisions_distinct")
    op.execute("DROP INDEX public.ix_person_match_bk_line_district")
    for table in TABLES:
        for column in COLUMNS:
            op.execute(f"ALTER TABLE public.{table} DROP COLUMN {column}")
