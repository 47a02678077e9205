"""A record submitted for resolution: its attributes as validated, its profile for matching, the
claims and match columns it is stored with, and what the pipeline learns of it on the way."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from app.identity import repository as repo
from app.identity.matching import Profile, Scored, blocking_keys
from app.identity.normalise import Attributes, address_keys, name_key


@dataclass
class Submission:
    """One validated record to resolve."""

    attributes: Attributes
    external_ref: str | None = None
    verified: frozenset[str] = frozenset()

    @property
    def profile(self) -> Profile:
        values = self.attributes.values
        address = values.get("address") or {}
        line, town = address_keys(address)
        return Profile(
            given=name_key(values.get("given_name")),
            family=name_key(values.get("family_name")),
            dob=values.get("date_of_birth"),
            postcode=address.get("postcode"),
            email=values.get("email"),
            phone=values.get("phone"),
            line=line,
            town=town,
            uprn=values.get("uprn"),
        )


# The method (and the reason told) of a record whose external_ref names a record of someone else.
EXTERNAL_REF_CONFLICT = "external_ref_conflict"


@dataclass
class Work:
    """A submission on its way through the pipeline, with what each step decides of it."""

    submission: Submission
    profile: Profile
    keys: dict[str, str | None] = field(default_factory=dict)  # the record's blocking keys
    record_id: uuid.UUID | None = None
    stored: bool = False  # the record exists already (its external_ref was posted before)
    old_claims: dict[str, Any] = field(default_factory=dict)
    new_person: bool = False
    probes: set[tuple[str, str]] = field(default_factory=set)
    canonical_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None  # the person the record belongs to
    status: str = "created"  # what the platform did: created | matched | review
    answer: str = "created"  # what the organisation is told: created | matched | review
    method: str = "probabilistic"
    candidate_id: uuid.UUID | None = None
    scored: Scored | None = None
    decision_id: uuid.UUID | None = None
    merged: list[uuid.UUID] = field(default_factory=list)  # people this record proposes to merge in


def claims_of(submission: Submission, asserted_at: str) -> dict[str, dict[str, Any]]:
    """The submission's claims as a record keeps them, each asserted at ``asserted_at``."""
    return {
        attribute: {"value": value, "verified": attribute in submission.verified, "asserted_at": asserted_at}
        for attribute, value in submission.attributes.values.items()
    }


def match_columns(claims: dict[str, Any]) -> dict[str, Any]:
    """The folded attributes and blocking keys of a record, from its claims."""
    return profile_columns(claims_profile(claims))


def claims_profile(claims: dict[str, Any]) -> Profile:
    """A stored record's profile, from its claims."""

    def value(attribute: str) -> Any:
        return (claims.get(attribute) or {}).get("value")

    address = value("address") or {}
    line, town = address_keys(address)
    return Profile(
        given=name_key(value("given_name")),
        family=name_key(value("family_name")),
        dob=repo.as_date(value("date_of_birth")),
        postcode=address.get("postcode"),
        email=value("email"),
        phone=value("phone"),
        line=line,
        town=town,
        uprn=value("uprn"),
    )


def profile_columns(profile: Profile, keys: dict[str, str | None] | None = None) -> dict[str, Any]:
    """A profile's match columns: the folded attributes and the blocking keys (``keys``: the
    profile's :func:`blocking_keys`, where the caller has them already)."""
    return {
        "m_given": profile.given,
        "m_family": profile.family,
        "m_dob": profile.dob,
        "m_postcode": profile.postcode,
        "m_line": profile.line,
        "m_town": profile.town,
        "m_uprn": profile.uprn,
        **(keys or blocking_keys(profile)),
    }
