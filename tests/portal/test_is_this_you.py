"""The resident's "is this you?": a possible match across organisations put to the resident it may
be — only where the other record holds the email address they signed in with, verified by an
organisation trusted to verify identity (a record they could already sign in as), showing nothing
of it but the kind of organisation and how it compares. "No" keeps the two apart for good; "yes" goes
before the platform's reviewers, who decide (a proven address is not a proven person)."""

from __future__ import annotations

import re
import uuid

from tests.factories import org_with_token, unique_resident
from tests.portal.conftest import ORG_SCOPES, post_form, sign_in


async def _council_and_charity(platform, web, charity_email: str | None = "verified") -> dict:
    """A council's verified record of Margaret, and a charity's record of someone like her under
    another first name (her birthday, her address): the platform's to review. The charity's record
    carries her email address verified (``verified``), unverified, or not at all (None)."""
    _, council = await org_with_token(platform, ORG_SCOPES)
    _, charity = await org_with_token(platform, ORG_SCOPES, sector="social", kind="charity")
    her = unique_resident(verified=["email"], phone=None)
    assert (await web.post("/v1/people", json=her, headers=council)).status_code == 201
    other = {k: v for k, v in her.items() if k != "verified"} | {"given_name": "Rosalind"}
    if charity_email == "verified":
        other["verified"] = ["email"]
    elif charity_email is None:
        other.pop("email")
    made = await web.post("/v1/people", json=other, headers=charity)
    assert made.status_code == 201, made.text  # the charity is told nothing of the council's record
    return {"her": her, "charity_person": made.json()["person_id"]}


async def _sign_in_as_margaret(web, email: str) -> None:
    """Signed in with her address; where it opens more than one person (the charity's verified
    record too), she chooses herself."""
    await sign_in(web, email)
    home = await web.get("/portal")
    if home.status_code == 303 and home.headers["location"].startswith("/portal/choose"):
        names = re.findall(
            r'value="(\d+)"><label for="person-\d+">([^<]+)</label>', (await web.get("/portal/choose")).text
        )
        mine = next(index for index, name in names if name == "Margaret")
        chosen = await post_form(web, "/portal/choose", "/portal/choose", {"person": mine})
        assert chosen.status_code == 303, chosen.text


async def _question(owner_conn, charity_person: str) -> uuid.UUID | None:
    """The platform's review that the charity's record made."""
    return await owner_conn.fetchval(
        "SELECT d.id FROM identity_decisions d JOIN org_people op ON op.person_id = d.person_id "
        "WHERE op.org_person_id = $1 AND d.queue = 'platform' AND d.status = 'review'",
        uuid.UUID(charity_person),
    )


class TestIsThisYou:
    async def test_she_says_no_and_the_two_are_kept_apart_for_good(self, web, platform, owner_conn):
        pair = await _council_and_charity(platform, web)
        review = await _question(owner_conn, pair["charity_person"])
        assert review is not None, "the charity's record is a possible match for the platform to review"
        await _sign_in_as_margaret(web, pair["her"]["email"])
        page = (await web.get("/portal")).text
        assert "Is this you?" in page and "A charity or community group" in page
        assert "Rosalind" not in page, "nothing of the other record is shown"
        assert "First name: different from yours" in page and "Date of birth: the same as yours" in page
        answered = await post_form(web, "/portal", f"/portal/is-this-you/{review}", {"answer": "no"})
        assert answered.status_code == 303 and answered.headers["location"] == "/portal?notice=not-you"
        decided = await owner_conn.fetchrow(
            "SELECT review_outcome, decided_by FROM identity_decisions WHERE id = $1", review
        )
        assert decided["review_outcome"] == "distinct" and decided["decided_by"].startswith("resident:")
        assert "Is this you?" not in (await web.get("/portal")).text

    async def test_she_says_yes_and_the_platforms_reviewers_see_it(self, web, platform, owner_conn):
        pair = await _council_and_charity(platform, web)
        review = await _question(owner_conn, pair["charity_person"])
        await _sign_in_as_margaret(web, pair["her"]["email"])
        answered = await post_form(web, "/portal", f"/portal/is-this-you/{review}", {"answer": "yes"})
        assert answered.headers["location"] == "/portal?notice=its-you"
        row = await owner_conn.fetchrow(
            "SELECT review_outcome, explanation ->> 'resident_says' AS says, explanation ->> 'resident_record' AS "
            "record FROM identity_decisions WHERE id = $1",
            review,
        )
        assert row["review_outcome"] is None and row["says"] == "yes", "a reviewer still decides"
        assert row["record"], "the reviewer is told whose record holds her address"
        merged = await owner_conn.fetchval(
            "SELECT count(DISTINCT canonical_id) FROM people WHERE id IN "
            "(SELECT person_id FROM identity_decisions WHERE id = $1 UNION "
            " SELECT candidate_id FROM identity_decisions WHERE id = $1)",
            review,
        )
        assert merged == 2, "her word alone joins nothing"
        assert "Is this you?" not in (await web.get("/portal")).text, "asked once"

    async def test_not_asked_unless_the_other_record_holds_her_address_verified(
        self, web, platform, owner_conn
    ):
        for charity_email in (None, "unverified"):  # a partner's word alone asks nothing
            pair = await _council_and_charity(platform, web, charity_email=charity_email)
            review = await _question(owner_conn, pair["charity_person"])
            assert review is not None
            await _sign_in_as_margaret(web, pair["her"]["email"])
            assert "Is this you?" not in (await web.get("/portal")).text, charity_email
            if charity_email is None:
                await post_form(web, "/portal", "/portal/sign-out", {})
        refused = await post_form(web, "/portal", f"/portal/is-this-you/{review}", {"answer": "no"})
        assert refused.status_code == 404
        assert (
            await owner_conn.fetchval("SELECT review_outcome FROM identity_decisions WHERE id = $1", review)
            is None
        )
        assert re.search("not found|No question", refused.text, re.I)
