"""The resident's pages (HTML, no JavaScript needed). Thin: each calls the rights, consent or
rewards services and renders the answer."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from markdown_it import MarkdownIt
from pydantic import ValidationError

from app.consent import service as consent_service
from app.consent.catalogue import CATEGORIES, PURPOSES, READ_PURPOSES
from app.core.errors import AppError, ValidationFailed
from app.core.pagination import PageRequest, decode_cursor
from app.people.schemas import AttributesIn
from app.portal import service, sign_in
from app.portal.deps import SESSION_COOKIE, TEMPLATES, Page, resident, visitor
from app.portal.forms import ATTRIBUTE_LABELS, TEXT_FIELDS, form_errors, notice
from app.rewards import cards as rewards_cards
from app.rights import service as rights
from app.web.formats import ADDRESS_FIELDS
from app.web.pages import Redirect
from app.web.qr import qr_svg

router = APIRouter(prefix="/portal", include_in_schema=False)


@router.get("")
@router.get("/")
async def overview(page: Page = Depends(resident)):
    me = page.portal.resident
    profile = await rights.profile(page.session, me)
    organisations = await rights.who_knows_me(page.session, me)
    reads, _ = await rights.access_log(page.session, me, PageRequest(limit=5, after=None))
    rewards = await rights.rewards(page.session, me)
    questions = await rights.is_this_you(page.session, me, page.portal.email)
    name = (profile["attributes"].get("preferred_name") or profile["attributes"].get("given_name") or {}).get(
        "value"
    )
    return page.render(
        "overview.html",
        name=name,
        organisations=organisations,
        in_force=sum(1 for o in organisations for c in o["consents"] if c["status"] == "active"),
        reads=reads,
        wallet=rewards["wallet"],
        questions=questions,
        notice=notice(page.request),
    )


@router.post("/is-this-you/{question_id}")
async def is_this_you(question_id: uuid.UUID, page: Page = Depends(resident)):
    """The resident's answer to "is this you?": yes or no."""
    answer = page.field("answer")
    await rights.answer_is_this_you(
        page.session, page.portal.resident, page.portal.email, question_id, answer
    )
    return page.redirect(f"/portal?notice={'its-you' if answer == 'yes' else 'not-you'}")


def _details_context(profile: dict[str, Any]) -> dict[str, Any]:
    rows = []
    for attribute, label in ATTRIBUTE_LABELS.items():
        current = profile["attributes"].get(attribute)
        sources = [
            {
                "source": c["source"],
                "value": c["attributes"][attribute]["value"],
                "verified": c["attributes"][attribute]["verified"],
                "asserted_at": c["attributes"][attribute]["asserted_at"],
            }
            for c in profile["claims"]
            if attribute in c["attributes"]
        ]
        rows.append(
            {
                "attribute": attribute,
                "label": label,
                "current": current["value"] if current else None,
                "sources": sources,
            }
        )
    current = {a: (profile["attributes"].get(a) or {}).get("value") for a in ATTRIBUTE_LABELS}
    values = {a: current[a] or "" for a in TEXT_FIELDS}
    address = current["address"] or {}
    values.update({f"address.{f}": address.get(f) or "" for f in ADDRESS_FIELDS})
    return {"rows": rows, "values": values, "current": current}


@router.get("/details")
async def details(page: Page = Depends(resident)):
    profile = await rights.profile(page.session, page.portal.resident)
    return page.render("details.html", notice=notice(page.request), **_details_context(profile))


@router.post("/details")
async def save_details(page: Page = Depends(resident)):
    profile = await rights.profile(page.session, page.portal.resident)
    context = _details_context(profile)
    # A field the form did not send keeps its value; only what the resident changed becomes their
    # claim, and an emptied field is not a value.
    held = context["values"]
    posted = {name: page.field(name) if name in page.form else held[name] for name in held}
    body: dict[str, Any] = {a: posted[a] for a in TEXT_FIELDS if posted[a] and posted[a] != held[a]}
    if any(posted[f"address.{f}"] != held[f"address.{f}"] for f in ADDRESS_FIELDS):
        body["address"] = {f: posted[f"address.{f}"] or None for f in ADDRESS_FIELDS}
    if not body:
        return page.redirect("/portal/details")
    try:
        await rights.rectify(page.session, page.portal.resident, AttributesIn.model_validate(body))
    except (ValidationError, ValidationFailed) as exc:
        return page.render(
            "details.html",
            status=422,
            errors=form_errors(exc),
            **{k: v for k, v in context.items() if k != "values"},
            values=posted,
        )
    return page.redirect("/portal/details?notice=details-saved")


