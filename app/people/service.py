"""People: registering records of residents, reading the consented profile, asserting claims,
finding the organisation's own people."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.consent import access as consent_access
from app.consent import service as consent_service
from app.consent.catalogue import ATTRIBUTE_CATEGORY
from app.core.batch import BatchTooLarge
from app.core.errors import Forbidden, ValidationFailed
from app.db.session import Database, platform_scope
from app.identity import repository as identity_repo
from app.identity import service as identity_service
from app.identity import submissions as identity_submissions
from app.identity.matching import Profile, probe_keys, score
from app.identity.normalise import FieldError, address_keys, name_key, normalise
from app.identity.normalise import postcode as normalise_postcode
from app.organisations import service as organisations_service
from app.people.schemas import AttributesIn, PersonIn, SearchIn
from app.webhooks import service as events

MAX_BATCH = 5000
_YIELD_EVERY = 100  # records validated between chances for queued statements to move on


def _field_errors(errors: list[FieldError]) -> list[dict[str, str]]:
    return [{"field": e.field, "message": e.message} for e in errors]


async def _verifies(session: AsyncSession, principal: Principal) -> bool:
    """Whether the caller's ``verified`` is believed: only an organisation the platform trusts to
    verify identity. Anyone else's is kept as an ordinary claim, so that no partner can make an
    address the resident's sign-in address, or a key that links people, by saying it checked it."""
    return (await organisations_service.trust(session, principal.org_id)).verifies_identity


def _submission(
    body: AttributesIn, external_ref: str | None, verifying: bool = True, *, dropping: bool = True
) -> tuple[identity_submissions.Submission | None, list, list]:
    """The record as identity resolution takes it; or None and the errors. ``dropping``: a bad
    optional value (a phone the validator refuses, an implausible date of birth) is left out and
    answered as a warning, the rest of the record kept (SPEC §2), as a registration does; else it
    is an error, as for a correction, which asks for that very value."""
    raw = body.model_dump(exclude={"verified", "external_ref", "consent"}, exclude_none=True)
    attributes, errors, dropped = normalise(raw)
    if not dropping:
        errors, dropped = errors + dropped, []
    gone = {e.field for e in dropped}
    missing_verified = [a for a in body.verified if a not in attributes.values and a not in gone]
    errors += [FieldError("verified", f"'{a}' is marked verified but not given") for a in missing_verified]
    if errors:
        return None, _field_errors(errors), []
    verified = frozenset(a for a in body.verified if a not in gone) if verifying else frozenset()
    return identity_submissions.Submission(attributes, external_ref, verified), [], _field_errors(dropped)


async def register(
    session: AsyncSession, principal: Principal, body: PersonIn
) -> tuple[identity_service.Resolution, dict[str, Any] | None, list[dict[str, str]]]:
    """Resolve one record to a person and store it, with the consent the organisation captured at
    the same time, if any. The answer speaks only of the organisation's own records: created (new
    to it), matched (one of its people) or review (possibly one of them)."""
    verifying = bool(body.verified) and await _verifies(session, principal)
    submission, errors, warnings = _submission(body, body.external_ref, verifying)
    if submission is None:
        raise ValidationFailed(f"Invalid: {', '.join(e['field'] for e in errors)}.", errors=errors)
    if not submission.attributes.values:
        raise ValidationFailed(
            "Give at least one attribute.", errors=[{"field": "body", "message": "no attributes"}]
        )
    [resolution] = await identity_service.resolve(session, principal, [submission])
    grant = None
    if body.consent is not None:
        if "consent:write" not in principal.scopes:
            raise _consent_scope_needed()
        grant, _ = await consent_service.grant_by_org(session, principal, resolution.person_id, body.consent)
    return resolution, grant, warnings


