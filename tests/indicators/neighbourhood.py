"""A small hand-built neighbourhood for indicator tests: areas, residents, organisations,
interactions, ties and ledger flows, written straight into the tables (as their owner) except the
ledger, which only its service writes. Every area code and postcode is new, so tests sharing the
database never count each other's residents."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime

import asyncpg

from app.auth.principal import Principal
from app.indicators import areas as areas_service
from app.ledger import service as ledger
from app.organisations import service as organisations

_serial = itertools.count(1)
_INWARD = "ABDEFGHJLNPQRSTUWXYZ"


def _code(prefix: str) -> str:
    return f"{prefix}{next(_serial):06d}"


def _postcode() -> str:
    n = next(_serial)
    return f"YO{n % 90 + 10} {n % 10}{_INWARD[n // 10 % 20]}{_INWARD[n // 200 % 20]}"


class Area:
    def __init__(self, ward: str, lsoa: str, msoa: str, postcode: str) -> None:
        self.ward, self.lsoa, self.msoa, self.postcode = ward, lsoa, msoa, postcode


class Neighbourhood:
    def __init__(self, app, owner: asyncpg.Connection) -> None:
        self.app = app
        self.owner = owner

    async def areas(self, count: int) -> list[Area]:
        """``count`` wards, each one LSOA in one MSOA, one postcode each — via the CSV import."""
        made = [Area(_code("E05"), _code("E01"), _code("E02"), "") for _ in range(count)]
        lines = ["pcds,osward,lsoa21cd,msoa21cd,osward_name"]
        for i, a in enumerate(made):
            a.postcode = _postcode()
            lines.append(f"{a.postcode},{a.ward},{a.lsoa},{a.msoa},Test ward {i}")
        async with self.app.state.db.session(platform=True) as session:
            report = await areas_service.import_lookup(session, lines)
        assert not report.rejected, report.rejected
        return made

    async def org(self, sector: str, area: Area | None = None) -> uuid.UUID:
        async with self.app.state.db.session(platform=True) as session:
            org = await organisations.create_organisation(
                session,
                Principal.operator(),
                name=f"{sector} {uuid.uuid4().hex[:6]}",
                sector=sector,
                kind={"public": "council", "social": "charity", "commercial": "business"}[sector],
                area_code=area.ward if area else None,
            )
        return org.id

    async def people(
        self,
        area: Area,
        n: int,
        *,
        registered: date = date(2025, 1, 1),
        objected: bool = False,
        erased: bool = False,
    ) -> list[uuid.UUID]:
        ids = [uuid.uuid4() for _ in range(n)]
        at = datetime(registered.year, registered.month, registered.day, 12, tzinfo=UTC)
        await self.owner.executemany(
            "INSERT INTO people (id, canonical_id, status, created_at, research_objection_at) VALUES ($1, $1, $2, $3, $4)",
            [(i, "erased" if erased else "active", at, at if objected else None) for i in ids],
        )
        await self.owner.executemany(
            "INSERT INTO person_records (id, person_id, org_id, m_postcode, source_sector, claims) "
            "VALUES ($1, $2, NULL, $3, 'resident', '{}')",
            [(uuid.uuid4(), i, None if erased else area.postcode) for i in ids],
        )
        return ids

    async def interact(
        self,
        people: list[uuid.UUID],
        org: uuid.UUID,
        at: datetime,
        kind: str = "visit",
        minutes: int | None = None,
    ) -> None:
        await self.owner.executemany(
            "INSERT INTO interactions (id, org_id, person_id, kind, occurred_at, duration_minutes) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            [(uuid.uuid4(), org, p, kind, at, minutes) for p in people],
        )

    async def tie(
        self, a: uuid.UUID, b: uuid.UUID, started: date = date(2025, 1, 1), org: uuid.UUID | None = None
    ) -> None:
        owner_org = org or await self.owner.fetchval("SELECT id FROM organisations LIMIT 1")
        await self.owner.execute(
            "INSERT INTO relationships (id, org_id, kind, type, person_id, other_person_id, started_on, evidence) "
            "VALUES ($1, $2, 'person_person', 'friend', $3, $4, $5, '{\"kind\": \"verbal\"}')",
            uuid.uuid4(),
            owner_org,
            a,
            b,
            started,
        )

    async def org_tie(self, a: uuid.UUID, b: uuid.UUID, started: date = date(2025, 1, 1)) -> None:
        await self.owner.execute(
            "INSERT INTO relationships (id, org_id, kind, type, organisation_id, other_organisation_id, started_on) "
            "VALUES ($1, $2, 'organisation_organisation', 'partner', $2, $3, $4)",
            uuid.uuid4(),
            a,
            b,
            started,
        )

    async def credits(self, debit: uuid.UUID, credit: uuid.UUID, amount: int, code: str) -> None:
        """A posted ledger transfer between two accounts, through the ledger's service."""
        async with self.app.state.db.session(platform=True) as session:
            await ledger.transfer(
                session,
                Principal.operator(),
                ledger.Transfer(
                    id=uuid.uuid4(),
                    code=code,
                    amount=amount,
                    debit_account_id=debit,
                    credit_account_id=credit,
                ),
            )

    async def operating(self, org: uuid.UUID) -> uuid.UUID:
        async with self.app.state.db.session(platform=True) as session:
            return await ledger.operating_account(session, org)

    async def wallet(self, person: uuid.UUID) -> uuid.UUID:
        async with self.app.state.db.session(platform=True) as session:
            return await ledger.wallet(session, person)

    async def issuance(self) -> uuid.UUID:
        async with self.app.state.db.session(platform=True) as session:
            return await ledger.platform_account(session, "issuance")

    async def refresh(self, full: bool = False, *, revise: bool = True):
        """Bring the roll-ups up to date and (``revise``) publish at once, as a scheduled revision
        would: the report of the roll-up's run."""
        from app.indicators import service

        # Nothing commits concurrently here, so the job need not look back before its mark.
        settings = self.app.state.settings.model_copy(update={"indicator_rollup_overlap_seconds": 0})
        async with self.app.state.db.session(platform=True) as session:
            report = await service.refresh(session, settings, full=full)
        if revise:
            async with self.app.state.db.session(platform=True) as session:
                await service.revise(session, settings)
        return report

    async def figures(self, area: str, period: str, *, full: bool = False) -> dict:
        """Raw (unpublished) figures: from the roll-ups, or by the full computation."""
        from app.indicators import service
        from app.indicators.periods import Period

        async with self.app.state.db.session(platform=True) as session:
            rows = await service.raw_figures(
                session, self.app.state.settings, area, [Period.parse(period)], full=full
            )
        return rows[period]

    async def stored(self, area: str, period: str) -> dict | None:
        row = await self.owner.fetchval(
            "SELECT parts FROM indicator_values WHERE area_code = $1 AND period = $2", area, period
        )
        import json

        return json.loads(row) if row else None

    async def join_ward(self, into: Area, other: Area) -> None:
        """Move ``other``'s LSOA (its one postcode) into ``into``'s ward and MSOA: a ward of two
        LSOAs. Its own ward and MSOA go."""
        o = self.owner
        await o.execute(
            "UPDATE postcodes SET ward = $1, msoa = $2 WHERE postcode = $3",
            into.ward,
            into.msoa,
            other.postcode,
        )
        await o.execute("DELETE FROM area_links WHERE lsoa = $1", other.lsoa)
        await o.execute("INSERT INTO area_links VALUES ($1, $2, $3)", into.ward, other.lsoa, into.msoa)
        await o.execute("DELETE FROM areas WHERE code = ANY($1::text[])", [other.ward, other.msoa])
        await o.execute("UPDATE indicator_state SET fingerprint = NULL WHERE name = 'rollup'")
        other.ward, other.msoa = into.ward, into.msoa