@router.get("/organisations")
async def organisations(page: Page = Depends(resident)):
    linked = await rights.who_knows_me(page.session, page.portal.resident)
    return page.render(
        "organisations.html",
        organisations=linked,
        purposes=PURPOSES,
        categories=CATEGORIES,
        notice=notice(page.request),
    )


@router.post("/organisations/{org_id}/grant")
async def grant(org_id: uuid.UUID, page: Page = Depends(resident)):
    purpose = page.field("purpose")
    chosen = [str(c) for c in page.form.getlist("categories")] if page.form else []
    errors = []
    if purpose not in PURPOSES:
        errors.append(
            {"field": "purpose", "id": f"purpose-{org_id}", "message": "Choose what the permission is for"}
        )
    if not chosen or any(c not in CATEGORIES for c in chosen):
        errors.append(
            {
                "field": "categories",
                "id": f"categories-{org_id}-0",
                "message": "Choose at least one kind of information",
            }
        )
    if errors:
        linked = await rights.who_knows_me(page.session, page.portal.resident)
        return page.render(
            "organisations.html",
            status=422,
            errors=errors,
            organisations=linked,
            purposes=PURPOSES,
            categories=CATEGORIES,
        )
    await rights.grant(page.session, page.portal.resident, org_id, purpose, chosen)
    return page.redirect("/portal/organisations?notice=granted")


async def _linked(page: Page, org_id: uuid.UUID, purpose: str) -> dict[str, Any]:
    for organisation in await rights.who_knows_me(page.session, page.portal.resident):
        if organisation["organisation_id"] == org_id:
            consents = [
                c for c in organisation["consents"] if c["purpose"] == purpose and c["status"] == "active"
            ]
            if consents:
                return {"organisation": organisation, "consents": consents}
    raise rights.OrganisationNotLinked("There is no permission like that to withdraw.")


@router.get("/organisations/{org_id}/withdraw")
async def confirm_withdraw(org_id: uuid.UUID, purpose: str = "", page: Page = Depends(resident)):
    found = await _linked(page, org_id, purpose)
    return page.render(
        "withdraw.html",
        purpose=purpose,
        purpose_label=PURPOSES.get(purpose, purpose),
        categories=CATEGORIES,
        **found,
    )


@router.post("/organisations/{org_id}/withdraw")
async def withdraw(org_id: uuid.UUID, page: Page = Depends(resident)):
    purpose = page.field("purpose")
    await _linked(page, org_id, purpose)
    await rights.withdraw(page.session, page.portal.resident, org_id, purpose)
    return page.redirect("/portal/organisations?notice=withdrawn")


@router.post("/consents/{consent_id}/confirm")
async def confirm_grant(consent_id: uuid.UUID, page: Page = Depends(resident)):
    await rights.confirm(page.session, page.portal.resident, consent_id)
    return page.redirect("/portal/organisations?notice=confirmed")


@router.post("/consents/{consent_id}/refuse")
async def refuse_grant(consent_id: uuid.UUID, page: Page = Depends(resident)):
    await rights.refuse(page.session, page.portal.resident, consent_id)
    return page.redirect("/portal/organisations?notice=refused")


# The link in the notice of a grant an organisation recorded: it works without signing in (the
# link's token is the proof), and only a button press confirms, not the visit itself (mail
# scanners open links).
@router.get("/consents/confirm/{token}")
async def confirm_link(token: str, page: Page = Depends(visitor)):
    grant = await consent_service.grant_awaiting_link(page.session, token)
    return page.render(
        "confirm.html",
        status=200 if grant else 404,
        grant=grant,
        token=token,
        purposes=PURPOSES,
        categories=CATEGORIES,
    )


