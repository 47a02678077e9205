"""The demo neighbourhood as a description: its wards, its organisations, how its residents behave.

Four wards of the bundled postcode lookup, made to differ: **Riverside** resilient (residents use
organisations of every sector, volunteer, know people across the town, spend their credits in the
ward), **Northgate** brittle (many know no one and see only one public service, the few who use
more keep to one sector, few volunteer, credits leak out), Market Hill and Eastfield in between.
The numbers here are tuned so that every ward publishes all ten indicators for every full month
with room to spare (tests/demo/test_demo.py holds the margins).
"""

from __future__ import annotations

from dataclasses import dataclass

DEMO_RESIDENT_EMAIL = "demo.resident@example.org"
DEMO_RESIDENT_REF = "DEMO-RESIDENT"
MARKER = "Riverside Borough Council"
# Staff who sign in to the console (/console) with a code from /dev/outbox: email → (organisation, role).
DEMO_STAFF = {
    "caseworker@riverside-foodbank.example.org": ("Riverside Food Bank", "caseworker"),
    "admin@riverside-council.example.org": (MARKER, "org_admin"),
}
SECTORS = ("public", "social", "commercial")


@dataclass(frozen=True)
class Ward:
    name: str
    code: str
    share: float  # of the residents
    isolated: float  # residents who know no one and see one organisation at most
    home: tuple[float, float, float]  # chance a resident's own sector is public, social, commercial
    repertoire: tuple[int, int]  # organisations the others use
    mix: float  # chance each further organisation is of another sector than their own
    local: float  # chance an organisation is based in the resident's own ward
    active: float  # chance of any contact in a month
    visits: tuple[int, int]  # contacts in an active month
    volunteers: float  # residents who volunteer
    volunteer_away: float  # of them, those who volunteer in another ward
    friends: float  # friendships per resident who knows anyone
    friends_away: float  # of them, with people of other wards
    spend_local: float  # chance a resident spends credits in their own ward
    pass_on: float  # of its businesses' takings, what they pass on to the ward's pools each month
    lifelines: tuple[tuple[str, int], ...] = ()  # where the isolated and most others turn


WARDS = (
    Ward(
        "Riverside",
        "E05900001",
        share=0.30,
        isolated=0.08,
        home=(0.34, 0.33, 0.33),
        repertoire=(3, 6),
        mix=0.75,
        local=0.5,
        active=0.8,
        visits=(2, 6),
        volunteers=0.24,
        volunteer_away=0.05,
        friends=2.6,
        friends_away=0.7,
        spend_local=0.85,
        pass_on=0.35,
        lifelines=(("Riverside Health Centre", 3), (MARKER, 2), ("St Mary's Church", 1)),
    ),
    Ward(
        "Northgate",
        "E05900002",
        share=0.25,
        isolated=0.45,
        home=(0.5, 0.25, 0.25),
        repertoire=(1, 3),
        mix=0.15,
        local=0.6,
        active=0.6,
        visits=(1, 3),
        volunteers=0.16,
        volunteer_away=0.2,
        friends=0.5,
        friends_away=0.1,
        spend_local=0.55,
        pass_on=0.05,
        lifelines=(
            ("Northgate Medical Centre", 10),
            ("Jobcentre Plus", 6),
            ("Northgate Academy", 3),
            ("Northgate Family Hub", 1),
        ),
    ),
    Ward(
        "Market Hill",
        "E05900003",
        share=0.25,
        isolated=0.18,
        home=(0.34, 0.33, 0.33),
        repertoire=(2, 4),
        mix=0.5,
        local=0.6,
        active=0.7,
        visits=(1, 5),
        volunteers=0.12,
        volunteer_away=0.3,
        friends=1.4,
        friends_away=0.4,
        spend_local=0.6,
        pass_on=0.25,
        lifelines=(("Market Hill Library", 2), ("Hill Street Pharmacy", 2), ("Citizens Advice", 1)),
    ),
    Ward(
        "Eastfield",
        "E05900004",
        share=0.20,
        isolated=0.16,
        home=(0.34, 0.33, 0.33),
        repertoire=(2, 4),
        mix=0.5,
        local=0.55,
        active=0.7,
        visits=(1, 5),
        volunteers=0.13,
        volunteer_away=0.3,
        friends=1.5,
        friends_away=0.4,
        spend_local=0.6,
        pass_on=0.25,
        lifelines=(
            ("Eastfield Housing Office", 2),
            ("Eastfield Mosque", 1),
            ("Eastfield Carers' Network", 1),
        ),
    ),
)


