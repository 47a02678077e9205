"""Parameter estimation: the matcher's m and u probabilities re-estimated from the records held,
adopted only where the reviewers' decisions say the estimate decides no worse; on a schedule."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.core.config import Settings
from app.db.session import platform_scope
from app.identity import repository as repo
from app.identity.matching import Parameters, Profile, estimate_parameters, label_agreement, probe_keys
from app.identity.service import current_parameters, forget_cached_parameters


@dataclass(frozen=True)
class Training:
    params: Parameters  # as estimated
    pairs: int  # candidate pairs they were estimated from
    labels: int  # reviewers' decisions they were judged on
    agreed: int  # of those, the decisions the estimate would have made itself
    agreed_before: int  # … and the parameters in use before
    adopted: bool  # the estimate is now in use (it agreed with the reviewers no less often)


async def train(
    session: AsyncSession, principal: Principal, sample: int = 2000, min_labels: int = 0
) -> Training:
    """Re-estimate m and u from the records held: u from random pairs of records, m by EM over the
    candidate pairs of ``sample`` random records, one session per blocking rule (see
    :func:`matching.estimate_parameters`), starting from the parameters in use. The estimate is
    adopted only if, on every decision the platform's and organisations' reviewers have made, it
    would have decided as they did at least as often as the parameters in use: training never
    makes matching worse by the only truth there is. ``min_labels``: adopted only if there are at
    least that many decisions to judge it by (the schedule's rule; an operator may judge alone)."""
    current = await current_parameters(session)
    async with platform_scope(session):
        rows = (
            await session.execute(
                text(
                    f"SELECT id, {repo.profile_columns('r')} FROM person_records r ORDER BY random() LIMIT :n"  # noqa: S608 (a constant)
                ),
                {"n": sample * 2},
            )
        ).all()
        profiles = {r.id: Profile(*r[1:]) for r in rows}
        probe_ids = list(profiles)[:sample]
        sessions = []
        for column, blocked in _BLOCKING_RULES.items():
            probes = [
                (i, c, key)
                for i, rid in enumerate(probe_ids)
                for c, key in probe_keys(profiles[rid])
                if c == column
            ]
            found = await repo.candidates(session, probes, platform=False)
            pairs = {
                (c.probe, c.record_id): (profiles[probe_ids[c.probe]], c.profile)
                for c in found
                if c.record_id != probe_ids[c.probe]
            }
            sessions.append((blocked, list(pairs.values())))
    # Each record against ten others drawn at random: u needs many pairs to resolve rare agreements.
    others = list(profiles.values())
    draw = random.Random(len(others))
    random_pairs = [(a, draw.choice(others)) for a in others for _ in range(10)] if len(others) > 1 else []
    # Seconds of arithmetic: in a thread, so that a server's requests are not held up meanwhile.
    params = await asyncio.to_thread(estimate_parameters, sessions, random_pairs, start=current)
    total = sum(len(p) for _, p in sessions)
    labels = await review_labels(session)
    threshold = session.info["settings"].match_threshold
    agreed, agreed_before = (
        label_agreement(params, labels, threshold),
        label_agreement(current, labels, threshold),
    )
    adopted = agreed >= agreed_before and len(labels) >= min_labels
    async with platform_scope(session):
        held = await session.scalar(text("SELECT count(*) FROM person_records"))
        # Kept rejected too: what it saw is what the schedule counts new records and labels from.
        await session.execute(
            text(
                "INSERT INTO identity_parameters (params, sample_pairs, adopted, records, labels) "
                "VALUES (CAST(:p AS jsonb), :n, :adopted, :records, :labels)"
            ),
            {
                "p": orjson.dumps(params.to_json()).decode(),
                "n": total,
                "adopted": adopted,
                "records": held,
                "labels": len(labels),
            },
        )
    if adopted:
        forget_cached_parameters()
    audit.record(
        session,
        principal,
        "identity.parameters_estimated" if adopted else "identity.parameters_rejected",
        "identity_parameters",
        None,
        {
            "candidate_pairs": total,
            "random_pairs": len(random_pairs),
            "labels": len(labels),
            "agreed": agreed,
            "agreed_before": agreed_before,
        },
    )
    return Training(params, total, len(labels), agreed, agreed_before, adopted)


async def retrain_if_due(session: AsyncSession, settings: Settings) -> Training | None:
    """Re-estimate the parameters (:func:`train`) if enough has arrived since the last estimate,
    adopted or not: ``identity_retrain_records`` new records, or ``identity_retrain_labels`` new
    reviewers' decisions. Adopted only with at least ``identity_retrain_labels`` decisions to judge
    it by: an estimate no reviewer's decision can check is never put in use unattended. One
    process at a time (the others skip)."""
    async with platform_scope(session):
        if not await session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _RETRAIN_LOCK}):
            return None
        last = (
            await session.execute(
                text("SELECT records, labels FROM identity_parameters ORDER BY id DESC LIMIT 1")
            )
        ).first()
        records = await session.scalar(text("SELECT count(*) FROM person_records"))
        labels = await session.scalar(
            text("SELECT count(*) FROM identity_decisions WHERE review_outcome IS NOT NULL")
        )
    seen_records, seen_labels = (last.records or 0, last.labels or 0) if last else (0, 0)
    if (
        records - seen_records < settings.identity_retrain_records
        and labels - seen_labels < settings.identity_retrain_labels
    ):
        return None
    return await train(session, _RETRAINING, min_labels=settings.identity_retrain_labels)


_RETRAINING = Principal.background("identity retraining")  # whom the worker's estimates are audited as
_RETRAIN_LOCK = 0x4B17_0023  # the advisory lock held by the one process retraining


async def review_labels(session: AsyncSession) -> list[tuple[dict[str, str | None], bool]]:
    """Every reviewer's decision, kept as a label: the comparison levels of the pair reviewed (as
    its explanation recorded them) and whether the reviewer said it was one person. A merge undone
    (an ``unmerge`` decision) compared no pair of records: it is a "different people" for the
    matcher's rules, not a label for its weights."""
    async with platform_scope(session):
        rows = await session.execute(
            text(
                "SELECT explanation -> 'attributes', review_outcome = 'match' FROM identity_decisions "
                "WHERE review_outcome IS NOT NULL AND explanation -> 'attributes' IS NOT NULL"
            )
        )
        return [
            ({attr: (found or {}).get("level") for attr, found in (attributes or {}).items()}, same)
            for attributes, same in rows
        ]


# Each blocking column, and the attributes it blocks on (left out of that EM session).
_BLOCKING_RULES: dict[str, frozenset[str]] = {
    "bk_dob_family": frozenset({"dob", "family"}),
    "bk_names_area": frozenset({"given", "family"}),
    "bk_email": frozenset({"email"}),
    "bk_phone": frozenset({"phone"}),
}
