"""The FileStorage contract suite on the real adapters: a local folder, and S3 through a real
S3-compatible HTTP server (moto in server mode), plus what only S3 has to prove."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from acme.adapters.storage.local import LocalFileStorage
from acme.adapters.storage.s3 import S3FileStorage, parse_s3_url
from acme.application.ports import FileStorage
from acme.domain.errors import ConflictError
from acme.entrypoints.container import build_storage
from tests.s3server import new_bucket, s3_client, s3_server
from tests.suites.file_storage import *  # noqa: F403
from tests.suites.file_storage import read_all


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with s3_server() as endpoint:
        yield endpoint


def make_s3(endpoint: str, prefix: str = "acme/uploads") -> S3FileStorage:
    return S3FileStorage(new_bucket(endpoint), prefix, client=s3_client(endpoint))


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> FileStorage:
    if request.param == "local":
        return LocalFileStorage(tmp_path / "uploads")
    return make_s3(request.getfixturevalue("s3_endpoint"))


def test_s3_objects_live_under_the_prefix_and_appends_are_part_objects(s3_endpoint: str) -> None:
    storage = make_s3(s3_endpoint, "team/a")
    storage.write("uploads/w", [b"whole"])
    storage.append("uploads/r", 0, b"ab")
    storage.append("uploads/r", 2, b"cd")
    listed = s3_client(s3_endpoint).list_objects_v2(Bucket=storage.bucket)["Contents"]
    assert sorted(o["Key"] for o in listed) == [
        "team/a/.parts/uploads/r/00000000000000000000",
        "team/a/.parts/uploads/r/00000000000000000002",
        "team/a/uploads/w",
    ]
    storage.delete("uploads/r")
    listed = s3_client(s3_endpoint).list_objects_v2(Bucket=storage.bucket)["Contents"]
    assert [o["Key"] for o in listed] == ["team/a/uploads/w"]


def test_two_hosts_racing_for_the_same_offset_conflict(
    s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    web1 = make_s3(s3_endpoint)
    web2 = S3FileStorage(web1.bucket, web1.prefix, client=s3_client(s3_endpoint))
    web1.append("uploads/race", 0, b"first")
    monkeypatch.setattr(web2, "size", lambda key: 0)  # web2 read the size before web1 wrote
    with pytest.raises(ConflictError, match="resume"):
        web2.append("uploads/race", 0, b"second")
    assert read_all(web1, "uploads/race") == b"first"


def test_an_upload_started_on_one_host_continues_on_another(s3_endpoint: str) -> None:
    web1 = make_s3(s3_endpoint)
    web2 = S3FileStorage(web1.bucket, web1.prefix, client=s3_client(s3_endpoint))
    web1.append("uploads/u", 0, b"sku,name\n")
    assert web2.size("uploads/u") == 9
    web2.append("uploads/u", 9, b"a,b\n")
    assert read_all(web1, "uploads/u") == b"sku,name\na,b\n"


def test_the_storage_url_selects_s3_with_an_endpoint_override(
    s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    bucket = new_bucket(s3_endpoint)
    storage = build_storage(f"s3://{bucket}/p/q/", s3_endpoint_url=s3_endpoint)
    assert isinstance(storage, S3FileStorage)
    storage.write("uploads/x", [b"hello"])
    body = s3_client(s3_endpoint).get_object(Bucket=bucket, Key="p/q/uploads/x")["Body"].read()
    assert body == b"hello"


def test_parse_s3_url() -> None:
    assert parse_s3_url("s3://bucket") == ("bucket", "")
    assert parse_s3_url("s3://bucket/a/b/") == ("bucket", "a/b")
    with pytest.raises(ValueError, match="no bucket"):
        parse_s3_url("s3:///x")
    with pytest.raises(ValueError, match="unsupported ACME_STORAGE_URL"):
        build_storage("ftp://x")
