"""Imports every domain's tables so that Base.metadata is complete (for Alembic and tests)."""

from __future__ import annotations


def import_all_models() -> None:
    from app.audit import models as _audit  # noqa: F401
    from app.consent import models as _consent  # noqa: F401
    from app.console import models as _console  # noqa: F401
    from app.db import models as _context  # noqa: F401
    from app.identity import models as _identity  # noqa: F401
    from app.imports import models as _imports  # noqa: F401
    from app.indicators import models as _indicators  # noqa: F401
    from app.interactions import models as _interactions  # noqa: F401
    from app.ledger import models as _ledger  # noqa: F401
    from app.mail import models as _mail  # noqa: F401
    from app.organisations import models as _organisations  # noqa: F401
    from app.portal import models as _portal  # noqa: F401
    from app.relationships import models as _relationships  # noqa: F401
    from app.webhooks import models as _webhooks  # noqa: F401
