from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from acme.domain.csv_rules import ImportRow, RowError
from acme.domain.import_job import ImportJob

__all__ = [
    "ImportJobRepository",
    "ImportRow",
    "MergeCounts",
    "ProductBulkWriter",
    "RowError",
    "TaskQueue",
]


@dataclass(frozen=True)
class MergeCounts:
    created: int
    updated: int
    unchanged: int


class ImportJobRepository(ABC):
    @abstractmethod
    def add(self, job: ImportJob) -> None: ...

    @abstractmethod
    def get(self, job_id: str, *, for_update: bool = False) -> ImportJob | None:
        """The job, or None. ``for_update`` locks its row until the unit of work ends, so a
        read-modify-write (progress, cancel, retry, ...) cannot overwrite a concurrent one."""

    @abstractmethod
    def update(self, job: ImportJob) -> None: ...

    @abstractmethod
    def list_recent(self, limit: int) -> list[ImportJob]:
        """Newest first."""

    @abstractmethod
    def add_errors(self, job_id: str, errors: Iterable[RowError]) -> None: ...

    @abstractmethod
    def iter_errors(self, job_id: str) -> Iterator[RowError]:
        """The job's rejected rows in line order."""

    @abstractmethod
    def clear_errors(self, job_id: str) -> None: ...

    def list_unfinished(self, limit: int = 1000) -> list[ImportJob]:
        """Queued and running jobs, newest first (what recovery looks at).

        A default on top of ``list_recent``; adapters may answer it with one indexed query."""
        return [job for job in self.list_recent(limit) if not job.finished]


class ProductBulkWriter(ABC):
    """Merges a stream of import rows into the catalog inside the current unit of work.

    Last row per SKU key wins; a row that changes nothing is counted as unchanged and not
    written; ``description``/``active`` of None leave an existing product's value as it is
    (a new product gets "" and True). Nothing is visible to others until the unit of work
    commits, so a failure or a rollback changes nothing.
    """

    @abstractmethod
    def merge(
        self,
        rows: Iterable[ImportRow],
        *,
        now: datetime,
        on_merge_progress: Callable[[float], None] | None = None,
    ) -> MergeCounts:
        """Consume ``rows`` (streamed, never all held in memory) and merge them.

        ``now`` stamps ``created_at``/``updated_at`` of the products written.
        ``on_merge_progress`` receives the fraction (0..1) of the merge step done, as far
        as the adapter can tell."""


class TaskQueue(ABC):
    """Runs an import off the web request path (Celery, or an in-process worker)."""

    @abstractmethod
    def enqueue_import(self, job_id: str) -> None: ...
