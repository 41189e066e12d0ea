"""Authentication, CSRF and security headers over HTTP, on the real app.

Every route is found by iterating ``app.routes`` (all methods), so a route added later is
covered without touching this file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from acme.entrypoints.security import CSRF_COOKIE, SESSION_COOKIE, is_open_path
from tests.apps import make_app
from tests.databases import empty_tables

TOKEN = "s3cret-Token-for-tests"
JSON = {"Accept": "application/json"}
_PARAM = re.compile(r"\{[^}]+\}")


def _flatten(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI >= 0.16x keeps routers
        if included is not None:
            yield from _flatten(included.routes, prefix + route.include_context.prefix)
            continue
        methods = getattr(route, "methods", None)
        if methods:  # not a mount (static files) or websocket
            yield prefix + route.path, set(methods)


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, concrete path) for every route, path parameters filled with an unknown id."""
    return [
        (method, _PARAM.sub("999999", path))
        for path, methods in _flatten(app.routes)
        for method in sorted(methods)
    ]


def protected(app: FastAPI) -> list[tuple[str, str]]:
    return [(m, p) for m, p in routes(app) if not is_open_path(p)]


@pytest.fixture
def secured(sqlite_url: str) -> Iterator[TestClient]:
    empty_tables(sqlite_url)
    app = make_app(sqlite_url, api_token=TOKEN)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    app.state.container.engine().dispose()


@pytest.fixture
def open_client(sqlite_url: str) -> Iterator[TestClient]:
    empty_tables(sqlite_url)
    app = make_app(sqlite_url)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    app.state.container.engine().dispose()


def call(client: TestClient, method: str, path: str, **headers: str) -> int:
    return client.request(method, path, headers={**JSON, **headers}).status_code


