"""The Upload entity: one resumable (tus) file upload, growing part by part to its length."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from acme.domain.errors import ConflictError, InvalidStateError, TooLargeError, ValidationError

MAX_FILENAME = 255


@dataclass
class Upload:
    filename: str
    length: int
    created_at: datetime
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    offset: int = 0
    import_job_id: str | None = None
    #: when bytes last arrived (the creation, until a first part does): an upload is
    #: abandoned when it has been idle too long, however long it has been going on
    active_at: datetime | None = None

    def __post_init__(self) -> None:
        self.filename = (self.filename or "").strip()[:MAX_FILENAME] or "upload.csv"
        if self.active_at is None:
            self.active_at = self.created_at
        if self.length < 0:
            raise ValidationError("Upload-Length must be a whole number of bytes, 0 or more")

    @property
    def storage_key(self) -> str:
        return f"uploads/{self.id}"

    @property
    def complete(self) -> bool:
        return self.offset == self.length

    def check_append(self, offset: int, size: int) -> None:
        """Refuse a part that does not start at the confirmed offset or overruns the length."""
        if offset != self.offset:
            raise ConflictError(
                f"Upload-Offset {offset} does not match the {self.offset} bytes received so far"
            )
        if offset + size > self.length:
            raise TooLargeError(
                f"this part would grow the upload past its declared length of {self.length} bytes"
            )

    def appended(self, new_offset: int, at: datetime | None = None) -> None:
        """The stored bytes now end at ``new_offset``; ``at``: when a part arrived."""
        if not 0 <= new_offset <= self.length:
            raise InvalidStateError(f"offset {new_offset} is outside the upload's length")
        self.offset = new_offset
        if at is not None:
            self.active_at = at

    def attach_import(self, job_id: str) -> None:
        if not self.complete:
            raise InvalidStateError(
                f"the upload is not complete yet ({self.offset} of {self.length} bytes received)"
            )
        self.import_job_id = job_id