@router.post("/consents/confirm/{token}")
async def confirm_by_link(token: str, page: Page = Depends(visitor)):
    grant = await consent_service.grant_awaiting_link(page.session, token)
    if grant is None:
        return page.render("confirm.html", status=404, grant=None, token=token)
    if page.field("answer") == "refuse":
        await consent_service.refuse_by_link(page.session, token)
    else:
        await consent_service.confirm_by_link(page.session, token)
    return page.render(
        "confirm.html",
        grant=grant,
        done="refused" if page.field("answer") == "refuse" else "confirmed",
        purposes=PURPOSES,
        categories=CATEGORIES,
    )


@router.get("/access-log")
async def access_log(after: str | None = None, page: Page = Depends(resident)):
    try:
        position = decode_cursor(after) if after else None
    except AppError:
        position = None
    items, next_cursor = await rights.access_log(
        page.session, page.portal.resident, PageRequest(limit=25, after=position)
    )
    return page.render(
        "access_log.html",
        items=items,
        next_cursor=next_cursor,
        first=after is None,
        purposes=READ_PURPOSES,
        categories=CATEGORIES,
    )


async def _rewards_page(page: Page, status: int = 200, **extra: Any) -> Response:
    me = page.portal.resident
    wallet = await rights.rewards(page.session, me)
    canonical = await rights.person_of(page.session, me)
    card = await rewards_cards.current_card(page.session, canonical)
    return page.render(
        "rewards.html",
        status=status,
        wallet=wallet["wallet"],
        transfers=list(reversed(wallet["transfers"])),
        card=card,
        awaiting=await rewards_cards.cards_awaiting(page.session, canonical),
        qr=qr_svg(card["token"]) if card else None,
        notice=notice(page.request),
        **extra,
    )


@router.get("/rewards")
async def rewards(page: Page = Depends(resident)):
    return await _rewards_page(page)


@router.post("/rewards/card")
async def renew_card(page: Page = Depends(resident)):
    canonical = await rights.person_of(page.session, page.portal.resident)
    had_one = await rewards_cards.current_card(page.session, canonical) is not None
    await rewards_cards.issue_card(page.session, page.portal.resident, canonical)
    return page.redirect(f"/portal/rewards?notice=card-{'renewed' if had_one else 'ready'}")


@router.post("/rewards/cards/{card_id}")
async def answer_card(card_id: uuid.UUID, page: Page = Depends(resident)):
    """The resident says whether a card an organisation issued them is theirs."""
    accept = page.field("answer") == "accept"
    pin = None
    if accept:
        pin, problem = await _chosen_pin(page)
        if problem:
            errors = [{"field": f"pin-{card_id}", "id": f"pin-{card_id}", "message": problem}]
            return await _rewards_page(page, status=422, errors=errors)
    canonical = await rights.person_of(page.session, page.portal.resident)
    await rewards_cards.answer_card(page.session, page.portal.resident, canonical, card_id, accept, pin)
    return page.redirect(f"/portal/rewards?notice=card-{'confirmed' if accept else 'refused'}")


async def _chosen_pin(page: Page) -> tuple[str | None, str | None]:
    """The PIN the resident chose on the form, or why it will not do."""
    pin = rewards_cards.valid_pin(page.field("pin"))
    if pin is None:
        return None, "Choose a PIN of 4 to 6 digits for the card"
    born = (await rights.profile(page.session, page.portal.resident))["attributes"].get("date_of_birth")
    try:
        birthday = date.fromisoformat(born["value"]) if born else None
    except (TypeError, ValueError):
        birthday = None
    return pin, rewards_cards.pin_problem(pin, birthday)


@router.post("/rewards/card-pin")
async def change_card_pin(page: Page = Depends(resident)):
    """A new PIN for the card an organisation gave the resident (it starts working again, too)."""
    pin, problem = await _chosen_pin(page)
    if problem:
        return await _rewards_page(
            page, status=422, errors=[{"field": "new-pin", "id": "new-pin", "message": problem}]
        )
    canonical = await rights.person_of(page.session, page.portal.resident)
    await rewards_cards.change_pin(page.session, page.portal.resident, canonical, pin)  # type: ignore[arg-type]
    return page.redirect("/portal/rewards?notice=pin-changed")


