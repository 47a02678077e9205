"""The ledger's way for the demo to seed a past: posted transfers stamped with the time they were
made, held to the rules a transfer made then would meet, and the platform's alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.auth.principal import Principal
from app.core.errors import ValidationFailed
from app.core.pagination import PageRequest
from app.ledger import service as ledger
from app.organisations import service as organisations


def dated(debit, credit, amount, at: datetime, **made) -> ledger.DatedTransfer:
    return ledger.DatedTransfer(uuid.uuid4(), "mint", amount, debit, credit, at, **made)


async def accounts(session):
    """The issuance account, and a new organisation's operating account (which may not go below
    zero)."""
    org = await organisations.create_organisation(
        session, Principal.operator(), name=f"History {uuid.uuid4().hex[:8]}", sector="social", kind="charity"
    )
    return (
        org.id,
        await ledger.platform_account(session, "issuance"),
        await ledger.operating_account(session, org.id),
    )


async def totals(session, account_id):
    view = ledger.account_view(await ledger.account(session, account_id, platform=True))
    return view["credits_posted"], view["debits_posted"]


class TestRecordHistory:
    async def test_records_posted_transfers_at_their_own_times(self, db_session):
        org_id, issuance, operating = await accounts(db_session)
        expiry = await ledger.platform_account(db_session, "expiry")
        before = await totals(db_session, issuance)
        january, february = datetime(2026, 1, 15, 9, tzinfo=UTC), datetime(2026, 2, 1, 9, tzinfo=UTC)
        # given out of order: taken in time order, the spend finds the mint before it
        spend = ledger.DatedTransfer(
            uuid.uuid4(),
            "redeem",
            4,
            operating,
            expiry,
            february,
            org_id=org_id,
            metadata={"description": "x"},
        )
        mint = dated(issuance, operating, 10, january)
        assert await ledger.record_history(db_session, Principal.operator(), [spend, mint]) == 2
        assert await totals(db_session, operating) == (10, 4)
        assert await totals(db_session, issuance) == (before[0], before[1] + 10)
        made = {
            t["amount"]: t
            for t in (
                await ledger.transfers_of(
                    db_session, Principal.operator(), operating, PageRequest(limit=10, after=None)
                )
            )[0]
        }
        assert made[10]["created_at"] == january and made[10]["status"] == "posted"
        assert made[4]["created_at"] == february and made[4]["metadata"] == {"description": "x"}

    async def test_a_flagged_account_never_goes_below_zero_along_the_way(self, db_session):
        _, issuance, operating = await accounts(db_session)
        expiry = await ledger.platform_account(db_session, "expiry")
        early = dated(operating, expiry, 5, datetime(2026, 2, 1, tzinfo=UTC))
        late = dated(issuance, operating, 10, datetime(2026, 3, 1, tzinfo=UTC))
        with pytest.raises(ledger.TransferRefused) as refused:
            await ledger.record_history(db_session, Principal.operator(), [early, late])
        assert refused.value.code == "exceeds_credits"
        assert await totals(db_session, operating) == (0, 0)  # all or nothing

    async def test_the_future_and_ids_made_before_are_refused(self, db_session):
        _, issuance, operating = await accounts(db_session)
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        with pytest.raises(ValidationFailed):
            await ledger.record_history(
                db_session, Principal.operator(), [dated(issuance, operating, 1, tomorrow)]
            )
        once = dated(issuance, operating, 1, datetime(2026, 1, 1, tzinfo=UTC))
        await ledger.record_history(db_session, Principal.operator(), [once])
        with pytest.raises(ledger.TransferRefused) as refused:
            await ledger.record_history(db_session, Principal.operator(), [once])
        assert refused.value.code == "transfer_exists"

    async def test_refused_outside_the_platform_scope(self, app):
        org_id = uuid.uuid4()
        t = dated(uuid.uuid4(), uuid.uuid4(), 5, datetime(2026, 1, 1, tzinfo=UTC))
        # an organisation's own transaction, even with the operator's principal
        with pytest.raises(ledger.PlatformOnly):
            async with app.state.db.session(org_id=org_id) as session:
                await ledger.record_history(session, Principal.operator(), [t])
        # the platform's transaction, but a caller that is not the platform
        with pytest.raises(ledger.PlatformOnly):
            async with app.state.db.session(platform=True) as session:
                await ledger.record_history(
                    session, Principal(org_id, None, frozenset({"ledger:write"})), [t]
                )