def login(client: TestClient) -> str:
    r = client.post("/login", data={"token": TOKEN, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    csrf = client.cookies.get(CSRF_COOKIE)
    assert csrf
    return csrf


def test_the_route_list_covers_the_api(secured: TestClient) -> None:
    found = protected(secured.app)  # type: ignore[arg-type]
    assert ("GET", "/api/products") in found
    assert ("DELETE", "/api/products/999999") in found
    assert all(not p.startswith(("/healthz", "/readyz", "/static")) for _, p in found)


def test_every_route_refuses_a_missing_token(secured: TestClient) -> None:
    for method, path in protected(secured.app):  # type: ignore[arg-type]
        r = secured.request(method, path, headers=JSON)
        assert r.status_code == 401, (method, path, r.status_code)
        if method != "HEAD":
            assert "Bearer" in r.json()["detail"], (method, path)
        assert r.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("authorization", [f"Bearer {TOKEN}x", "Bearer ", f"Basic {TOKEN}", "x"])
def test_every_route_refuses_a_wrong_token(secured: TestClient, authorization: str) -> None:
    for method, path in protected(secured.app):  # type: ignore[arg-type]
        assert call(secured, method, path, Authorization=authorization) == 401, (method, path)


def test_every_route_accepts_the_right_token(secured: TestClient) -> None:
    for method, path in protected(secured.app):  # type: ignore[arg-type]
        status = call(secured, method, path, Authorization=f"Bearer {TOKEN}")
        assert status not in (401, 403), (method, path, status)
    r = secured.post(
        "/api/products",
        json={"sku": "T-1", "name": "Chair"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert r.status_code == 201
    listed = secured.get("/api/products", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert [p["sku"] for p in listed["items"]] == ["T-1"]


def test_without_a_token_configured_everything_is_open(open_client: TestClient) -> None:
    for method, path in routes(open_client.app):  # type: ignore[arg-type]
        status = call(open_client, method, path)
        assert status not in (401, 403), (method, path, status)


def test_health_stays_open_when_auth_is_on(secured: TestClient) -> None:
    assert secured.get("/healthz").status_code == 200
    assert secured.get("/readyz").status_code == 200


def test_login_sets_a_strict_httponly_session_cookie(secured: TestClient) -> None:
    r = secured.post(
        "/login", data={"token": TOKEN, "next": "/api/products"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/api/products"
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith(f"{SESSION_COOKIE}="))
    csrf = next(c for c in cookies if c.startswith(f"{CSRF_COOKIE}="))
    assert "HttpOnly" in session and "SameSite=Strict" in session and "Secure" not in session
    assert "HttpOnly" not in csrf and "SameSite=Strict" in csrf
    assert secured.get("/api/products", headers=JSON).status_code == 200


def test_cookies_are_secure_behind_tls(secured: TestClient) -> None:
    r = secured.post(
        "/login",
        data={"token": TOKEN},
        headers={"X-Forwarded-Proto": "https"},
        follow_redirects=False,
    )
    cookies = r.headers.get_list("set-cookie")
    assert len(cookies) == 2 and all("; Secure" in c for c in cookies)
    assert r.headers["strict-transport-security"].startswith("max-age=")


def test_a_wrong_login_is_refused_with_a_message(secured: TestClient) -> None:
    r = secured.post("/login", data={"token": "nope"}, follow_redirects=False)
    assert r.status_code == 401
    assert "That token is not valid." in r.text
    assert SESSION_COOKIE not in secured.cookies
    assert secured.get("/api/products", headers=JSON).status_code == 401


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil"])
def test_login_never_redirects_off_site(secured: TestClient, target: str) -> None:
    r = secured.post("/login", data={"token": TOKEN, "next": target}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_cookie_authenticated_unsafe_requests_need_the_csrf_token(secured: TestClient) -> None:
    csrf = login(secured)
    unsafe = [
        (m, p)
        for m, p in protected(secured.app)  # type: ignore[arg-type]
        if m not in ("GET", "HEAD", "OPTIONS")
    ]
    assert unsafe
    for method, path in unsafe:
        assert call(secured, method, path) == 403, (method, path)
        assert call(secured, method, path, **{"X-CSRF-Token": csrf + "0"}) == 403, (method, path)
    r = secured.post("/api/products", json={"sku": "C-1", "name": "Desk"}, headers=JSON)
    assert r.status_code == 403
    assert "CSRF" in r.json()["detail"]
    r = secured.post(
        "/api/products", json={"sku": "C-1", "name": "Desk"}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 201
    assert secured.get("/api/products", headers=JSON).json()["total"] == 1


def test_a_tampered_session_cookie_is_refused(secured: TestClient) -> None:
    login(secured)
    value = secured.cookies[SESSION_COOKIE]
    secured.cookies.set(SESSION_COOKIE, value[:-1] + ("0" if value[-1] != "0" else "1"))
    assert secured.get("/api/products", headers=JSON).status_code == 401


def test_pages_redirect_to_the_login_page(secured: TestClient) -> None:
    r = secured.get("/products?page=2", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fproducts%3Fpage%3D2"
    page = secured.get("/login?next=/products")
    assert page.status_code == 200
    assert 'name="token"' in page.text and 'value="/products"' in page.text


def test_logout_ends_the_session(secured: TestClient) -> None:
    csrf = login(secured)
    assert secured.post("/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert SESSION_COOKIE not in secured.cookies
    assert secured.get("/api/products", headers=JSON).status_code == 401


@pytest.mark.parametrize("path", ["/healthz", "/api/products", "/login", "/no-such-page"])
def test_security_headers_on_every_response(secured: TestClient, path: str) -> None:
    r = secured.get(path)
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    for directive in ("frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'"):
        assert directive in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-frame-options"] == "DENY"


def test_an_unexpected_error_is_a_json_500_with_the_security_headers(
    secured: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from acme.application import products as use_cases

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug")

    monkeypatch.setattr(use_cases, "list_products", broken)
    r = secured.get("/api/products", headers={**JSON, "Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 500
    assert r.json() == {"detail": "internal error; see the server log"}
    assert "a bug" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_the_openapi_schema_declares_the_bearer_token(secured: TestClient) -> None:
    schema = secured.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert schema["paths"]["/api/products"]["get"]["security"][0] == {"bearerAuth": []}
    assert "security" not in schema["paths"]["/healthz"]["get"]


def test_the_docs_page_allows_only_its_own_inline_script_by_hash(open_client: TestClient) -> None:
    r = open_client.get("/docs")
    script_src = next(
        d for d in r.headers["content-security-policy"].split(";") if "script-src" in d
    )
    assert "'sha256-" in script_src and "unsafe-inline" not in script_src