@dataclass(frozen=True)
class Organisation:
    name: str
    sector: str
    kind: str
    ward: int  # index in WARDS
    volunteers: int = 0  # how many of the ward's volunteers it draws (0: takes none, keeps no pool)
    pull: int = 1  # how strongly a business draws shoppers from other wards


ORGANISATIONS = (
    Organisation(MARKER, "public", "council", 0, volunteers=2),
    Organisation("Northgate Medical Centre", "public", "nhs", 1, volunteers=3),
    Organisation("Riverside Health Centre", "public", "nhs", 0, volunteers=2),
    Organisation("St Anne's Primary School", "public", "school", 0, volunteers=2),
    Organisation("Northgate Academy", "public", "school", 1, volunteers=3),
    Organisation("Market Hill Library", "public", "council", 2, volunteers=3),
    Organisation("Eastfield Housing Office", "public", "housing", 3, volunteers=1),
    Organisation("Neighbourhood Policing Team", "public", "police", 2, volunteers=1),
    Organisation("Jobcentre Plus", "public", "council", 1),
    Organisation("Riverside Food Bank", "social", "charity", 0, volunteers=3),
    Organisation("Riverside Community Garden", "social", "community_group", 0, volunteers=3),
    Organisation("Riverside Men's Shed", "social", "community_group", 0, volunteers=2),
    Organisation("Age Concern Riverside", "social", "charity", 0, volunteers=2),
    Organisation("St Mary's Church", "social", "faith_group", 0, volunteers=2),
    Organisation("Riverside Youth Club", "social", "community_group", 0, volunteers=2),
    Organisation("Repair Café", "social", "social_enterprise", 0, volunteers=2),
    Organisation("Market Hill Credit Union", "social", "social_enterprise", 2, volunteers=2),
    Organisation("Market Hill Tenants' Association", "social", "community_group", 2, volunteers=2),
    Organisation("Eastfield Mosque", "social", "faith_group", 3, volunteers=3),
    Organisation("Eastfield Carers' Network", "social", "charity", 3, volunteers=3),
    Organisation("Eastfield Football Club", "social", "community_group", 3, volunteers=2),
    Organisation("Citizens Advice", "social", "charity", 2, volunteers=3),
    Organisation("Northgate Community Centre", "social", "community_group", 1, volunteers=3),
    Organisation("The Riverside Café", "commercial", "business", 0, pull=2),
    Organisation("Riverside Bakery", "commercial", "business", 0),
    Organisation("Hill Street Pharmacy", "commercial", "business", 2),
    Organisation("Market Hill Market", "commercial", "market", 2, pull=3),
    Organisation("Patel's Grocers", "commercial", "business", 2),
    Organisation("The Kings Head", "commercial", "business", 2),
    Organisation("Bookshop on the Hill", "commercial", "business", 2),
    Organisation("Market Hill Hardware", "commercial", "business", 2),
    Organisation("Eastfield Barbers", "commercial", "business", 3),
    Organisation("Eastfield Launderette", "commercial", "business", 3),
    Organisation("Corner Café Eastfield", "commercial", "business", 3),
    Organisation("Northgate Superstore", "commercial", "business", 1, pull=10),
    Organisation("Northgate Bookmakers", "commercial", "business", 1, pull=3),
    Organisation("Riverside Bike Workshop", "commercial", "business", 0),
    Organisation("Green Grocer Riverside", "commercial", "business", 0),
    Organisation("Eastfield Fitness", "commercial", "business", 3),
    Organisation("Market Hill Cinema", "commercial", "business", 2, pull=2),
    Organisation("Northgate Family Hub", "public", "council", 1, volunteers=3),
    Organisation("Eastfield Primary School", "public", "school", 3, volunteers=2),
    Organisation("Northgate Food Pantry", "social", "charity", 1, volunteers=3),
    Organisation("Northgate Boxing Club", "social", "community_group", 1, volunteers=3),
    Organisation("Northgate Tenants' Group", "social", "community_group", 1, volunteers=3),
    Organisation("Eastfield Allotment Society", "social", "community_group", 3, volunteers=2),
    Organisation("Northgate Chippy", "commercial", "business", 1),
    Organisation("Northgate Newsagent", "commercial", "business", 1),
    Organisation("Northgate Pharmacy", "commercial", "business", 1),
    Organisation("Eastfield Takeaway", "commercial", "business", 3),
)

