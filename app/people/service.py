"""People: registering records of residents, reading the consented profile, asserting claims,
finding the organisation's own people."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.consent import service as consent_service
from app.consent.catalogue import ATTRIBUTE_CATEGORY
from app.core.errors import AppError, NotFound, ValidationFailed
from app.identity import repository as identity_repo
from app.identity import service as identity_service
from app.identity.matching import Profile, blocking_keys, probe_keys, score
from app.people.normalise import FieldError, name_key, normalise
from app.people.normalise import postcode as normalise_postcode
from app.people.schemas import AttributesIn, PersonIn, SearchIn

MAX_BATCH = 5000


class PersonNotFound(NotFound):
    code = "person_not_found"


class BatchTooLarge(AppError):
    status, code, title = 413, "batch_too_large", "Batch too large"


def _field_errors(errors: list[FieldError]) -> list[dict[str, str]]:
    return [{"field": e.field, "message": e.message} for e in errors]


def _submission(
    body: AttributesIn, external_ref: str | None
) -> tuple[identity_service.Submission | None, list]:
    raw = body.model_dump(exclude={"verified", "external_ref"}, exclude_none=True)
    attributes, errors = normalise(raw)
    missing_verified = [a for a in body.verified if a not in attributes.values]
    errors += [FieldError("verified", f"'{a}' is marked verified but not given") for a in missing_verified]
    if errors:
        return None, _field_errors(errors)
    return identity_service.Submission(attributes, external_ref, frozenset(body.verified)), []


async def register(
    session: AsyncSession, principal: Principal, body: PersonIn
) -> identity_service.Resolution:
    """Resolve one record to a person (created, matched or held for review) and store it."""
    submission, errors = _submission(body, body.external_ref)
    if submission is None:
        raise ValidationFailed(f"Invalid: {', '.join(e['field'] for e in errors)}.", errors=errors)
    if not submission.attributes.values:
        raise ValidationFailed(
            "Give at least one attribute.", errors=[{"field": "body", "message": "no attributes"}]
        )
    [resolution] = await identity_service.resolve(session, principal, [submission])
    return resolution


async def register_batch(
    session: AsyncSession, principal: Principal, items: list[Any]
) -> list[dict[str, Any]]:
    """Resolve up to 5,000 records; the valid ones are stored and each bad one is reported by index."""
    if len(items) > MAX_BATCH:
        raise BatchTooLarge(f"A batch holds at most {MAX_BATCH} records; this one has {len(items)}.")
    results: list[dict[str, Any] | None] = [None] * len(items)
    valid: list[tuple[int, identity_service.Submission]] = []
    for index, item in enumerate(items):
        try:
            body = PersonIn.model_validate(item)
        except ValidationError as exc:
            results[index] = {
                "index": index,
                "status": "rejected",
                "errors": [
                    {"field": ".".join(str(p) for p in e["loc"]) or "record", "message": e["msg"]}
                    for e in exc.errors()
                ],
            }
            continue
        submission, errors = _submission(body, body.external_ref)
        if submission is None or not submission.attributes.values:
            results[index] = {
                "index": index,
                "status": "rejected",
                "errors": errors or [{"field": "record", "message": "no attributes"}],
            }
            continue
        valid.append((index, submission))
    resolutions = await identity_service.resolve(session, principal, [s for _, s in valid]) if valid else []
    for (index, _), r in zip(valid, resolutions, strict=True):
        results[index] = {"index": index, "status": r.status, "person_id": r.person_id, "score": r.score}
    return results  # type: ignore[return-value]


async def _canonical(session: AsyncSession, org_person_id: uuid.UUID) -> uuid.UUID:
    found = await identity_repo.resolve_org_person(session, org_person_id)
    if found is None or found[1] == "erased":
        raise PersonNotFound(f"No person {org_person_id}.")
    return found[0]


def consolidate(claims: list[Any], own_org: uuid.UUID | None, categories: frozenset[str]) -> dict[str, dict]:
    """Per attribute, the value to show: resident-asserted or verified first, then the most recent;
    only the caller's own claims and those in categories the person lets it see."""
    best: dict[str, Any] = {}
    for c in claims:
        if c.org_id != own_org and ATTRIBUTE_CATEGORY[c.attribute] not in categories:
            continue
        rank = (c.source_sector == "resident" or c.verified, c.asserted_at)
        if c.attribute not in best or rank > best[c.attribute][0]:
            best[c.attribute] = (rank, c)
    return {
        attribute: {
            "value": c.value,
            "source_sector": c.source_sector,
            "asserted_at": c.asserted_at,
            "verified": c.verified,
        }
        for attribute, (_, c) in best.items()
    }


async def read(session: AsyncSession, principal: Principal, org_person_id: uuid.UUID, purpose: str) -> dict:
    """The consented view of a person: what the caller asserted itself, plus what others hold in
    the categories the person has granted it for ``purpose``."""
    consent_service.require_purpose(purpose)
    canonical = await _canonical(session, org_person_id)
    categories = await consent_service.visible_categories(session, principal, canonical, purpose)
    claims = await identity_repo.claims_of(session, canonical)
    refs = await session.execute(
        text(
            "SELECT DISTINCT r.external_ref FROM person_records r JOIN people p ON p.id = r.person_id "
            "WHERE p.canonical_id = :id AND r.org_id = :org AND r.external_ref IS NOT NULL ORDER BY 1"
        ),
        {"id": canonical, "org": principal.org_id},
    )
    return {
        "person_id": org_person_id,
        "purpose": purpose,
        "attributes": consolidate(claims, principal.org_id, categories),
        "external_refs": [r for (r,) in refs],
    }


