"""Residents' rights over their own data (see, download, correct, object, erase), above people,
consent and rewards: the portal and the platform's admin endpoints call them."""
