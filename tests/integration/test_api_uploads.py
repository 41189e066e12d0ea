"""The tus 1.0.0 upload API over HTTP (in-process ASGI), on both databases: headers, status
codes and what was actually stored, including resuming after a dropped part."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.apps import make_app

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = {**TUS, "Content-Type": "application/offset+octet-stream"}


@pytest.fixture
def storage_dir(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


@pytest.fixture
def client(database_url: str, storage_dir: Path) -> Iterator[TestClient]:
    app = make_app(database_url, storage_url=f"file://{storage_dir}", upload_max_bytes=1000)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    app.state.container.engine().dispose()


def meta(filename: str) -> str:
    return "filename " + base64.b64encode(filename.encode()).decode()


def create(client: TestClient, length: int, filename: str = "products.csv") -> str:
    r = client.post(
        "/api/uploads",
        headers={**TUS, "Upload-Length": str(length), "Upload-Metadata": meta(filename)},
    )
    assert r.status_code == 201, r.text
    assert r.headers["Tus-Resumable"] == "1.0.0"
    location = r.headers["Location"]
    assert location.startswith("/api/uploads/")
    return location


def patch(client: TestClient, url: str, offset: int, data: bytes) -> int:
    r = client.patch(url, headers={**OCTETS, "Upload-Offset": str(offset)}, content=data)
    return r.status_code


def test_options_announce_version_extensions_and_max_size(client: TestClient) -> None:
    r = client.options("/api/uploads")
    assert r.status_code == 204
    assert r.headers["Tus-Version"] == "1.0.0"
    assert set(r.headers["Tus-Extension"].split(",")) == {"creation", "termination"}
    assert r.headers["Tus-Max-Size"] == "1000"


def test_a_file_sent_in_parts_is_stored_byte_for_byte(
    client: TestClient, storage_dir: Path
) -> None:
    data = bytes(range(256)) * 3 + b"tail"
    url = create(client, len(data), "Käse café.csv")
    head = client.head(url, headers=TUS)
    assert head.status_code == 200
    assert (head.headers["Upload-Offset"], head.headers["Upload-Length"]) == ("0", str(len(data)))
    assert head.headers["Cache-Control"] == "no-store"
    assert base64.b64decode(head.headers["Upload-Metadata"].split(" ")[1]).decode() == (
        "Käse café.csv"
    )
    for start in range(0, len(data), 300):
        r = client.patch(
            url, headers={**OCTETS, "Upload-Offset": str(start)}, content=data[start : start + 300]
        )
        assert r.status_code == 204, r.text
        assert r.headers["Upload-Offset"] == str(min(start + 300, len(data)))
    assert client.head(url, headers=TUS).headers["Upload-Offset"] == str(len(data))
    upload_id = url.rsplit("/", 1)[1]
    assert (storage_dir / "uploads" / upload_id).read_bytes() == data


def test_resume_after_a_dropped_part_starts_at_the_confirmed_offset(
    client: TestClient, storage_dir: Path
) -> None:
    data = b"0123456789" * 50
    url = create(client, len(data))
    assert patch(client, url, 0, data[:200]) == 204
    # The client sent the next part but the connection dropped before the server stored it:
    # the server never saw it, so HEAD still reports 200 and a repeat of the part lands once.
    offset = int(client.head(url, headers=TUS).headers["Upload-Offset"])
    assert offset == 200
    assert patch(client, url, offset, data[offset:400]) == 204
    # A retried part the server already stored is refused (409), not stored twice.
    assert patch(client, url, 200, data[200:400]) == 409
    assert patch(client, url, 400, data[400:]) == 204
    upload_id = url.rsplit("/", 1)[1]
    assert (storage_dir / "uploads" / upload_id).read_bytes() == data


def test_bad_requests_are_refused_with_readable_reasons(client: TestClient) -> None:
    r = client.post("/api/uploads", headers={"Upload-Length": "10"})
    assert (r.status_code, r.json()["detail"]) == (
        400,
        "missing header Tus-Resumable (this server speaks tus 1.0.0)",
    )
    r = client.post("/api/uploads", headers={"Tus-Resumable": "0.2.2", "Upload-Length": "10"})
    assert r.status_code == 412
    r = client.post("/api/uploads", headers=TUS)
    assert (r.status_code, r.json()["detail"]) == (400, "missing header Upload-Length")
    r = client.post("/api/uploads", headers={**TUS, "Upload-Length": "ten"})
    assert r.status_code == 400
    r = client.post("/api/uploads", headers={**TUS, "Upload-Length": "1001"})
    assert r.status_code == 413
    assert "largest accepted is 1,000 bytes" in r.json()["detail"]
    r = client.post(
        "/api/uploads", headers={**TUS, "Upload-Length": "5", "Upload-Metadata": "filename !!"}
    )
    assert r.status_code == 400

    url = create(client, 10)
    r = client.patch(url, headers={**TUS, "Upload-Offset": "0"}, content=b"abc")
    assert r.status_code == 415
    r = client.patch(url, headers=OCTETS, content=b"abc")
    assert (r.status_code, r.json()["detail"]) == (400, "missing header Upload-Offset")
    assert patch(client, url, 3, b"abc") == 409
    assert patch(client, url, 0, b"x" * 11) == 413
    assert client.head(url, headers=TUS).headers["Upload-Offset"] == "0"
    assert client.head("/api/uploads/nope", headers=TUS).status_code == 404
    assert patch(client, "/api/uploads/nope", 0, b"a") == 404


def test_termination_deletes_the_upload_and_its_bytes(
    client: TestClient, storage_dir: Path
) -> None:
    url = create(client, 10)
    assert patch(client, url, 0, b"12345") == 204
    r = client.delete(url, headers=TUS)
    assert r.status_code == 204
    assert client.head(url, headers=TUS).status_code == 404
    assert not (storage_dir / "uploads" / url.rsplit("/", 1)[1]).exists()


def test_a_complete_upload_is_imported_through_the_import_api(client: TestClient) -> None:
    data = b"sku,name\nA-1,Chair\n"
    url = create(client, len(data), "chairs.csv")
    r = client.post(f"{url}/import")
    assert (r.status_code, r.json()["detail"]) == (
        409,
        f"the upload is not complete yet (0 of {len(data)} bytes received); send the rest first",
    )
    assert patch(client, url, 0, data) == 204
    r = client.post(f"{url}/import")
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["bytes_total"] == len(data)
    assert job["status"] in {"queued", "running", "completed", "failed"}
    assert client.get(f"/api/imports/{job['id']}").json()["id"] == job["id"]
    assert client.post(f"{url}/import").json()["id"] == job["id"]
    assert client.post("/api/uploads/unknown/import").status_code == 404
