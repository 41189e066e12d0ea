"""The products REST API over HTTP (in-process ASGI), on both databases: what the contract
promises, checked against what was actually stored."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.apps import make_app


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    app = make_app(database_url)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    app.state.container.engine().dispose()


def create(client: TestClient, sku: str, name: str = "n", **extra: object) -> dict[str, object]:
    r = client.post("/api/products", json={"sku": sku, "name": name, **extra})
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


def test_create_returns_the_contract_shape_and_is_stored(client: TestClient) -> None:
    body = create(client, " Ab-1 ", "Chair", description="oak", active=False)
    assert set(body) == {"id", "sku", "name", "description", "active", "created_at", "updated_at"}
    stored = client.get(f"/api/products/{body['id']}").json()
    assert stored == body
    assert stored["sku"] == "Ab-1"
    assert stored["created_at"].endswith(("Z", "+00:00"))


def test_case_insensitive_collision_is_409_with_message(client: TestClient) -> None:
    first = create(client, "ab-1")
    r = client.post("/api/products", json={"sku": "AB-1", "name": "x"})
    assert r.status_code == 409
    assert r.json() == {"detail": f"SKU 'ab-1' is already used by product {first['id']}"}
    assert client.get("/api/products").json()["total"] == 1


def test_patch_collision_is_409_and_changes_nothing(client: TestClient) -> None:
    create(client, "a")
    b = create(client, "b", "Bee")
    r = client.patch(f"/api/products/{b['id']}", json={"sku": "A", "name": "changed"})
    assert r.status_code == 409
    assert client.get(f"/api/products/{b['id']}").json()["name"] == "Bee"


def test_list_filters_and_pages(client: TestClient) -> None:
    for i in range(5):
        create(
            client, f"sku-{i}", f"Name {i}", description="red" if i % 2 else "blue", active=i != 3
        )
    body = client.get("/api/products", params={"description": "RED", "page_size": 1}).json()
    assert body["total"] == 2 and body["page"] == 1 and body["page_size"] == 1
    assert [p["sku"] for p in body["items"]] == ["sku-1"]
    body = client.get("/api/products", params={"active": "false"}).json()
    assert [p["sku"] for p in body["items"]] == ["sku-3"]
    body = client.get("/api/products", params={"sku": "SKU-4", "name": "name"}).json()
    assert [p["sku"] for p in body["items"]] == ["sku-4"]


def test_delete_one_and_404_afterwards(client: TestClient) -> None:
    a = create(client, "a")
    assert client.delete(f"/api/products/{a['id']}").status_code == 204
    r = client.get(f"/api/products/{a['id']}")
    assert r.status_code == 404
    assert r.json() == {"detail": f"product {a['id']} not found"}


def test_delete_all_requires_confirm(client: TestClient) -> None:
    create(client, "a")
    create(client, "b")
    r = client.delete("/api/products")
    assert r.status_code == 400
    assert "confirm=true" in r.json()["detail"]
    assert client.get("/api/products").json()["total"] == 2
    assert client.delete("/api/products", params={"confirm": "true"}).json() == {"deleted": 2}
    assert client.get("/api/products").json()["total"] == 0


@pytest.mark.parametrize(
    ("method", "path", "payload", "status", "fragment"),
    [
        ("post", "/api/products", {"sku": "", "name": "x"}, 422, "sku"),
        ("post", "/api/products", {"sku": "   ", "name": "x"}, 422, "SKU must not be empty"),
        ("post", "/api/products", {"sku": "a"}, 422, "name"),
        ("post", "/api/products", {"sku": "a", "name": "x", "bogus": 1}, 422, "bogus"),
        ("post", "/api/products", {"sku": "a", "name": "x", "active": "maybe"}, 422, "active"),
        ("patch", "/api/products/1", {"name": ""}, 422, "name"),
        ("get", "/api/products?page=0", None, 422, "page"),
        ("get", "/api/products?page_size=100000", None, 422, "page_size"),
        ("get", "/api/products?active=perhaps", None, 422, "active"),
        ("get", "/api/products/not-a-number", None, 422, "product_id"),
        ("get", "/api/products/999999", None, 404, "not found"),
    ],
)
def test_bad_input_is_a_clear_4xx(
    client: TestClient, method: str, path: str, payload: object, status: int, fragment: str
) -> None:
    kwargs = {"json": payload} if payload is not None else {}
    r = client.request(method.upper(), path, **kwargs)  # type: ignore[arg-type]
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and fragment in detail


def test_malformed_json_body_is_422_not_500(client: TestClient) -> None:
    r = client.post(
        "/api/products", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], str)


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


def test_openapi_documents_the_products_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/api/products", "/api/products/{product_id}"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200


def test_count_exact_and_capped_are_both_offered(client: TestClient) -> None:
    for i in range(3):
        create(client, f"sku-{i}")
    capped = client.get("/api/products", params={"page_size": 1}).json()
    exact = client.get("/api/products", params={"page_size": 1, "count": "exact"}).json()
    assert (capped["total"], capped["total_capped"]) == (3, False)  # far below the cap
    assert (exact["total"], exact["total_capped"]) == (3, False)
    r = client.get("/api/products", params={"count": "roughly"})
    assert r.status_code == 422
    assert r.json()["detail"].startswith("count: ")
