"""The portal's pages (HTML, no JavaScript needed). Thin: each calls the rights, consent, people or
rewards services and renders the answer."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError

from app.consent import rights
from app.consent.catalogue import CATEGORIES, PURPOSES
from app.core.errors import AppError, ValidationFailed
from app.core.pagination import PageRequest, decode_cursor
from app.people.schemas import AttributesIn
from app.portal import service
from app.portal.deps import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    TEMPLATES,
    Page,
    Redirect,
    proven_email,
    resident,
    transaction,
    visitor,
)
from app.portal.repository import outbox
from app.rewards import service as rewards_service

router = APIRouter(prefix="/portal", include_in_schema=False)
dev = APIRouter(include_in_schema=False)

NOTICES = {
    "code-sent": "We have sent a code to your email address.",
    "details-saved": "Your details have been saved. Organisations you let see them will use your version.",
    "granted": "Permission given.",
    "withdrawn": "Permission withdrawn. The organisation can no longer see this.",
    "card-renewed": "Your new card is ready. Your old card no longer works.",
    "objected": "You have objected to research. You are left out of community statistics from now on.",
    "objection-lifted": "Your objection to research has been lifted.",
    "signed-out": "You have signed out.",
}
ATTRIBUTE_LABELS = {
    "given_name": "First name",
    "family_name": "Last name",
    "preferred_name": "Name you like to be called",
    "date_of_birth": "Date of birth",
    "email": "Email address",
    "phone": "Phone number",
    "address": "Address",
    "uprn": "Property reference (UPRN)",
}
TEXT_FIELDS = ("given_name", "family_name", "preferred_name", "date_of_birth", "phone")
ADDRESS_FIELDS = ("line1", "line2", "town", "postcode")


def _notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("notice", ""))


def _errors(exc: Exception) -> list[dict[str, str]]:
    """Form errors, each naming its field (with the id of its input, for the error summary)."""
    if isinstance(exc, ValidationError):
        raw = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
    else:
        raw = getattr(exc, "errors", None) or [{"field": "", "message": str(exc)}]
    out = []
    for e in raw:
        name = e.get("field") or ""
        label = ATTRIBUTE_LABELS.get(name.split(".")[-1]) or ATTRIBUTE_LABELS.get(name.split(".")[0], "")
        if name.startswith("address."):
            label = {
                "line1": "Address line 1",
                "line2": "Address line 2",
                "town": "Town",
                "postcode": "Postcode",
            }.get(name.split(".")[1], "Address")
        message = e["message"]
        if name == "address":  # the address as a whole: point at its first line
            name = "address.line1"
        out.append(
            {
                "field": name,
                "id": name.replace(".", "-") or "main",
                "message": f"{label}: {message}" if label else message,
            }
        )
    return out


# Sign-in, registration and sign-out ---------------------------------------------------------------


@router.get("/sign-in")
async def sign_in_form(page: Page = Depends(visitor)):
    if page.portal is not None and page.portal.person_id is not None:
        return page.redirect("/portal")
    return page.render("sign_in.html", notice=_notice(page.request), email="")


@router.post("/sign-in")
async def sign_in(request: Request, page: Page = Depends(visitor)):
    await request.app.state.limiter.hit(
        request.app.state.settings.portal_address_limit,
        f"portal:{request.client.host if request.client else '-'}",
    )
    email = page.field("email")
    try:
        code_id = await service.request_code(page.session, email)
    except ValidationFailed as exc:
        return page.render("sign_in.html", status=422, errors=_errors(exc), email=email)
    page.cookies[SIGNIN_COOKIE] = str(code_id)
    return page.redirect("/portal/sign-in/code?notice=code-sent")


@router.get("/sign-in/code")
async def code_form(page: Page = Depends(visitor)):
    if not page.request.cookies.get(SIGNIN_COOKIE):
        return page.redirect("/portal/sign-in")
    return page.render("code.html", notice=_notice(page.request))


@router.post("/sign-in/code")
async def check_code(request: Request, page: Page = Depends(visitor)):
    await request.app.state.limiter.hit(
        request.app.state.settings.portal_address_limit,
        f"portal:{request.client.host if request.client else '-'}",
    )
    try:
        code_id = uuid.UUID(request.cookies.get(SIGNIN_COOKIE, ""))
    except ValueError:
        return page.redirect("/portal/sign-in")
    result = await service.verify_code(page.session, code_id, page.field("code"))
    if result.token is None:
        errors = [{"field": "code", "id": "code", "message": result.problem}]
        return page.render("code.html", status=400, errors=errors, tries_left=result.tries_left)
    page.cookies[SESSION_COOKIE] = result.token
    page.cookies[SIGNIN_COOKIE] = None
    return page.redirect("/portal")


@router.get("/choose")
async def choose_form(page: Page = Depends(proven_email)):
    return page.render("choose.html", people=await service.people_to_choose(page.session, page.portal))


@router.post("/choose")
async def choose(page: Page = Depends(proven_email)):
    try:
        await service.choose(page.session, page.portal, int(page.field("person") or -1))
    except (ValueError, ValidationFailed) as exc:
        people = await service.people_to_choose(page.session, page.portal)
        errors = [{"field": "person", "id": "person-0", "message": "Choose who you are"}]
        return page.render(
            "choose.html",
            status=422,
            errors=errors if isinstance(exc, ValueError) else _errors(exc),
            people=people,
        )
    return page.redirect("/portal")


@router.get("/register")
async def register_form(page: Page = Depends(proven_email)):
    return page.render("register.html", email=page.portal.email, values={})


@router.post("/register")
async def register(page: Page = Depends(proven_email)):
    values = {f: page.field(f) for f in ("given_name", "family_name", "date_of_birth", "postcode")}
    body: dict[str, Any] = {k: v for k, v in values.items() if v and k != "postcode"}
    if values["postcode"]:
        body["address"] = {"postcode": values["postcode"]}
    try:
        await service.register(page.session, page.portal, AttributesIn.model_validate(body))
    except (ValidationError, ValidationFailed) as exc:
        return page.render(
            "register.html", status=422, errors=_errors(exc), email=page.portal.email, values=values
        )
    return page.redirect("/portal")


@router.post("/sign-out")
async def sign_out(page: Page = Depends(visitor)):
    if page.portal is not None:
        await service.sign_out(page.session, page.portal)
    page.cookies[SESSION_COOKIE] = None
    return page.redirect("/portal/sign-in?notice=signed-out")


# The resident's pages ----------------------------------------------------------------------------


@router.get("")
@router.get("/")
async def overview(page: Page = Depends(resident)):
    me = page.portal.resident
    profile = await rights.profile(page.session, me)
    organisations = await rights.who_knows_me(page.session, me)
    reads, _ = await rights.access_log(page.session, me, PageRequest(limit=5, after=None))
    rewards = await rights.rewards(page.session, me)
    name = (profile["attributes"].get("preferred_name") or profile["attributes"].get("given_name") or {}).get(
        "value"
    )
    return page.render(
        "overview.html",
        name=name,
        organisations=organisations,
        active=sum(1 for o in organisations for c in o["consents"] if c["status"] == "active"),
        reads=reads,
        wallet=rewards["wallet"],
        notice=_notice(page.request),
    )


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


def display(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(str(value[k]) for k in ADDRESS_FIELDS if value.get(k))
    return "" if value is None else str(value)


def labels(codes: list[str], catalogue: dict[str, str], separator: str = ", ") -> str:
    return separator.join(catalogue.get(c, c) for c in codes)


TEMPLATES.env.filters["display"] = display
TEMPLATES.env.filters["labels"] = labels


@router.get("/details")
async def details(page: Page = Depends(resident)):
    profile = await rights.profile(page.session, page.portal.resident)
    return page.render("details.html", notice=_notice(page.request), **_details_context(profile))


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
            errors=_errors(exc),
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
        notice=_notice(page.request),
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
        purposes=PURPOSES,
        categories=CATEGORIES,
    )


def qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]


@router.get("/rewards")
async def rewards(page: Page = Depends(resident)):
    me = page.portal.resident
    wallet = await rights.rewards(page.session, me)
    card = await rewards_service.current_card(page.session, await rights.person_of(page.session, me))
    return page.render(
        "rewards.html",
        wallet=wallet["wallet"],
        transfers=list(reversed(wallet["transfers"])),
        card=card,
        qr=qr_svg(card["token"]) if card else None,
        notice=_notice(page.request),
    )


@router.post("/rewards/card")
async def renew_card(page: Page = Depends(resident)):
    canonical = await rights.person_of(page.session, page.portal.resident)
    await rewards_service.issue_card(page.session, canonical)
    return page.redirect("/portal/rewards?notice=card-renewed")


@router.get("/data")
async def my_data(page: Page = Depends(resident)):
    document = await rights.export(page.session, page.portal.resident)
    return page.render(
        "data.html", objecting=document["person"]["research_objection_at"], notice=_notice(page.request)
    )


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
    return page.render("erased.html")


@dev.get("/dev/outbox")
async def dev_outbox(request: Request, session=Depends(transaction, scope="function")):
    """Messages Kith would have mailed (KITH_ENV=dev only)."""
    return TEMPLATES.TemplateResponse(
        request, "outbox.html", {"messages": await outbox(session), "signed_in": False}
    )


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
    app.include_router(router)
    if env == "dev":
        app.include_router(dev)
    app.mount(
        "/portal/static", StaticFiles(directory=__file__.rsplit("/", 1)[0] + "/static"), name="portal-static"
    )

    @app.exception_handler(Redirect)
    async def redirect(request: Request, exc: Redirect):
        return Response(status_code=303, headers={"Location": exc.location, "Cache-Control": "no-store"})
