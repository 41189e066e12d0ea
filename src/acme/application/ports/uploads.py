from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from acme.domain.upload import Upload


class UploadRepository(ABC):
    """State of resumable uploads (the bytes themselves live in FileStorage)."""

    @abstractmethod
    def add(self, upload: Upload) -> None: ...

    @abstractmethod
    def get(self, upload_id: str) -> Upload | None: ...

    @abstractmethod
    def update(self, upload: Upload) -> None:
        """Store the upload's offset, import job id and last activity."""

    @abstractmethod
    def claim_for_import(self, upload_id: str, job_id: str) -> bool:
        """Record ``job_id`` as the upload's import unless it has one already, atomically (of
        two concurrent claims exactly one wins); return whether this claim won."""

    @abstractmethod
    def list_idle_unimported(self, idle_since: datetime, limit: int) -> list[Upload]:
        """Uploads no import has claimed and no bytes have reached since before
        ``idle_since``, idle longest first."""

    @abstractmethod
    def delete_idle_unimported(self, upload_id: str, idle_since: datetime) -> bool:
        """Delete the upload's state unless an import has claimed it or bytes have reached
        it since ``idle_since`` meanwhile (atomically); return whether it was deleted."""

    @abstractmethod
    def delete(self, upload_id: str) -> bool:
        """Remove the upload's state; return whether it existed."""