@router.post("/rewards/spend-code")
async def spend_code(page: Page = Depends(resident)):
    # Shown on the page the form posted to, not after a redirect: only the code's hash is kept, so
    # this answer is the one place it is ever written out.
    canonical = await rights.person_of(page.session, page.portal.resident)
    code, expires_at = await rewards_cards.issue_spend_code(page.session, canonical)
    return await _rewards_page(page, spend_code={"code": code, "expires_at": expires_at})


@router.get("/data")
async def my_data(page: Page = Depends(resident)):
    objecting = await rights.research_objection(page.session, page.portal.resident)
    return page.render("data.html", objecting=objecting, notice=notice(page.request))


@router.get("/data/export")
async def download(page: Page = Depends(resident)):
    document = await rights.export(page.session, page.portal.resident)
    body = json.dumps(jsonable_encoder(document), indent=2, ensure_ascii=False)
    response = Response(body, media_type="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-kith-data.json"'
    return page.finish(response)


@router.post("/data/research")
async def research(page: Page = Depends(resident)):
    objecting = page.field("objecting") == "yes"
    await rights.object_to_research(page.session, page.portal.resident, objecting)
    return page.redirect("/portal/data?notice=" + ("objected" if objecting else "objection-lifted"))


@router.get("/data/erase")
async def confirm_erase(page: Page = Depends(resident)):
    return page.render("erase.html")


@router.post("/data/erase")
async def erase(page: Page = Depends(resident)):
    if page.field("confirm") != "yes":
        errors = [
            {
                "field": "confirm",
                "id": "confirm",
                "message": "Tick the box to confirm that you want your account erased",
            }
        ]
        return page.render("erase.html", status=422, errors=errors)
    await service.erase(page.session, page.portal)
    page.cookies[SESSION_COOKIE] = None
    return page.render("erased.html", signed_in=False)  # signed out: no navigation, no "Sign out"


@router.get("/help")
async def help_page(page: Page = Depends(visitor)):
    return page.render("help.html", active="help")


public = APIRouter(include_in_schema=False)


@public.get("/privacy")
async def privacy(page: Page = Depends(visitor)):
    """The partnership's privacy notice: where it is published (KITH_PRIVACY_NOTICE_URL), its text
    (KITH_PRIVACY_NOTICE_FILE, Markdown), or one written from what Kith knows."""
    settings = page.request.app.state.settings
    if settings.privacy_notice_url:
        return Response(status_code=303, headers={"Location": settings.privacy_notice_url})
    if settings.privacy_notice_file:
        text = await asyncio.to_thread(Path(settings.privacy_notice_file).read_text, encoding="utf-8")
        # Markdown without raw HTML: the partnership's words, never its markup, reach the page.
        return page.render("privacy.html", notice_html=MarkdownIt("commonmark", {"html": False}).render(text))
    organisations = await service.partnership(page.session)
    return page.render("privacy.html", organisations=organisations, purposes=PURPOSES, categories=CATEGORIES)


def error_page(request: Request, exc: AppError) -> Response:
    """An AppError on a portal page, as a page rather than problem+json."""
    response = TEMPLATES.TemplateResponse(
        request,
        "error.html",
        {"title": exc.title, "detail": exc.detail, "signed_in": False},
        status_code=exc.status,
    )
    response.headers.update(exc.headers)
    return response


def install(app: FastAPI, env: str) -> None:
    """Mount the portal (and, in dev, the outbox) on the app."""
    app.include_router(sign_in.router)
    app.include_router(router)
    app.include_router(public)
    if env == "dev":
        app.include_router(sign_in.dev)
    app.mount(
        "/portal/static", StaticFiles(directory=__file__.rsplit("/", 1)[0] + "/static"), name="portal-static"
    )

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon():  # what browsers ask for where a page names no icon (the API docs, say)
        return Response(status_code=301, headers={"Location": "/portal/static/favicon.svg"})

    @app.exception_handler(Redirect)
    async def redirect(request: Request, exc: Redirect):
        return Response(status_code=303, headers={"Location": exc.location, "Cache-Control": "no-store"})