# Partnerships the organisations declare (organisation–organisation relationships). The public
# bodies keep to their own network (and Northgate's to each other); the other wards' social
# economy has built links across the sectors.
PARTNERSHIPS = (
    *((MARKER, o.name, "partner") for o in ORGANISATIONS if o.sector == "public" and o.name != MARKER),
    ("Northgate Medical Centre", "Riverside Health Centre", "referral_route"),
    ("Northgate Medical Centre", "Jobcentre Plus", "referral_route"),
    ("Northgate Medical Centre", "Northgate Academy", "partner"),
    ("Northgate Medical Centre", "Northgate Family Hub", "partner"),
    ("Northgate Academy", "Northgate Family Hub", "partner"),
    ("Jobcentre Plus", "Northgate Family Hub", "partner"),
    ("Jobcentre Plus", "Eastfield Housing Office", "referral_route"),
    ("Neighbourhood Policing Team", "Eastfield Housing Office", "partner"),
    ("Northgate Academy", "St Anne's Primary School", "partner"),
    ("Eastfield Primary School", "St Anne's Primary School", "partner"),
    ("Northgate Community Centre", "Northgate Food Pantry", "partner"),
    ("Northgate Community Centre", "Northgate Boxing Club", "partner"),
    ("Northgate Tenants' Group", "Northgate Community Centre", "partner"),
    ("Northgate Superstore", "Northgate Pharmacy", "partner"),
    ("Riverside Health Centre", "Age Concern Riverside", "referral_route"),
    ("Riverside Health Centre", "Riverside Community Garden", "referral_route"),
    ("Riverside Health Centre", "Riverside Men's Shed", "referral_route"),
    ("St Anne's Primary School", "Riverside Youth Club", "partner"),
    (MARKER, "Riverside Food Bank", "funder"),
    (MARKER, "Riverside Youth Club", "funder"),
    (MARKER, "Citizens Advice", "funder"),
    ("Riverside Food Bank", "Green Grocer Riverside", "partner"),
    ("Riverside Food Bank", "Riverside Bakery", "partner"),
    ("Riverside Food Bank", "Jobcentre Plus", "referral_route"),
    ("Repair Café", "Riverside Bike Workshop", "partner"),
    ("St Mary's Church", "The Riverside Café", "partner"),
    ("Age Concern Riverside", "The Riverside Café", "partner"),
    ("Riverside Community Garden", "Green Grocer Riverside", "partner"),
    ("Citizens Advice", "Market Hill Credit Union", "referral_route"),
    ("Citizens Advice", "Jobcentre Plus", "referral_route"),
    ("Citizens Advice", "Eastfield Housing Office", "referral_route"),
    ("Market Hill Credit Union", "Market Hill Market", "partner"),
    ("Market Hill Tenants' Association", "Patel's Grocers", "partner"),
    ("Market Hill Library", "Bookshop on the Hill", "partner"),
    ("Market Hill Library", "Market Hill Tenants' Association", "partner"),
    ("Eastfield Carers' Network", "Eastfield Housing Office", "referral_route"),
    ("Eastfield Carers' Network", "Hill Street Pharmacy", "partner"),
    ("Eastfield Football Club", "Eastfield Fitness", "partner"),
    ("Eastfield Mosque", "Corner Café Eastfield", "partner"),
    ("Eastfield Allotment Society", "Eastfield Primary School", "partner"),
    ("Northgate Food Pantry", "Northgate Superstore", "funder"),
    ("Northgate Food Pantry", "Northgate Boxing Club", "partner"),
    ("Northgate Tenants' Group", "Northgate Food Pantry", "partner"),
    ("Northgate Superstore", "Northgate Newsagent", "partner"),
    ("Northgate Superstore", "Northgate Chippy", "partner"),
    ("Northgate Bookmakers", "Northgate Chippy", "partner"),
    ("Jobcentre Plus", "Northgate Academy", "partner"),
    ("Northgate Medical Centre", "Eastfield Housing Office", "referral_route"),
    ("Northgate Medical Centre", "Northgate Community Centre", "referral_route"),
    ("Northgate Medical Centre", "Northgate Pharmacy", "partner"),
    ("Northgate Medical Centre", "Age Concern Riverside", "referral_route"),
    ("Jobcentre Plus", "Market Hill Credit Union", "referral_route"),
    ("Northgate Family Hub", "Northgate Food Pantry", "referral_route"),
    ("Northgate Academy", "Northgate Boxing Club", "partner"),
    (MARKER, "Market Hill Market", "partner"),
    (MARKER, "Eastfield Mosque", "partner"),
    ("Northgate Superstore", "Riverside Food Bank", "funder"),
    ("Northgate Tenants' Group", "Northgate Boxing Club", "partner"),
    ("Northgate Bookmakers", "Northgate Superstore", "partner"),
    ("Northgate Newsagent", "Northgate Chippy", "partner"),
    ("Northgate Pharmacy", "Northgate Newsagent", "partner"),
    ("Northgate Bookmakers", "Northgate Newsagent", "partner"),
    ("Northgate Bookmakers", "Northgate Pharmacy", "partner"),
    ("Northgate Chippy", "Northgate Pharmacy", "partner"),
    ("Jobcentre Plus", "Neighbourhood Policing Team", "partner"),
    ("Northgate Medical Centre", "Neighbourhood Policing Team", "partner"),
    ("Northgate Family Hub", "St Anne's Primary School", "partner"),
    ("Northgate Family Hub", "Riverside Health Centre", "partner"),
    ("Northgate Academy", "Eastfield Primary School", "partner"),
    ("Northgate Academy", "Eastfield Housing Office", "partner"),
    ("Northgate Family Hub", "Eastfield Housing Office", "partner"),
    # Northgate's public services refer on to its voluntary groups; few residents follow.
    ("Jobcentre Plus", "Northgate Community Centre", "referral_route"),
    ("Jobcentre Plus", "Northgate Food Pantry", "referral_route"),
    ("Northgate Academy", "Northgate Community Centre", "partner"),
    ("Northgate Family Hub", "Northgate Community Centre", "partner"),
    ("Northgate Family Hub", "Northgate Tenants' Group", "partner"),
    ("Northgate Medical Centre", "Northgate Food Pantry", "referral_route"),
    ("Northgate Family Hub", "Northgate Pharmacy", "partner"),
    ("Northgate Academy", "Northgate Superstore", "partner"),
    ("Jobcentre Plus", "Northgate Tenants' Group", "referral_route"),
    (MARKER, "Northgate Community Centre", "funder"),
    (MARKER, "Northgate Food Pantry", "funder"),
)

