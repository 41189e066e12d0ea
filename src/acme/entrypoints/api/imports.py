"""/api/imports: submit a CSV, follow its progress (JSON or Server-Sent Events), download the
rejected rows, cancel and retry. Routes parse, call one use case, render."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import anyio
import anyio.from_thread
import anyio.to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from acme.application import import_jobs as use_cases
from acme.domain.import_job import ImportJob
from acme.entrypoints.api.deps import TheClock, TheStorage, TheTaskQueue, Uow
from acme.entrypoints.api.multipart_stream import MultipartFile
from acme.entrypoints.api.schemas import ImportJobOut

router = APIRouter(prefix="/api/imports", tags=["imports"])

SSE_POLL_SECONDS = 0.2
SSE_KEEPALIVE_SECONDS = 15.0

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "the CSV (UTF-8, header row first)",
                        }
                    },
                }
            }
        },
    }
}

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such import"}}


@router.post(
    "",
    response_model=ImportJobOut,
    status_code=202,
    openapi_extra=_UPLOAD_BODY,
    responses={422: {"description": "empty upload, not a CSV, or no 'file' field"}},
)
async def submit_import(
    request: Request, uow: Uow, storage: TheStorage, queue: TheTaskQueue, clock: TheClock
) -> ImportJobOut:
    """Upload a CSV as multipart field ``file``; it is streamed to storage as it arrives (never
    held in memory) and queued. Returns 202 with the queued ImportJob; follow it with
    ``GET /api/imports/{id}`` or ``GET /api/imports/{id}/events``."""
    stream = request.stream()

    async def next_chunk() -> bytes | None:
        try:
            return await stream.__anext__()
        except StopAsyncIteration:
            return None

    def body() -> Iterator[bytes]:
        while (chunk := anyio.from_thread.run(next_chunk)) is not None:
            yield chunk

    def work() -> ImportJob:
        upload = MultipartFile(body(), request.headers.get("content-type", ""))
        return use_cases.submit_import(
            uow, storage, queue, clock, filename=upload.filename, chunks=upload
        )

    job = await anyio.to_thread.run_sync(work)
    return ImportJobOut.of(job)


@router.get("", response_model=list[ImportJobOut])
def list_imports(
    uow: Uow, limit: Annotated[int, Query(ge=1, le=use_cases.MAX_LIST)] = 50
) -> list[ImportJobOut]:
    """Recent imports, newest first."""
    return [ImportJobOut.of(j) for j in use_cases.list_imports(uow, limit)]


@router.get("/{job_id}", response_model=ImportJobOut, responses=_NOT_FOUND)
def get_import(job_id: str, uow: Uow) -> ImportJobOut:
    return ImportJobOut.of(use_cases.get_import(uow, job_id))


def _sse(event: str, data: str) -> bytes:
    return f"event: {event}\ndata: {data}\n\n".encode()


@router.get(
    "/{job_id}/events",
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "a `progress` event per change, then one `completed`, `failed` or "
            "`cancelled` event; each event's data is the ImportJob JSON",
        },
        **_NOT_FOUND,
    },
)
async def import_events(job_id: str, request: Request, uow: Uow) -> StreamingResponse:
    """Server-Sent Events: the job is read every ~200 ms; each change is sent as a
    ``progress`` event, and the stream ends with a ``completed``, ``failed`` or ``cancelled``
    event carrying the final ImportJob."""
    first = await anyio.to_thread.run_sync(use_cases.get_import, uow, job_id)  # 404 up front

    async def events() -> AsyncIterator[bytes]:
        job = first
        last = ""
        quiet = 0.0
        yield b"retry: 1000\n\n"
        while True:
            data = ImportJobOut.of(job).model_dump_json()
            if job.finished:
                yield _sse(job.status.value, data)
                return
            if data != last:
                yield _sse("progress", data)
                last, quiet = data, 0.0
            elif quiet >= SSE_KEEPALIVE_SECONDS:
                yield b": keep-alive\n\n"
                quiet = 0.0
            await anyio.sleep(SSE_POLL_SECONDS)
            quiet += SSE_POLL_SECONDS
            if await request.is_disconnected():
                return
            job = await anyio.to_thread.run_sync(use_cases.get_import, uow, job_id)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/{job_id}/errors.csv",
    responses={
        200: {"content": {"text/csv": {}}, "description": "line,sku,column,reason"},
        **_NOT_FOUND,
    },
)
def import_errors_csv(job_id: str, uow: Uow) -> StreamingResponse:
    """The rejected rows of the import as CSV (``line,sku,column,reason``), streamed."""
    rows = use_cases.import_errors(uow, job_id)

    def lines() -> Iterator[bytes]:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["line", "sku", "column", "reason"])
        for n, err in enumerate(rows, 1):
            writer.writerow([err.line, err.sku, err.column, err.reason])
            if n % 1000 == 0:
                yield buf.getvalue().encode()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue().encode()

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job_id}-errors.csv"'},
    )


@router.post(
    "/{job_id}/cancel",
    response_model=ImportJobOut,
    responses={**_NOT_FOUND, 409: {"description": "the import is already finished"}},
)
def cancel_import(job_id: str, uow: Uow, clock: TheClock) -> ImportJobOut:
    """Cancel a queued import at once, or ask a running one to stop at its next checkpoint
    (it then rolls back: the catalog is left as it was)."""
    return ImportJobOut.of(use_cases.cancel_import(uow, clock, job_id))


@router.post(
    "/{job_id}/retry",
    response_model=ImportJobOut,
    status_code=202,
    responses={**_NOT_FOUND, 409: {"description": "the import is not failed or cancelled"}},
)
def retry_import(
    job_id: str, uow: Uow, storage: TheStorage, queue: TheTaskQueue, clock: TheClock
) -> ImportJobOut:
    """Queue a failed or cancelled import again from its stored file."""
    return ImportJobOut.of(use_cases.retry_import(uow, storage, queue, clock, job_id))
