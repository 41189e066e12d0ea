"""/api/uploads: resumable uploads with the tus protocol v1.0.0 (core, creation, termination).

The upload page sends the file in parts of a few MB with tus-js-client, so every request is
short and a dropped connection or a reload resumes from the last confirmed byte:

- ``OPTIONS /api/uploads`` what this server supports (``Tus-Version``, ``Tus-Extension``,
  ``Tus-Max-Size``);
- ``POST /api/uploads`` with ``Upload-Length`` (and ``Upload-Metadata: filename <base64>``)
  creates an upload: 201 with its ``Location``;
- ``HEAD /api/uploads/{id}`` the confirmed ``Upload-Offset``;
- ``PATCH /api/uploads/{id}`` with ``Upload-Offset`` and
  ``Content-Type: application/offset+octet-stream`` appends one part: 204 with the new offset
  (409 if the offset is not the confirmed one);
- ``DELETE /api/uploads/{id}`` terminates an upload that was not imported;
- ``POST /api/uploads/{id}/import`` (not tus: this app's addition) queues the import of the
  complete upload: 202 with the ImportJob, the same as ``POST /api/imports`` returns.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool

from acme.application import uploads as use_cases
from acme.domain.errors import TooLargeError
from acme.entrypoints.api.deps import TheClock, TheContainer, TheStorage, TheTaskQueue, Uow
from acme.entrypoints.api.errors import TusError, UnsupportedVersionError, WrongContentTypeError
from acme.entrypoints.api.schemas import ImportJobOut

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
MAX_PART_BYTES = 64 * 1024 * 1024

router = APIRouter(prefix="/api/uploads", tags=["uploads"])


def limits(c: TheContainer) -> use_cases.UploadLimits:
    settings = c.settings()
    return use_cases.UploadLimits(max_size=settings.upload_max_bytes, max_part=MAX_PART_BYTES)


def _tus_headers(**extra: str) -> dict[str, str]:
    return {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store", **extra}


def _check_version(tus_resumable: str | None) -> None:
    if tus_resumable is None:
        raise TusError("missing header Tus-Resumable (this server speaks tus 1.0.0)")
    if tus_resumable != TUS_VERSION:
        raise UnsupportedVersionError(
            f"Tus-Resumable {tus_resumable} is not supported; use {TUS_VERSION}"
        )


def _whole_number(name: str, value: str | None) -> int:
    if value is None:
        raise TusError(f"missing header {name}")
    if not value.isdigit():
        raise TusError(f"header {name} must be a whole number of bytes, got {value!r}")
    return int(value)


def parse_metadata(value: str | None) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs (value optional)."""
    result: dict[str, str] = {}
    for pair in (value or "").split(","):
        parts = pair.strip().split(" ")
        if not parts[0]:
            continue
        if len(parts) > 2:
            raise TusError(f"Upload-Metadata pair {pair.strip()!r} is malformed")
        try:
            decoded = base64.b64decode(parts[1], validate=True) if len(parts) == 2 else b""
            result[parts[0]] = decoded.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise TusError(f"Upload-Metadata value of {parts[0]!r} is not base64 UTF-8") from None
    return result


def _encode_metadata(filename: str) -> str:
    return "filename " + base64.b64encode(filename.encode()).decode()


@router.options("", status_code=204, summary="tus: what this server supports")
def tus_options(c: TheContainer) -> Response:
    return Response(
        status_code=204,
        headers=_tus_headers(
            **{
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": TUS_EXTENSIONS,
                "Tus-Max-Size": str(c.settings().upload_max_bytes),
            }
        ),
    )


