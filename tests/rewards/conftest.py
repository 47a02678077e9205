"""Rewards tests use the ledger tests' fixtures."""

from tests.ledger.conftest import admin  # noqa: F401
