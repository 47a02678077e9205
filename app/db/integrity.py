"""``kith db check``: what the schema itself cannot promise.

Several references to people are deliberately not foreign keys (the batch pipeline writes records
and their people in one statement without row locks on ``people``: docs/decisions/), and the ledger
keeps each account's totals beside the transfers that make them. This module looks for what could
go wrong because of that: rows that point at a person, record, account or organisation that does
not exist, and ledger totals that disagree with the transfers or break the ledger's invariants.

It reads every row, in platform scope as the tables' owner, so it is an operator's check (and CI's,
after the test suite), not something a request runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

#: (table, column, referenced table, referenced column): references the database does not enforce.
#: A NULL is never an orphan (erasure de-links interactions, say).
UNCHECKED_REFERENCES: tuple[tuple[str, str, str, str], ...] = (
    ("people", "canonical_id", "people", "id"),
    ("org_people", "person_id", "people", "id"),
    ("org_people", "canonical_id", "people", "id"),
    ("person_records", "person_id", "people", "id"),
    ("person_match", "record_id", "person_records", "id"),
    ("person_match", "canonical_id", "people", "id"),
    ("person_match", "org_id", "organisations", "id"),
    ("identity_decisions", "record_id", "person_records", "id"),
    ("identity_decisions", "person_id", "people", "id"),
    ("identity_decisions", "candidate_id", "people", "id"),
    ("identity_decisions", "org_id", "organisations", "id"),
    ("interactions", "person_id", "people", "id"),
    ("interactions", "counterpart_org_id", "organisations", "id"),
    ("relationships", "person_id", "people", "id"),
    ("relationships", "other_person_id", "people", "id"),
    ("access_log", "person_id", "people", "id"),
    ("access_log", "org_person_id", "org_people", "org_person_id"),
    ("access_log", "org_person_id", "people", "id"),
    ("access_log", "org_id", "organisations", "id"),
    ("audit_log", "org_id", "organisations", "id"),
    ("indicator_residents", "person_id", "people", "id"),
    ("indicator_residents", "canonical_id", "people", "id"),
    ("indicator_activity", "person_id", "people", "id"),
    ("indicator_activity", "org_id", "organisations", "id"),
    ("webhook_deliveries", "event_id", "outbox_events", "event_id"),
)

#: Each query returns the offending rows' ids (as text), at most a few of them, and how many there are.
LEDGER_CHECKS: dict[str, str] = {
    # Double entry: every credit is someone's debit, posted and pending alike.
    "ledger: total debits equal total credits": """
        SELECT CASE WHEN coalesce(sum(debits_posted), 0) = coalesce(sum(credits_posted), 0)
                     AND coalesce(sum(debits_pending), 0) = coalesce(sum(credits_pending), 0) THEN NULL
               ELSE format('posted %s/%s, pending %s/%s', sum(debits_posted), sum(credits_posted),
                           sum(debits_pending), sum(credits_pending)) END AS id
          FROM ledger_accounts
    """,
    # An account flagged debits_must_not_exceed_credits never goes below zero, holds included.
    "ledger: no flagged account overdrawn": """
        SELECT id::text FROM ledger_accounts
         WHERE debits_must_not_exceed_credits AND debits_posted + debits_pending > credits_posted
    """,
    # Each account's totals are what its transfers add up to: single and post transfers are posted;
    # a pending transfer counts as pending until a post or void names it.
    "ledger: account totals equal their transfers": """
        WITH open_holds AS (
            SELECT t.debit_account_id, t.credit_account_id, t.amount FROM ledger_transfers t
             WHERE t.phase = 'pending'
               AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)
        ),
        entries (account, dp, cp, dq, cq) AS (
            SELECT debit_account_id, amount, 0, 0, 0 FROM ledger_transfers WHERE phase IN ('single', 'post')
            UNION ALL
            SELECT credit_account_id, 0, amount, 0, 0 FROM ledger_transfers WHERE phase IN ('single', 'post')
            UNION ALL
            SELECT debit_account_id, 0, 0, amount, 0 FROM open_holds
            UNION ALL
            SELECT credit_account_id, 0, 0, 0, amount FROM open_holds
        ),
        totals AS (
            SELECT account, sum(dp) AS dp, sum(cp) AS cp, sum(dq) AS dq, sum(cq) AS cq
              FROM entries GROUP BY account
        )
        SELECT a.id::text FROM ledger_accounts a LEFT JOIN totals t ON t.account = a.id
         WHERE (a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending)
               IS DISTINCT FROM (coalesce(t.dp, 0), coalesce(t.cp, 0), coalesce(t.dq, 0), coalesce(t.cq, 0))
    """,
    # A pending transfer is resolved at most once, and only by a post or a void.
    "ledger: pending transfers resolved once": """
        SELECT pending_id::text FROM ledger_transfers WHERE pending_id IS NOT NULL
         GROUP BY pending_id HAVING count(*) > 1
        UNION ALL
        SELECT r.id::text FROM ledger_transfers r JOIN ledger_transfers p ON p.id = r.pending_id
         WHERE p.phase <> 'pending' OR r.phase NOT IN ('post', 'void')
    """,
}

EXAMPLES = 5


@dataclass
class Finding:
    check: str
    count: int
    examples: list[str] = field(default_factory=list)


#: Which rows a reference applies to, where not all: a read by the platform's reviewers names the
#: person by the platform's id (the organisation hosting the reviewer has none of its own).
REFERENCE_ROWS: dict[tuple[str, str, str], str] = {
    ("access_log", "org_person_id", "org_people"): "x.action <> 'review'",
    ("access_log", "org_person_id", "people"): "x.action = 'review'",
}


async def check(session: AsyncSession) -> list[Finding]:
    """Every check that found something (an empty list: the database holds together)."""
    findings: list[Finding] = []
    for table, column, target, target_column in UNCHECKED_REFERENCES:
        rows_of = REFERENCE_ROWS.get((table, column, target), "true")
        rows = (
            await session.execute(
                text(
                    f"SELECT x.{column}::text AS id FROM {table} x WHERE x.{column} IS NOT NULL AND {rows_of} "  # noqa: S608
                    f"AND NOT EXISTS (SELECT 1 FROM {target} t WHERE t.{target_column} = x.{column})"
                )
            )
        ).scalars()
        _add(findings, f"orphans: {table}.{column} -> {target}.{target_column}", list(rows))
    for name, sql in LEDGER_CHECKS.items():
        rows = [r for r in (await session.execute(text(sql))).scalars() if r is not None]
        _add(findings, name, rows)
    return findings


def _add(findings: list[Finding], name: str, ids: list[str]) -> None:
    if ids:
        findings.append(Finding(name, len(ids), sorted(set(ids))[:EXAMPLES]))