@router.post("", status_code=201, summary="tus: create an upload")
def create_upload(
    request: Request,
    uow: Uow,
    storage: TheStorage,
    clock: TheClock,
    c: TheContainer,
    tus_resumable: Annotated[str | None, Header()] = None,
    upload_length: Annotated[str | None, Header()] = None,
    upload_metadata: Annotated[str | None, Header()] = None,
    upload_defer_length: Annotated[str | None, Header()] = None,
) -> Response:
    _check_version(tus_resumable)
    if upload_length is None and upload_defer_length is not None:
        raise TusError("Upload-Defer-Length is not supported; send Upload-Length")
    length = _whole_number("Upload-Length", upload_length)
    metadata = parse_metadata(upload_metadata)
    upload = use_cases.create_upload(
        uow, storage, clock, limits(c), metadata.get("filename", ""), length
    )
    return Response(
        status_code=201,
        headers=_tus_headers(Location=f"/api/uploads/{upload.id}", **{"Upload-Offset": "0"}),
    )


@router.head("/{upload_id}", summary="tus: the confirmed offset of an upload")
def upload_offset(
    upload_id: str,
    uow: Uow,
    storage: TheStorage,
    tus_resumable: Annotated[str | None, Header()] = None,
) -> Response:
    _check_version(tus_resumable)
    upload = use_cases.get_upload(uow, storage, upload_id)
    return Response(
        status_code=200,
        headers=_tus_headers(
            **{
                "Upload-Offset": str(upload.offset),
                "Upload-Length": str(upload.length),
                "Upload-Metadata": _encode_metadata(upload.filename),
            }
        ),
    )


@router.patch("/{upload_id}", status_code=204, summary="tus: append one part at Upload-Offset")
async def append_part(
    upload_id: str,
    request: Request,
    uow: Uow,
    storage: TheStorage,
    clock: TheClock,
    c: TheContainer,
    tus_resumable: Annotated[str | None, Header()] = None,
    upload_offset: Annotated[str | None, Header()] = None,
    content_type: Annotated[str | None, Header()] = None,
    content_length: Annotated[str | None, Header()] = None,
) -> Response:
    _check_version(tus_resumable)
    if (content_type or "").split(";")[0].strip().lower() != OFFSET_CONTENT_TYPE:
        raise WrongContentTypeError(f"a PATCH must have Content-Type: {OFFSET_CONTENT_TYPE}")
    offset = _whole_number("Upload-Offset", upload_offset)
    bounds = limits(c)
    declared = int(content_length) if content_length and content_length.isdigit() else 0
    if declared > bounds.max_part:
        raise TooLargeError(
            f"a part of {declared:,} bytes is larger than the {bounds.max_part:,} accepted; "
            "send smaller parts"
        )
    data = await request.body()
    upload = await run_in_threadpool(
        use_cases.append_to_upload, uow, storage, clock, bounds, upload_id, offset, data
    )
    return Response(status_code=204, headers=_tus_headers(**{"Upload-Offset": str(upload.offset)}))


@router.delete("/{upload_id}", status_code=204, summary="tus: terminate an upload")
def terminate(
    upload_id: str,
    uow: Uow,
    storage: TheStorage,
    tus_resumable: Annotated[str | None, Header()] = None,
) -> Response:
    _check_version(tus_resumable)
    use_cases.terminate_upload(uow, storage, upload_id)
    return Response(status_code=204, headers=_tus_headers())


@router.post(
    "/{upload_id}/import",
    response_model=ImportJobOut,
    status_code=202,
    summary="Import a complete upload",
    responses={
        404: {"description": "no such upload"},
        409: {"description": "the upload is not complete"},
        422: {"description": "empty file or not a CSV"},
    },
)
def import_upload(
    upload_id: str, uow: Uow, storage: TheStorage, queue: TheTaskQueue, clock: TheClock
) -> ImportJobOut:
    """The resumable path beside ``POST /api/imports``: after the tus upload is complete,
    queue its import. Returns 202 with the queued ImportJob (asking again returns the same
    job); follow it with ``GET /api/imports/{id}`` or ``/api/imports/{id}/events``."""
    return ImportJobOut.of(use_cases.import_upload(uow, storage, queue, clock, upload_id))
