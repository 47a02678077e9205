"""The ledger's background job: voiding holds whose timeout has passed."""

from __future__ import annotations

from app.core.config import Settings
from app.core.periodic import Job
from app.db.session import Database
from app.ledger import service as ledger

HOLDS_PER_TURN = 500


def jobs(db: Database, settings: Settings) -> list[Job]:
    """Timed-out holds voided every ``ledger_hold_check_seconds`` (a turn finding a full batch is
    followed by the next at once)."""

    async def void_timed_out_holds() -> bool:
        async with db.session(platform=True) as session:
            voided = await ledger.void_expired_holds(session, HOLDS_PER_TURN)
        return voided == HOLDS_PER_TURN

    return [
        Job("ledger hold timeouts", void_timed_out_holds, every=settings.ledger_hold_check_seconds, grace=5.0)
    ]
