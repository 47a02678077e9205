"""The demo neighbourhood, small: seeded into a database of its own, its analyst reads every ward's
indicators, and its demo resident signs in to the portal."""

from __future__ import annotations

import httpx

from app.demo import seed as demo_seed
from app.indicators import service as indicators
from app.indicators.periods import Period
from tests.conftest import fresh_database, make_settings, running_app
from tests.console.conftest import staff_sign_in
from tests.portal.conftest import BASE, sign_in


async def test_the_demo_shows_every_ward_and_lets_its_resident_sign_in(server_url, data_dir):
    async with fresh_database(server_url) as url:
        settings = make_settings(url, data_dir, env="dev", public_url=BASE, portal_address_limit="1000/hour")
        async with running_app(settings) as app:
            async with app.state.db.session(platform=True) as session:
                assert not await demo_seed.already_seeded(session)
                summary = await demo_seed.seed(session, people=300, seed=3)
                await demo_seed.demo_staff(session)
                clients = await demo_seed.demo_clients(session)
            async with app.state.db.session(platform=True) as session:
                await indicators.refresh(session, settings)
                assert await demo_seed.already_seeded(session)
            assert set(clients) >= {"council", "charity", "business", "analyst"}, summary
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as web:
                analyst = clients["analyst"]
                token = await web.post(
                    "/oauth/token",
                    data={"grant_type": "client_credentials"},
                    auth=(analyst["client_id"], analyst["client_secret"]),
                )
                headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
                wards = (await web.get("/v1/areas", params={"level": "ward"}, headers=headers)).json()
                codes = [a["code"] for a in wards["items"]]
                assert len(codes) >= 3
                catalogue = (await web.get("/v1/indicators", headers=headers)).json()
                assert len(catalogue["items"] if isinstance(catalogue, dict) else catalogue) == 10
                last_month = Period.containing(indicators.today(), "month").previous.label
                for code in codes:
                    values = await web.get(
                        "/v1/indicators/values", params={"area": code, "period": last_month}, headers=headers
                    )
                    assert values.status_code == 200, values.text
                    assert len(values.json()["indicators"]) == 10

                # The council's admin signs in to the console and finds the demo resident by name.
                admin = next(e for e, (_, role) in demo_seed.DEMO_STAFF.items() if role == "org_admin")
                signed_in = await staff_sign_in(web, admin)
                assert signed_in.headers["location"] == "/console", signed_in.text
                found = await web.get("/console", params={"q": "Dee Monstraton"})  # sic
                assert ">Dee Monstration</a>" in found.text, found.text

                await sign_in(web, demo_seed.DEMO_RESIDENT_EMAIL)
                overview = await web.get("/portal")
                assert overview.status_code == 200 and "Hello, Dee" in overview.text