# What kind of contact each sector has with residents, and how often.
KINDS = {
    "public": (("service_contact", 5), ("visit", 3), ("referral", 1)),
    "social": (("event", 4), ("service_contact", 3), ("visit", 2)),
    "commercial": (("purchase", 7), ("visit", 2)),
}
SPENT_ON = {
    "The Riverside Café": "Coffee and cake",
    "Riverside Bakery": "A loaf and buns",
    "Northgate Superstore": "Weekly shop",
    "Market Hill Market": "Fruit and vegetables",
    "Market Hill Cinema": "Cinema ticket",
    "Eastfield Barbers": "Haircut",
}

# The demo's API clients: role → (organisation, scopes, platform admin?).
CLIENTS = {
    "platform": (MARKER, "admin", True),
    "council": (
        MARKER,
        "people:read people:write consent:read consent:write interactions:read interactions:write "
        "relationships:read relationships:write ledger:read ledger:write rewards:earn indicators:read "
        "webhooks:manage",
        False,
    ),
    "charity": (
        "Riverside Food Bank",
        "people:read people:write consent:read consent:write interactions:read interactions:write "
        "relationships:read relationships:write rewards:earn ledger:read",
        False,
    ),
    "business": ("The Riverside Café", "people:read interactions:write rewards:redeem ledger:read", False),
    "analyst": (MARKER, "indicators:read", False),
}
