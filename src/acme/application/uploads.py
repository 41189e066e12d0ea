"""Resumable uploads (the tus protocol's use cases): create, read the offset, append, terminate.

The bytes go through the FileStorage port (``append`` checks the offset, so two racing parts
cannot both land); the upload's state (length, confirmed offset, import job) lives in the
``uploads`` table through ``uow.uploads``. Each part is one short request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from acme.application import import_jobs
from acme.application.ports import Clock, FileStorage, TaskQueue, UnitOfWork
from acme.domain.errors import ConflictError, InvalidStateError, NotFoundError, TooLargeError
from acme.domain.import_job import ImportJob
from acme.domain.upload import Upload

UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class UploadLimits:
    max_size: int
    """Largest file accepted (bytes)."""
    max_part: int
    """Largest single PATCH body accepted (bytes)."""


def _get(uow: UnitOfWork, upload_id: str) -> Upload:
    upload = uow.uploads.get(upload_id)
    if upload is None:
        raise NotFoundError(f"upload {upload_id} not found")
    return upload


def create_upload(
    uow_factory: UowFactory,
    storage: FileStorage,
    clock: Clock,
    limits: UploadLimits,
    filename: str,
    length: int,
) -> Upload:
    if length > limits.max_size:
        raise TooLargeError(
            f"the file is {length:,} bytes; the largest accepted is {limits.max_size:,} bytes"
        )
    upload = Upload(filename=filename, length=length, created_at=clock.now())
    storage.append(upload.storage_key, 0, b"")  # the (empty) object exists from the start
    with uow_factory() as uow:
        uow.uploads.add(upload)
        uow.commit()
    return upload


def get_upload(uow_factory: UowFactory, storage: FileStorage, upload_id: str) -> Upload:
    """The upload with its confirmed offset.

    The stored bytes are the truth: if a part reached storage but its request died before the
    offset was recorded, the recorded offset catches up here, so the client resumes right
    after the last byte really stored (never re-sending nor skipping one)."""
    with uow_factory() as uow:
        upload = _get(uow, upload_id)
        stored = storage.size(upload.storage_key) or 0
        if stored != upload.offset and stored <= upload.length:
            upload.appended(stored)
            uow.uploads.update(upload)
            uow.commit()
        return upload


def append_to_upload(
    uow_factory: UowFactory,
    storage: FileStorage,
    clock: Clock,
    limits: UploadLimits,
    upload_id: str,
    offset: int,
    data: bytes,
) -> Upload:
    """Append one part at ``offset``; a wrong offset is a ConflictError (HTTP 409)."""
    if len(data) > limits.max_part:
        raise TooLargeError(
            f"a part of {len(data):,} bytes is larger than the {limits.max_part:,} accepted"
        )
    upload = get_upload(uow_factory, storage, upload_id)
    upload.check_append(offset, len(data))
    new_size = storage.append(upload.storage_key, offset, data)
    with uow_factory() as uow:
        current = _get(uow, upload_id)
        if new_size > current.offset:
            current.appended(new_size, clock.now())
            uow.uploads.update(current)
            uow.commit()
        return current


def terminate_upload(uow_factory: UowFactory, storage: FileStorage, upload_id: str) -> None:
    """Delete an upload and its bytes (tus termination). An upload already imported is kept:
    its file belongs to the import job now (a retry reads it again)."""
    with uow_factory() as uow:
        upload = _get(uow, upload_id)
        if upload.import_job_id is not None:
            raise ConflictError("this upload has been imported; its file is kept for the import")
        uow.uploads.delete(upload_id)
        uow.commit()
    storage.delete(upload.storage_key)


def expire_abandoned_uploads(
    uow_factory: UowFactory,
    storage: FileStorage,
    clock: Clock,
    expire_after: timedelta,
    *,
    limit: int = 100,
) -> list[str]:
    """Delete uploads (state and bytes) that no import has claimed and no bytes have reached
    for ``expire_after``: files given up half-way, or uploaded and never imported. A slow
    upload still receiving parts is kept however old it is. Returns the ids deleted. An
    upload claimed by an import, or sent a part, meanwhile is kept."""
    idle_since = clock.now() - expire_after
    with uow_factory() as uow:
        stale = uow.uploads.list_idle_unimported(idle_since, limit)
    expired: list[str] = []
    for upload in stale:
        with uow_factory() as uow:
            gone = uow.uploads.delete_idle_unimported(upload.id, idle_since)
            uow.commit()
        if gone:
            storage.delete(upload.storage_key)
            expired.append(upload.id)
    return expired


def import_upload(
    uow_factory: UowFactory, storage: FileStorage, queue: TaskQueue, clock: Clock, upload_id: str
) -> ImportJob:
    """Queue the import of a complete upload; the job reads the uploaded file where it is,
    nothing is copied. Asking again returns the same job, so a page that retries the request
    never imports a file twice, even when both requests arrive at once: the job is stored
    only together with its claim on the upload, which one request alone can win."""
    with uow_factory() as uow:
        upload = _get(uow, upload_id)
        existing = uow.imports.get(upload.import_job_id) if upload.import_job_id else None
    if existing is not None:
        return existing
    upload = get_upload(uow_factory, storage, upload_id)
    if not upload.complete:
        raise InvalidStateError(
            f"the upload is not complete yet ({upload.offset:,} of {upload.length:,} bytes "
            "received); send the rest first"
        )
    job = import_jobs.stored_import_job(
        storage, clock, storage_key=upload.storage_key, filename=upload.filename
    )

    def claim(uow: UnitOfWork) -> bool:
        upload.attach_import(job.id)
        return uow.uploads.claim_for_import(upload_id, job.id)

    queued = import_jobs.create_and_enqueue(uow_factory, queue, clock, job, claim=claim)
    if queued is not None:
        return queued
    with uow_factory() as uow:  # another request claimed the upload first: its job
        claimed = _get(uow, upload_id).import_job_id
        winner = uow.imports.get(claimed) if claimed else None
    if winner is None:
        raise NotFoundError(f"the import of upload {upload_id} is gone")
    return winner
