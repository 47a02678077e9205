"""Single sign-on to the console with the organisation's own OpenID Connect provider: sent there
from the sign-in page, and back at the callback. Every failure is a page saying what to do."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from app.console import service
from app.console.deps import SESSION_COOKIE, SSO_COOKIE, Page, count_sign_in_attempt, visitor
from app.core.errors import ValidationFailed

router = APIRouter(prefix="/console/sso", include_in_schema=False)
NO_PROVIDER = (
    "No organisation signs in to Kith with its own account for this address. Ask for an emailed code instead."
)


@router.post("")
async def start(request: Request, page: Page = Depends(visitor)):
    """Send a staff member to their organisation's provider to sign in."""
    await count_sign_in_attempt(request)
    email = page.field("email")
    try:
        step = await service.start_sso(page.session, email)
    except ValidationFailed as exc:
        errors = [{"field": "email", "id": "email", "message": exc.detail}]
        return page.render("sign_in.html", status=422, errors=errors, email=email)
    if step is None:
        errors = [{"field": "email", "id": "email", "message": NO_PROVIDER}]
        return page.render("sign_in.html", status=422, errors=errors, email=email)
    if step.location is None:
        return page.render("sso_refused.html", status=step.status, problem=step.problem)
    page.cookies[SSO_COOKIE] = step.state
    return page.render("sso_continue.html", location=step.location, organisation=step.organisation)


@router.get("/callback")
async def callback(request: Request, page: Page = Depends(visitor)):
    """Where the provider sends the staff member back: a session, or a page saying why not."""
    query = request.query_params
    step = await service.finish_sso(
        page.session,
        state=query.get("state", ""),
        browser_state=request.cookies.get(SSO_COOKIE),
        code=query.get("code", ""),
        error=query.get("error", ""),
        issuer=query.get("iss"),
    )
    page.cookies[SSO_COOKIE] = None
    if step.token is None:
        return page.render("sso_refused.html", status=step.status, problem=step.problem)
    page.cookies[SESSION_COOKIE] = step.token
    return page.redirect("/console")