async def register_batch(
    session: AsyncSession, principal: Principal, items: list[Any], context: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Resolve up to 5,000 records; the valid ones are stored and each bad one is reported by index.
    ``context``: the validation context (``nul_check_context`` of the body the items came from)."""
    if len(items) > MAX_BATCH:
        raise BatchTooLarge(f"A batch holds at most {MAX_BATCH} records; this one has {len(items)}.")
    if "consent:write" not in principal.scopes and any(
        isinstance(item, dict) and item.get("consent") is not None for item in items
    ):
        raise _consent_scope_needed()
    results: list[dict[str, Any] | None] = [None] * len(items)
    now = datetime.now(UTC)
    verifying = await _verifies(session, principal)
    valid: list[tuple[int, identity_submissions.Submission, Any]] = []
    dropped: dict[int, list[dict[str, str]]] = {}  # values left out of a record, by its index

    async def validated() -> AsyncIterator[list[identity_submissions.Submission]]:
        """The valid submissions a chunk at a time; the bad ones answered by index."""
        chunk: list[identity_submissions.Submission] = []
        for index in range(len(items)):
            if index % identity_service.CHUNK == 0 and index:
                yield chunk
                chunk = []
            elif index % _YIELD_EVERY == 0:
                await asyncio.sleep(0)  # lets the chunks' lookups queued so far move on meanwhile
            try:
                body = PersonIn.model_validate(items[index], context=context)
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
            submission, errors, warnings = _submission(body, body.external_ref, verifying)
            if warnings:
                dropped[index] = warnings
            if submission is None or not submission.attributes.values:
                results[index] = {
                    "index": index,
                    "status": "rejected",
                    "errors": errors or [{"field": "record", "message": "no attributes"}],
                }
                continue
            if body.consent is not None:
                grant = body.consent
                try:  # a grant the batch cannot record rejects its record alone
                    consent_service.check_grant(grant.purpose, list(grant.categories), grant.expires_at, now)
                except consent_service.InvalidGrant as exc:
                    results[index] = {
                        "index": index,
                        "status": "rejected",
                        "errors": [{**e, "field": f"consent.{e['field']}"} for e in exc.errors or ()],
                    }
                    continue
            valid.append((index, submission, body.consent))
            chunk.append(submission)
        yield chunk

    # Validated a chunk at a time as resolution asks for them, so that PostgreSQL looks up the
    # candidates of one chunk while the next is validated.
    many = len(items) > identity_service.CHUNK
    resolutions = await identity_service.resolve_chunks(
        session, principal, validated(), many=many, refs=_likely_refs(items)
    )
    consenting = []
    for (index, _, consent), r in zip(valid, resolutions, strict=True):
        results[index] = {"index": index, "status": r.status, "person_id": r.person_id}
        if r.reason:
            results[index]["reason"] = r.reason
        if index in dropped:
            results[index]["warnings"] = dropped[index]  # type: ignore[index]
        if consent is not None:
            consenting.append((index, r.person_id, consent))
    granted = await consent_service.grants_by_org(session, principal, [(p, c) for _, p, c in consenting])
    for (index, _, _), consent_id in zip(consenting, granted, strict=True):
        results[index]["consent_id"] = consent_id  # type: ignore[index]
    return results  # type: ignore[return-value]


def _consent_scope_needed() -> Forbidden:
    return Forbidden(
        "Recording consent with a registration needs the scope 'consent:write' as well.",
        code="insufficient_scope",
    )


def _likely_refs(items: list[Any]) -> list[str]:
    """The external refs a batch's records carry, as validation will leave them (trimmed), read
    before it: any that could not be sent as text (a NUL, a lone surrogate) or that validation will
    refuse are left out (a valid one missed is looked up after validation instead)."""
    refs = []
    for item in items:
        ref = item.get("external_ref") if isinstance(item, dict) else None
        if isinstance(ref, str) and 0 < len(ref := ref.strip()) <= 100 and "\x00" not in ref:
            try:
                ref.encode()
            except UnicodeEncodeError:
                continue
            refs.append(ref)
    return refs


def pick(records: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, dict]:
    """Per attribute, the value to show of the claims given (``records``: each record's source
    sector and claims): resident-asserted or verified first, then the most recent."""
    best: dict[str, tuple] = {}
    for sector, claims in records:
        for attribute, claim in claims.items():
            rank = (sector == "resident" or claim["verified"], claim["asserted_at"])
            if attribute not in best or rank > best[attribute][0]:
                best[attribute] = (rank, sector, claim)
    return {
        attribute: {
            "value": claim["value"],
            "source_sector": sector,
            "asserted_at": claim["asserted_at"],
            "verified": claim["verified"],
        }
        for attribute, (_, sector, claim) in best.items()
    }


async def read(db: Database, principal: Principal, org_person_id: uuid.UUID, purpose: str) -> dict:
    """The consented view of a person: what the caller asserted itself, plus what others hold in
    the categories the person has granted it for ``purpose``; access-logged in the same statement
    (:func:`consent_access.profile_read`)."""
    records = await consent_access.profile_read(db, principal, org_person_id, purpose)
    return {
        "person_id": org_person_id,
        "purpose": purpose,
        "attributes": pick((r["source_sector"], r["claims"]) for r in records),
        "external_refs": sorted({r["external_ref"] for r in records if r["external_ref"]}),
    }


def _new_claims(
    body: AttributesIn, verb: str, *, verifying: bool = True
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The attributes a PATCH-like body asserts, and their claims stamped now; 422 if none or bad.
    ``verifying``: whether the asserter may mark values verified (an organisation that checked
    them may; a resident's own word is a resident claim, not a verification)."""
    submission, errors, _ = _submission(body, None, verifying, dropping=False)
    if submission is None:
        raise ValidationFailed(f"Invalid: {', '.join(e['field'] for e in errors)}.", errors=errors)
    if not submission.attributes.values:
        raise ValidationFailed(
            f"Give at least one attribute to {verb}.", errors=[{"field": "body", "message": "no attributes"}]
        )
    now = datetime.now(UTC).isoformat()
    claims = {
        a: {"value": v, "verified": verifying and a in submission.verified, "asserted_at": now}
        for a, v in submission.attributes.values.items()
    }
    return sorted(claims), claims


async def assert_claims(
    session: AsyncSession, principal: Principal, org_person_id: uuid.UUID, body: AttributesIn
) -> list[str]:
    """Record new attribute values asserted by the caller (its claims replace its earlier ones)."""
    canonical = await identity_service.person_of_org(session, org_person_id)
    changed, claims = _new_claims(
        body, "assert", verifying=bool(body.verified) and await _verifies(session, principal)
    )
    await identity_service.write_claims(session, principal.org_id, canonical, claims)
    audit.record(
        session, principal, "person.claims_asserted", "person", org_person_id, {"attributes": changed}
    )
    await tell_organisations(session, canonical, changed, exclude=principal.org_id)
    return changed


async def assert_resident_claims(
    session: AsyncSession, resident: Principal, canonical: uuid.UUID, body: AttributesIn
) -> list[str]:
    """Record values the resident asserts about themselves: kept on a record of the resident's own,
    they win over every organisation's (rectification). The caller is in a platform scope."""
    changed, claims = _new_claims(body, "correct", verifying=False)
    await identity_service.write_claims(session, None, canonical, claims)
    audit.record(session, resident, "person.rectified", "person", canonical, {"attributes": changed})
    await tell_organisations(session, canonical, changed, exclude=None)
    return changed


async def register_resident(session: AsyncSession, body: AttributesIn) -> uuid.UUID:
    """A resident with no record yet registers themselves (in the portal): a new person holding only
    their own claims. No matching: proving an email address must not link anyone to records that
    organisations hold about someone else. The caller is in a platform scope."""
    changed, claims = _new_claims(body, "register", verifying=False)
    person_id = await identity_service.register_resident(session, claims)
    audit.record(
        session,
        Principal.resident(person_id),
        "person.registered",
        "person",
        person_id,
        {"attributes": changed, "by": "resident"},
    )
    return person_id


async def tell_organisations(
    session: AsyncSession, canonical: uuid.UUID, attributes: list[str], exclude: uuid.UUID | None
) -> None:
    """Queue ``person.updated`` for every other organisation the person lets see the changed
    attributes' categories (payloads name the attributes, never their values)."""
    async with platform_scope(session):
        receivers = await consent_access.organisations_to_tell(
            session, canonical, {ATTRIBUTE_CATEGORY[a] for a in attributes}, exclude
        )
    await events.record_events(
        session,
        "person.updated",
        {org: {"person_id": str(their_id), "attributes": attributes} for org, their_id in receivers.items()},
    )


async def ids_by_external_refs(
    session: AsyncSession, principal: Principal, external_refs: list[str]
) -> dict[str, uuid.UUID]:
    """The organisation's own id for each of its people named by one of these references of its
    own (those it has; an erased person has none)."""
    rows = (
        await session.execute(
            text(
                "SELECT r.external_ref, p.canonical_id FROM person_records r JOIN people p ON p.id = r.person_id "
                "WHERE r.org_id = :org AND r.external_ref = ANY(CAST(:refs AS text[])) AND p.status <> 'erased'"
            ),
            {"org": principal.org_id, "refs": list(set(external_refs))},
        )
    ).all()
    ids = await identity_repo.org_ids_for(session, principal.org_id, list({r.canonical_id for r in rows}))
    return {r.external_ref: ids[r.canonical_id] for r in rows if r.canonical_id in ids}


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


async def summaries(
    session: AsyncSession, principal: Principal, org_person_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """What tells the organisation's own people apart in a list, from its own records only: name,
    year of birth, postcode district and its own reference(s). No one else's claims, no access
    log: nothing beyond what the organisation itself holds."""
    out: dict[uuid.UUID, dict[str, Any]] = {}
    for row in await identity_repo.own_records_of(session, principal.org_id, org_person_ids):  # type: ignore[arg-type]
        claims = {k: (v or {}).get("value") for k, v in (row.claims or {}).items()}
        entry = out.setdefault(row.org_person_id, {"name": None, "born": None, "district": None, "refs": []})
        if entry["name"] is None and (claims.get("given_name") or claims.get("family_name")):
            entry["name"] = " ".join(str(claims[k]) for k in ("given_name", "family_name") if claims.get(k))
        if entry["born"] is None and claims.get("date_of_birth"):
            entry["born"] = str(claims["date_of_birth"])[:4]
        postcode = (
            (claims.get("address") or {}).get("postcode") if isinstance(claims.get("address"), dict) else None
        )
        if entry["district"] is None and postcode:
            entry["district"] = str(postcode).split()[0]
        if row.external_ref and row.external_ref not in entry["refs"]:
            entry["refs"].append(row.external_ref)
    return out


async def search(session: AsyncSession, principal: Principal, body: SearchIn) -> list[dict]:
    """The caller's own people most like the search, best first. Row-level security keeps the
    search to the organisation's own records: it never reaches the rest of the platform."""
    raw = body.model_dump(exclude={"limit", "postcode"}, exclude_none=True)
    attributes, errors, dropped = normalise(raw)
    errors += dropped  # a search asks for these very values: a bad one is an error
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
        *address_keys(v.get("address")),
        v.get("uprn"),
    )
    if probe == Profile():
        raise ValidationFailed(
            "Give at least one field to search by.", errors=[{"field": "body", "message": "no search fields"}]
        )
    probes = [(0, column, key) for column, key in probe_keys(probe)]
    found = [
        (c.record_id, c.canonical_id, c.profile)
        for c in await identity_repo.candidates(session, probes, platform=False)
    ]
    if probe.family:  # a name-only search has no blocking key; look the surname up directly
        # Among the organisation's own surnames, those a typo away too (Jaro–Winkler, as matching
        # compares names): "Hargreavse" finds Hargreaves.
        families = await identity_repo.family_names_of_org(session, principal.org_id)  # type: ignore[arg-type]
        close = [
            name
            for name, _, _ in process.extract(
                probe.family, families, scorer=JaroWinkler.similarity, score_cutoff=0.88, limit=10
            )
        ]
        rows = await session.execute(
            text(
                f"SELECT r.id, p.canonical_id, {identity_repo.profile_columns('r')} "  # noqa: S608 (a constant)
                "FROM person_records r JOIN people p ON p.id = r.person_id "
                "WHERE r.org_id = :org AND r.m_family = ANY(CAST(:families AS text[])) AND p.status <> 'erased' "
                "LIMIT 500"
            ),
            {"org": principal.org_id, "families": sorted({probe.family, *close})},
        )
        found += [(rid, c, Profile(*columns)) for rid, c, *columns in rows]
    params = await identity_service.current_parameters(session)
    best: dict[uuid.UUID, float] = defaultdict(float)
    for _rid, canonical, profile in found:
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


async def person(session: AsyncSession, person_id: uuid.UUID) -> Any:
    """The person's row (canonical id, status, registered, research objection), or None."""
    return (
        await session.execute(
            text(
                "SELECT id, canonical_id, status, created_at, research_objection_at FROM people WHERE id = :id"
            ),
            {"id": person_id},
        )
    ).first()


async def ids_of(session: AsyncSession, canonical: uuid.UUID) -> list[uuid.UUID]:
    """Every id of the person: the canonical one and those merged into it."""
    rows = await session.execute(text("SELECT id FROM people WHERE canonical_id = :p"), {"p": canonical})
    return list(rows.scalars())
