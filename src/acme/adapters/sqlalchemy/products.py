"""ProductRepository on SQLAlchemy Core (a data mapper: rows in, Product entities out)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from acme.adapters.sqlalchemy.tables import products
from acme.application.ports import ProductFilter, ProductPage, ProductRepository
from acme.domain.errors import ConflictError
from acme.domain.product import Product
from acme.domain.sku import sku_filter_key


def _escape_like(fragment: str) -> str:
    return fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def row_to_product(row: Any) -> Product:
    product = Product(
        sku=row.sku,
        name=row.name,
        description=row.description,
        active=row.active,
        id=row.id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
    return product


def _values(product: Product) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "sku_key": product.key,
        "name": product.name,
        "description": product.description,
        "active": product.active,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
    }


class SqlProductRepository(ProductRepository):
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, product: Product) -> Product:
        try:
            with self._conn.begin_nested():
                new_id = self._conn.execute(
                    insert(products).values(_values(product)).returning(products.c.id)
                ).scalar_one()
        except IntegrityError as exc:
            raise ConflictError(f"SKU '{product.sku}' is already used by another product") from exc
        product.id = new_id
        return product

    def get(self, product_id: int) -> Product | None:
        row = self._conn.execute(select(products).where(products.c.id == product_id)).first()
        return row_to_product(row) if row else None

    def get_by_key(self, key: str) -> Product | None:
        row = self._conn.execute(select(products).where(products.c.sku_key == key)).first()
        return row_to_product(row) if row else None

    def update(self, product: Product) -> Product:
        values = _values(product)
        values.pop("created_at")
        try:
            with self._conn.begin_nested():
                self._conn.execute(
                    update(products).where(products.c.id == product.id).values(values)
                )
        except IntegrityError as exc:
            raise ConflictError(f"SKU '{product.sku}' is already used by another product") from exc
        return product

    def delete(self, product_id: int) -> bool:
        result = self._conn.execute(delete(products).where(products.c.id == product_id))
        return result.rowcount > 0

    def delete_all(self) -> int:
        """Empty the catalog inside the caller's transaction; return how many rows went.

        PostgreSQL (see docs/decisions/0007): block writers with an EXCLUSIVE lock (readers
        go on), count, then TRUNCATE, which needs ACCESS EXCLUSIVE and so blocks readers, but
        only from the moment it gets the lock until the unit of work commits (milliseconds).
        A short lock_timeout bounds how long readers can queue behind the waiting TRUNCATE;
        if it expires (a long read holds the table) fall back to an MVCC DELETE, which never
        blocks readers but takes seconds at 500k rows. Other backends: a plain DELETE.
        """
        if self._conn.dialect.name != "postgresql":
            return self._conn.execute(delete(products)).rowcount
        conn = self._conn
        conn.execute(text("LOCK TABLE products IN EXCLUSIVE MODE"))
        deleted = int(conn.execute(select(func.count()).select_from(products)).scalar_one())
        if deleted == 0:
            return 0
        try:
            with conn.begin_nested():
                conn.execute(text("SET LOCAL lock_timeout = '200ms'"))
                conn.execute(text("TRUNCATE TABLE products"))
        except DBAPIError:  # lock_timeout expired (or a foreign key forbids TRUNCATE)
            conn.execute(delete(products))
        conn.execute(text("SET LOCAL lock_timeout = DEFAULT"))
        return deleted

    def count(self) -> int:
        return self._conn.execute(select(func.count()).select_from(products)).scalar_one()

    def _filtered(self, query: Select[Any], filters: ProductFilter) -> Select[Any]:
        if filters.sku:
            pattern = f"%{_escape_like(sku_filter_key(filters.sku))}%"
            query = query.where(products.c.sku_key.like(pattern, escape="\\"))
        if filters.name:
            query = query.where(
                products.c.name.ilike(f"%{_escape_like(filters.name)}%", escape="\\")
            )
        if filters.description:
            query = query.where(
                products.c.description.ilike(f"%{_escape_like(filters.description)}%", escape="\\")
            )
        if filters.active is not None:
            query = query.where(products.c.active.is_(filters.active))
        return query

    def list(self, filters: ProductFilter, page: int, page_size: int) -> ProductPage:
        total = self._conn.execute(
            self._filtered(select(func.count()).select_from(products), filters)
        ).scalar_one()
        rows = self._conn.execute(
            self._filtered(select(products), filters)
            .order_by(products.c.id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).all()
        return ProductPage(
            items=[row_to_product(r) for r in rows], page=page, page_size=page_size, total=total
        )
