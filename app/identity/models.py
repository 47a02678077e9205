"""Identity resolution's own tables: the people records resolve to (``people``), each
organisation's id for a person (``org_people``), the records and what matching reads, decisions
(with their explanations), merges, parameters.

A *person* is one resident. Every organisation's record of a resident is a *person record*; its
attribute values are *claims*, each carrying its provenance (the record's source, when it was
asserted, whether it was verified). Merging two people never moves a row: the merged person points
at the one kept (``canonical_id``), so an unmerge restores everything exactly. Each organisation
sees a person only through its own opaque id.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import conv

from app.db.base import Base


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (
        CheckConstraint(
            "status IN ('active', 'provisional', 'erased')",
            name=conv("ck_people_ck_people_status"),  # as built: prefixed twice by the naming convention
        ),
        Index("ix_people_canonical", "canonical_id"),
        Index("ix_people_changed_at", "changed_at"),
        Index("ix_people_merged_into", "merged_into", postgresql_where=text("merged_into IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    canonical_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    merged_into: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("people.id"))
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Set when the resident objects to research: they are then left out of the indicators.
    research_objection_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the row last changed (a trigger sets it on every update): the indicator roll-up
    # re-derives only the residents something happened to since its last run.
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OrgPerson(Base):
    """An organisation's own stable, opaque id for a person."""

    __tablename__ = "org_people"
    __table_args__ = (
        UniqueConstraint("org_id", "person_id", name="uq_org_people_org_person"),
        Index("ix_org_people_canonical", "org_id", "canonical_id"),
        Index("ix_org_people_canonical_all", "canonical_id"),
    )

    org_person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("organisations.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))  # people.id (unchecked: decision 0001)
    canonical_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class MatchColumns:
    """The folded attributes and blocking keys of a record (``identity.service.match_columns``),
    kept on the record and on its ``person_match`` row."""

    m_given: Mapped[str | None] = mapped_column(Text)
    m_family: Mapped[str | None] = mapped_column(Text)
    m_dob: Mapped[date | None] = mapped_column(Date)
    m_postcode: Mapped[str | None] = mapped_column(Text)
    m_line: Mapped[str | None] = mapped_column(Text)  # house number and street, folded
    m_town: Mapped[str | None] = mapped_column(Text)
    m_uprn: Mapped[str | None] = mapped_column(Text)
    bk_dob_family: Mapped[str | None] = mapped_column(Text)
    bk_dob_given: Mapped[str | None] = mapped_column(Text)
    bk_names_area: Mapped[str | None] = mapped_column(Text)
    bk_email: Mapped[str | None] = mapped_column(Text)
    bk_phone: Mapped[str | None] = mapped_column(Text)
    bk_family_postcode: Mapped[str | None] = mapped_column(Text)
    bk_given_postcode: Mapped[str | None] = mapped_column(Text)
    bk_line_district: Mapped[str | None] = mapped_column(Text)


class PersonMatch(MatchColumns, Base):
    """What matching reads of one record, and nothing else: its organisation, its
    canonical person (moved by merges and unmerges), the folded attributes and the blocking keys,
    each key indexed. Written with the record, by the same statements; erased with it. No foreign
    key, as for decisions (docs/decisions/0001-unenforced-references.md)."""

    __tablename__ = "person_match"
    __table_args__ = tuple(
        Index(f"ix_person_match_{key}", key, postgresql_where=text(f"{key} IS NOT NULL"))
        for key in (
            "bk_dob_family",
            "bk_dob_given",
            "bk_email",
            "bk_names_area",
            "bk_phone",
            "bk_family_postcode",
            "bk_given_postcode",
            "bk_line_district",
        )
    )

    record_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)  # person_records.id
    org_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    canonical_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class IdentityDecision(Base):
    """How one submitted record was resolved, and why (per-attribute weights). No foreign keys: a
    batch's checks locked every person it named (docs/decisions/0001-unenforced-references.md)."""

    __tablename__ = "identity_decisions"
    __table_args__ = (
        Index(
            "ix_identity_decisions_pending",
            "created_at",
            postgresql_where=text("status = 'review' AND review_outcome IS NULL"),
        ),
        Index("ix_identity_decisions_record", "record_id"),
        # The reviewers' "different people", which no automatic merge overrides.
        Index(
            "ix_identity_decisions_distinct",
            "person_id",
            postgresql_where=text("review_outcome = 'distinct'"),
        ),
        # Merges awaiting their reviewers, looked up so that a pair is proposed once.
        Index(
            "ix_identity_decisions_proposed",
            "person_id",
            postgresql_where=text("method = 'merge_proposal' AND review_outcome IS NULL"),
        ),
        # Requests to undo a merge awaiting the platform's reviewers: one per organisation and merge.
        Index(
            "ix_identity_decisions_unmerge",
            "org_id",
            text("(explanation ->> 'merge_id')"),
            unique=True,
            postgresql_where=text("method = 'unmerge' AND review_outcome IS NULL"),
        ),
        CheckConstraint(
            "(status = 'review') = (queue IS NOT NULL) AND queue IN ('organisation', 'platform')",
            name=conv("ck_identity_decisions_queue"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    org_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    record_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True)
    )  # person_records.id (none: an undo)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))  # people.id
    candidate_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # people.id
    status: Mapped[str] = mapped_column(String(16))  # what the platform did: created | matched | review
    # What the organisation was told (of its own records only): created | matched | review; NULL for
    # decisions made before it was kept. Held for review and answered review: a possible match
    # among the organisation's own records; otherwise a review is the platform's (across them).
    answered: Mapped[str | None] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(24))  # probabilistic | external_ref | … | merge_proposal
    # Who reviews it, for a review: the organisation's own reviewers (its own records alone) or the
    # platform's (another organisation's records are involved).
    queue: Mapped[str | None] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float)
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    review_outcome: Mapped[str | None] = mapped_column(String(16))  # match | distinct
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PersonMerge(Base):
    __tablename__ = "person_merges"
    __table_args__ = (Index("ix_person_merges_merged", "merged_id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    keep_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("people.id"))
    merged_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("people.id"))
    reason: Mapped[str] = mapped_column(String(24))  # admin | review | automatic
    actor: Mapped[str] = mapped_column(Text)
    # The organisation on whose word alone it was made (its caseworker's review, an automatic merge
    # of its own records): it may undo it at once. NULL: the platform's (it decides an undo).
    org_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    undo_reason: Mapped[str | None] = mapped_column(Text)
    undone_by: Mapped[str | None] = mapped_column(Text)


class IdentityParameters(Base):
    """m and u probabilities estimated from the data; the newest adopted row is used."""

    __tablename__ = "identity_parameters"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    sample_pairs: Mapped[int] = mapped_column(BigInteger)
    # False: estimated but rejected (it agreed with the reviewers' labels less often than those in use).
    adopted: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    records: Mapped[int | None] = mapped_column(BigInteger)  # records held when it was estimated
    labels: Mapped[int | None] = mapped_column(BigInteger)  # reviewers' decisions then
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PersonRecord(MatchColumns, Base):
    """One organisation's (or the resident's own, org_id NULL) record of a person, with the folded
    attributes and blocking keys identity resolution matches on (matching itself reads them from
    ``person_match``, written beside the record)."""

    __tablename__ = "person_records"
    __table_args__ = (
        CheckConstraint(
            "source_sector IN ('public', 'social', 'commercial', 'resident')",
            name=conv("ck_person_records_ck_person_records_sector"),  # as built: prefixed twice
        ),
        Index("ix_person_records_person", "person_id"),
        Index("ix_person_records_updated_at", "updated_at"),
        # Resolution looks up the holders of a verified address or number by these.
        *(
            Index(
                f"ix_person_records_verified_{attribute}",
                text(f"(claims #>> '{{{attribute},value}}')"),
                postgresql_where=text(f"claims #>> '{{{attribute},verified}}' = 'true'"),
            )
            for attribute in ("email", "phone")
        ),
        Index(
            "uq_person_records_external_ref",
            "org_id",
            "external_ref",
            unique=True,
            postgresql_where=text("external_ref IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))  # people.id (unchecked: decision 0001)
    org_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("organisations.id"))
    external_ref: Mapped[str | None] = mapped_column(Text)
    source_sector: Mapped[str] = mapped_column(String(16))
    # {attribute: {"value": …, "verified": bool, "asserted_at": iso timestamp}}
    claims: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