async def assert_claims(
    session: AsyncSession, principal: Principal, org_person_id: uuid.UUID, body: AttributesIn
) -> list[str]:
    """Record new attribute values asserted by the caller (its claims replace its earlier ones)."""
    canonical = await _canonical(session, org_person_id)
    submission, errors = _submission(body, None)
    if submission is None:
        raise ValidationFailed(f"Invalid: {', '.join(e['field'] for e in errors)}.", errors=errors)
    changed = sorted(submission.attributes.values)
    if not changed:
        raise ValidationFailed(
            "Give at least one attribute to assert.", errors=[{"field": "body", "message": "no attributes"}]
        )
    record = await identity_repo.latest_record_of(session, principal.org_id, canonical)
    sector = await identity_repo.organisation_sector(session, principal.org_id)
    if record is None:  # known to the organisation only through a merge: give it a record
        record_id, person_id = uuid.uuid4(), canonical
        await identity_repo.insert_records(
            session, principal.org_id, [{"id": record_id, "person_id": person_id}]
        )
    else:
        record_id, person_id = record.id, record.person_id
    await identity_repo.upsert_claims(
        session,
        principal.org_id,
        sector,
        [
            (record_id, person_id, a, v, a in submission.verified)
            for a, v in submission.attributes.values.items()
        ],
    )
    values = await identity_repo.record_claim_values(session, record_id)
    profile = Profile(
        given=name_key(values.get("given_name")),
        family=name_key(values.get("family_name")),
        dob=identity_repo.as_date(values.get("date_of_birth")),
        postcode=(values.get("address") or {}).get("postcode"),
        email=values.get("email"),
        phone=values.get("phone"),
    )
    await identity_repo.update_records(
        session,
        [
            {
                "id": record_id,
                "m_given": profile.given,
                "m_family": profile.family,
                "m_dob": profile.dob,
                "m_postcode": profile.postcode,
                **blocking_keys(profile),
            }
        ],
    )
    audit.record(
        session, principal, "person.claims_asserted", "person", org_person_id, {"attributes": changed}
    )
    return changed


async def find_by_external_ref(session: AsyncSession, principal: Principal, external_ref: str) -> list[dict]:
    """The organisation's person with this reference of its own (at most one)."""
    rows = await session.execute(
        text(
            "SELECT r.external_ref, p.canonical_id FROM person_records r JOIN people p ON p.id = r.person_id "
            "WHERE r.org_id = :org AND r.external_ref = :ref AND p.status <> 'erased'"
        ),
        {"org": principal.org_id, "ref": external_ref},
    )
    found = rows.first()
    if found is None:
        return []
    ids = await identity_repo.org_ids_for(session, principal.org_id, [found.canonical_id])
    return [{"person_id": ids[found.canonical_id], "external_ref": found.external_ref}]


async def search(session: AsyncSession, principal: Principal, body: SearchIn) -> list[dict]:
    """The caller's own people most like the search, best first. Row-level security keeps the
    search to the organisation's own records: it never reaches the rest of the platform."""
    raw = body.model_dump(exclude={"limit", "postcode"}, exclude_none=True)
    attributes, errors = normalise(raw)
    try:
        pc = normalise_postcode("postcode", body.postcode) if body.postcode else None
    except FieldError as exc:
        errors.append(exc)
    if errors:
        raise ValidationFailed(
            f"Invalid: {', '.join(e.field for e in errors)}.", errors=_field_errors(errors)
        )
    v = attributes.values
    probe = Profile(
        name_key(v.get("given_name")),
        name_key(v.get("family_name")),
        v.get("date_of_birth"),
        pc,
        v.get("email"),
        v.get("phone"),
    )
    if probe == Profile():
        raise ValidationFailed(
            "Give at least one field to search by.", errors=[{"field": "body", "message": "no search fields"}]
        )
    probes = [(0, column, key) for column, key in probe_keys(probe)]
    found = await identity_repo.candidates(session, probes)
    if probe.family:  # a name-only search has no blocking key; look the surname up directly
        rows = await session.execute(
            text(
                "SELECT r.id, p.canonical_id, r.m_given, r.m_family, r.m_dob, r.m_postcode, r.bk_email, r.bk_phone "
                "FROM person_records r JOIN people p ON p.id = r.person_id "
                "WHERE r.org_id = :org AND r.m_family = :family AND p.status <> 'erased' LIMIT 500"
            ),
            {"org": principal.org_id, "family": probe.family},
        )
        found += [(0, rid, c, Profile(g, f, d, pcode, e, ph)) for rid, c, g, f, d, pcode, e, ph in rows]
    params = await identity_service.current_parameters(session)
    best: dict[uuid.UUID, float] = defaultdict(float)
    for _i, _rid, canonical, profile in found:
        s = score(probe, profile, params)
        if s.rule != "distinct":
            best[canonical] = max(best[canonical], s.probability)
    ranked = sorted(best.items(), key=lambda kv: -kv[1])[: body.limit]
    ids = await identity_repo.org_ids_for(session, principal.org_id, [c for c, _ in ranked])
    refs = await session.execute(
        text(
            "SELECT p.canonical_id, array_agg(DISTINCT r.external_ref) FILTER (WHERE r.external_ref IS NOT NULL) "
            "FROM person_records r JOIN people p ON p.id = r.person_id "
            "WHERE r.org_id = :org AND p.canonical_id = ANY(CAST(:ids AS uuid[])) GROUP BY p.canonical_id"
        ),
        {"org": principal.org_id, "ids": [c for c, _ in ranked]},
    )
    ref_map = {c: sorted(r or []) for c, r in refs}
    return [
        {"person_id": ids[c], "score": round(p, 6), "external_refs": ref_map.get(c, [])}
        for c, p in ranked
        if c in ids
    ]
