"""The resident's "is this you?": a possible match across organisations put to the resident it may
be — only where the other record carries the email address they signed in with, showing nothing of
it but the kind of organisation and how it compares. "No" keeps the two apart for good; "yes" goes
before the platform's reviewers, who decide (a proven address is not a proven person)."""

from __future__ import annotations

import re
import uuid

from tests.factories import org_with_token, unique_resident
from tests.portal.conftest import ORG_SCOPES, post_form, sign_in


async def _council_and_charity(platform, web, charity_has_her_email: bool = True) -> dict:
    """A council's verified record of Margaret, and a charity's record of someone like her under
    another first name (her birthday, her address): the platform's to review."""
    _, council = await org_with_token(platform, ORG_SCOPES)
    _, charity = await org_with_token(platform, ORG_SCOPES, sector="social", kind="charity")
    her = unique_resident(verified=["email"], phone=None)
    assert (await web.post("/v1/people", json=her, headers=council)).status_code == 201
    other = {k: v for k, v in her.items() if k != "verified"} | {"given_name": "Rosalind"}
    if not charity_has_her_email:
        other.pop("email")
    made = await web.post("/v1/people", json=other, headers=charity)
    assert made.status_code == 201, made.text  # the charity is told nothing of the council's record
    return {"her": her, "charity_person": made.json()["person_id"]}


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
        await sign_in(web, pair["her"]["email"])
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
        await sign_in(web, pair["her"]["email"])
        answered = await post_form(web, "/portal", f"/portal/is-this-you/{review}", {"answer": "yes"})
        assert answered.headers["location"] == "/portal?notice=its-you"
        row = await owner_conn.fetchrow(
            "SELECT review_outcome, explanation ->> 'resident_says' AS says FROM identity_decisions WHERE id = $1",
            review,
        )
        assert row["review_outcome"] is None and row["says"] == "yes", "a reviewer still decides"
        merged = await owner_conn.fetchval(
            "SELECT count(DISTINCT canonical_id) FROM people WHERE id IN "
            "(SELECT person_id FROM identity_decisions WHERE id = $1 UNION "
            " SELECT candidate_id FROM identity_decisions WHERE id = $1)",
            review,
        )
        assert merged == 2, "her word alone joins nothing"
        assert "Is this you?" not in (await web.get("/portal")).text, "asked once"

    async def test_not_asked_when_the_other_record_lacks_her_address_nor_answerable_by_anyone_else(
        self, web, platform, owner_conn
    ):
        pair = await _council_and_charity(platform, web, charity_has_her_email=False)
        review = await _question(owner_conn, pair["charity_person"])
        assert review is not None
        await sign_in(web, pair["her"]["email"])
        page = (await web.get("/portal")).text
        assert "Is this you?" not in page, "a name and birthday alone would tell a stranger someone is known"
        refused = await post_form(web, "/portal", f"/portal/is-this-you/{review}", {"answer": "no"})
        assert refused.status_code == 404
        assert (
            await owner_conn.fetchval("SELECT review_outcome FROM identity_decisions WHERE id = $1", review)
            is None
        )
        assert re.search("not found|No question", refused.text, re.I)
