"""Signing in to the portal: asking for a code, entering it, choosing or registering, signing out;
and the development outbox the codes go to with KITH_ENV=dev."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError

from app.core.errors import ValidationFailed
from app.mail import service as mail
from app.mail.repository import outbox
from app.people.schemas import AttributesIn
from app.portal import service
from app.portal.deps import SESSION_COOKIE, SIGNIN_COOKIE, TEMPLATES, Page, proven_email, transaction, visitor
from app.portal.forms import form_errors, notice

router = APIRouter(prefix="/portal", include_in_schema=False)
dev = APIRouter(include_in_schema=False)


async def _count_attempt(request: Request) -> None:
    """Count a code asked for or tried against the client address's limit (429 beyond it)."""
    address = request.client.host if request.client else "-"
    await request.app.state.limiter.hit(request.app.state.settings.portal_address_limit, f"portal:{address}")


@router.get("/sign-in")
async def sign_in_form(page: Page = Depends(visitor)):
    if page.portal is not None and page.portal.person_id is not None:
        return page.redirect("/portal")
    unavailable = not mail.can_send(page.request.app.state.settings)
    return page.render("sign_in.html", notice=notice(page.request), email="", unavailable=unavailable)


@router.post("/sign-in")
async def sign_in(request: Request, page: Page = Depends(visitor)):
    await _count_attempt(request)
    email = page.field("email")
    try:
        code_id = await service.request_code(page.session, email)
    except ValidationFailed as exc:
        return page.render("sign_in.html", status=422, errors=form_errors(exc), email=email)
    page.cookies[SIGNIN_COOKIE] = str(code_id)
    return page.redirect("/portal/sign-in/code?notice=code-sent")


@router.get("/sign-in/code")
async def code_form(page: Page = Depends(visitor)):
    if not page.request.cookies.get(SIGNIN_COOKIE):
        return page.redirect("/portal/sign-in")
    return page.render("code.html", notice=notice(page.request))


@router.post("/sign-in/code")
async def check_code(request: Request, page: Page = Depends(visitor)):
    await _count_attempt(request)
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
            errors=errors if isinstance(exc, ValueError) else form_errors(exc),
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
            "register.html", status=422, errors=form_errors(exc), email=page.portal.email, values=values
        )
    return page.redirect("/portal")


@router.post("/sign-out")
async def sign_out(page: Page = Depends(visitor)):
    if page.portal is not None:
        await service.sign_out(page.session, page.portal)
    page.cookies[SESSION_COOKIE] = None
    return page.redirect("/portal/sign-in?notice=signed-out")


@dev.get("/dev/outbox")
async def dev_outbox(request: Request, session=Depends(transaction, scope="function")):
    """Messages Kith would have mailed (KITH_ENV=dev only)."""
    return TEMPLATES.TemplateResponse(
        request, "outbox.html", {"messages": await outbox(session), "signed_in": False}
    )
