"""Request and response models of the JSON API (the OpenAPI schema comes from these)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from acme.application.ports import LIST_COUNT_CAP
from acme.domain.import_job import ImportJob
from acme.domain.product import Product


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=255)
    name: str = Field(min_length=1, max_length=255)
    description: str = ""
    active: bool = True


class ProductPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str | None = Field(default=None, min_length=1, max_length=255)
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = None
    active: bool | None = None


class ProductOut(BaseModel):
    id: int
    sku: str
    name: str
    description: str
    active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, product: Product) -> ProductOut:
        assert product.id is not None and product.created_at and product.updated_at
        return cls(
            id=product.id,
            sku=product.sku,
            name=product.name,
            description=product.description,
            active=product.active,
            created_at=product.created_at,
            updated_at=product.updated_at,
        )


class ProductPageOut(BaseModel):
    items: list[ProductOut]
    page: int
    page_size: int
    total: int = Field(
        description="Number of matching products: exact unless total_capped is true, then a "
        f"lower bound (matches up to the page's end plus up to {LIST_COUNT_CAP:,} more: fewer "
        "when the page's matches are sparse, so that counting stays cheap)."
    )
    total_capped: bool = Field(
        default=False,
        description=f"True when more matches follow this page than were counted (at most "
        f"{LIST_COUNT_CAP:,}): read total as 'at least'.",
    )


class DeletedOut(BaseModel):
    deleted: int


class ImportJobOut(BaseModel):
    """An import job as the API shows it (``GET /api/imports/{id}``, SSE events, ...)."""

    id: str
    status: str = Field(description="queued | running | completed | failed | cancelled")
    phase: str = Field(description="queued | parsing | merging | completed | failed | cancelled")
    percent: float
    bytes_total: int
    bytes_done: int
    rows_total: int | None
    rows_done: int
    created: int
    updated: int
    unchanged: int
    invalid: int
    duplicates_in_file: int
    error: str | None
    errors_url: str
    filename: str
    warnings: list[str]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: ImportJob) -> ImportJobOut:
        return cls(
            id=job.id,
            status=job.status.value,
            phase=job.phase.value,
            percent=round(job.percent, 1),
            bytes_total=job.bytes_total,
            bytes_done=job.bytes_done,
            rows_total=job.rows_total,
            rows_done=job.rows_done,
            created=job.created,
            updated=job.updated,
            unchanged=job.unchanged,
            invalid=job.invalid,
            duplicates_in_file=job.duplicates_in_file,
            error=job.error,
            errors_url=f"/api/imports/{job.id}/errors.csv",
            filename=job.filename,
            warnings=list(job.warnings),
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )
