"""Purposes a read may state, and the data categories a consent grant covers."""

from __future__ import annotations

PURPOSES: dict[str, str] = {
    "service_delivery": "Providing you with a service you asked for",
    "case_coordination": "Coordinating your support between the organisations helping you",
    "rewards": "Earning and spending community reward credits",
    "offers": "Telling you about offers from local businesses",
    "research": "Anonymous statistics about the community (community indicators)",
}

# Why a read was made, as the resident's "who looked" says it: the purposes a grant may name, and
# the platform's own review of possible matches (which no grant names: it decides whether two
# records are the same person at all).
READ_PURPOSES: dict[str, str] = {
    **PURPOSES,
    "identity_review": "Checking whether two records are the same person (Kith's own reviewers)",
}

CATEGORIES: dict[str, str] = {
    "identity": "Your name and date of birth",
    "contact": "Your email address and phone number",
    "address": "Your address, postcode and property reference (UPRN)",
    "interactions": "Your contacts with other organisations",
    "relationships": "Your relationships with people and organisations",
    "rewards": "Your reward credit balance and history",
}

# Which category each profile attribute belongs to.
ATTRIBUTE_CATEGORY: dict[str, str] = {
    "given_name": "identity",
    "family_name": "identity",
    "preferred_name": "identity",
    "date_of_birth": "identity",
    "email": "contact",
    "phone": "contact",
    "address": "address",
    "uprn": "address",
}
