"""Request and response models of the JSON API (the OpenAPI schema comes from these)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from acme.application.ports import LIST_COUNT_CAP
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
        f"lower bound (matches up to the page's end plus {LIST_COUNT_CAP:,} more)."
    )
    total_capped: bool = Field(
        default=False,
        description=f"True when more than {LIST_COUNT_CAP:,} matches follow this page, so "
        "counting stopped there: read total as 'at least'.",
    )


class DeletedOut(BaseModel):
    deleted: int
