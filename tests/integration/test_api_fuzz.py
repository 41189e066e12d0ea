"""Fuzzing the products API with hypothesis, on both databases: whatever a client sends
(huge numbers, NUL bytes, lone surrogates, very long or odd Unicode text, wrong types, junk
bodies), the answer is never a 5xx, and every 4xx carries a readable ``detail``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.apps import make_app

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any code point (NUL, controls, astral planes); query strings cannot carry lone surrogates.
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)
long_text = st.text(st.sampled_from("aZ%_\\\x00é✓𝔘 "), min_size=250, max_size=2_000)
# JSON can: "\ud800" is a valid JSON escape that decodes to a lone surrogate.
json_text = st.text(st.characters(exclude_categories=[]), max_size=300)
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, 1, 5_000, 2**31, 2**63 - 1, 2**63, 2**64]),
)
query_value = st.one_of(any_text, long_text, numbers.map(str), st.sampled_from(["true", "no", ""]))
json_value = st.one_of(
    json_text,
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=3),
    st.text(st.characters(exclude_categories=[]), min_size=200, max_size=1_000),
)
product_body = st.dictionaries(
    st.sampled_from(["sku", "name", "description", "active", "id", "extra"]),
    json_value,
    max_size=6,
)
path_id = st.one_of(numbers.map(str), any_text.filter(lambda s: s not in ("", ".", "..")))


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    app = make_app(database_url)
    with TestClient(app, raise_server_exceptions=False) as c:
        c.post("/api/products", json={"sku": "seed-1", "name": "Seed"})
        yield c
    app.state.container.engine().dispose()


def assert_handled(response: Any) -> None:
    assert response.status_code < 500, (response.request.url, response.text)
    if response.status_code >= 400:
        detail = response.json()["detail"]
        assert isinstance(detail, str) and detail.strip()


def send_json(client: TestClient, method: str, url: str, body: object) -> Any:
    # json.dumps escapes non-ASCII, so lone surrogates travel as \\udxxx escapes
    content = json.dumps(body)
    return client.request(
        method, url, content=content, headers={"content-type": "application/json"}
    )


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["sku", "name", "description", "active", "page", "page_size"]),
        query_value,
    )
)
def test_listing_never_fails_on_any_query(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/api/products", params=params)
    assert_handled(response)
    if response.status_code == 200:
        body = response.json()
        assert body["total"] >= len(body["items"])


@FUZZ
@given(body=st.one_of(product_body, json_value))
def test_create_never_fails_and_what_is_created_is_stored(client: TestClient, body: object) -> None:
    response = send_json(client, "POST", "/api/products", body)
    assert_handled(response)
    if response.status_code == 201:
        created = response.json()
        assert client.get(f"/api/products/{created['id']}").json() == created


@FUZZ
@given(product_id=path_id, body=st.one_of(product_body, json_value))
def test_patch_never_fails(client: TestClient, product_id: str, body: object) -> None:
    assert_handled(send_json(client, "PATCH", f"/api/products/{quote(product_id, safe='')}", body))


@FUZZ
@given(body=product_body)
def test_patching_an_existing_product_never_fails(client: TestClient, body: object) -> None:
    existing = client.get("/api/products").json()["items"][0]  # the seed, perhaps patched
    assert_handled(send_json(client, "PATCH", f"/api/products/{existing['id']}", body))


@FUZZ
@given(product_id=path_id, method=st.sampled_from(["GET", "DELETE"]))
def test_reading_or_deleting_any_id_never_fails(
    client: TestClient, product_id: str, method: str
) -> None:
    response = client.request(method, f"/api/products/{quote(product_id, safe='')}")
    if product_id.strip() == "1":  # may be the seed product: deleting it is a 204
        assert response.status_code < 500
    else:
        assert_handled(response)


@FUZZ
@given(raw=st.binary(max_size=200), content_type=st.sampled_from(["application/json", "text/csv"]))
def test_junk_bodies_are_refused_cleanly(client: TestClient, raw: bytes, content_type: str) -> None:
    response = client.post("/api/products", content=raw, headers={"content-type": content_type})
    assert_handled(response)


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "status", "detail"),
    [
        ("GET", "/api/products", {"params": {"page": 10**30}}, 422, "page: Input should be less"),
        ("GET", "/api/products", {"params": {"name": "a\x00b"}}, 422, "name filter must not"),
        ("GET", "/api/products", {"params": {"sku": "\x00"}}, 422, "sku filter must not contain"),
        ("GET", "/api/products", {"params": {"description": "x" * 256}}, 422, "description: "),
        ("GET", f"/api/products/{2**63}", {}, 404, f"product {2**63} not found"),
        ("DELETE", f"/api/products/{10**30}", {}, 404, f"product {10**30} not found"),
        ("PATCH", f"/api/products/{2**64}", {"json": {"name": "x"}}, 404, "not found"),
        ("POST", "/api/products", {"json": {"sku": "ﷺ" * 15, "name": "x"}}, 422, "once normalised"),
        ("POST", "/api/products", {"json": {"sku": "a", "name": "x\x00"}}, 422, "NUL"),
    ],
)
def test_known_bad_inputs_get_a_clear_4xx(
    client: TestClient,
    method: str,
    url: str,
    kwargs: dict[str, Any],
    status: int,
    detail: str,
) -> None:
    response = client.request(method, url, **kwargs)
    assert response.status_code == status
    assert detail in response.json()["detail"]
