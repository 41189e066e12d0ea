"""The login page: asks for ``ACME_API_TOKEN`` once, then the browser keeps a session cookie.

Only this page starts a session; checking requests is the security middleware's job.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from acme.entrypoints.api.deps import TheContainer
from acme.entrypoints.security import SessionSigner, clear_cookies, safe_next, session_cookies
from acme.entrypoints.web.rendering import render

router = APIRouter(include_in_schema=False)


def _tls(request: Request) -> bool:
    return bool(getattr(request.state, "tls", False))


@router.get("/login", response_model=None)
def login_page(c: TheContainer, request: Request, next: str = "/") -> Response:
    if not c.settings().api_token:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", page="login", next=safe_next(next), error="")


@router.post("/login", response_model=None)
def login(
    c: TheContainer,
    request: Request,
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    target = safe_next(next)
    configured = c.settings().api_token
    if not configured:
        return RedirectResponse(target, status_code=303)
    signer = SessionSigner(configured)
    if not signer.check_token(token.strip()):
        response: HTMLResponse = render(
            request, "login.html", page="login", next=target, error="That token is not valid."
        )
        response.status_code = 401
        return response
    redirect = RedirectResponse(target, status_code=303)
    for cookie in session_cookies(signer, secure=_tls(request)):
        redirect.headers.append("set-cookie", cookie)
    return redirect


@router.post("/logout", status_code=204, response_model=None)
def logout(request: Request) -> Response:
    response = Response(status_code=204)
    for cookie in clear_cookies(secure=_tls(request)):
        response.headers.append("set-cookie", cookie)
    return response
