"""ProductRepository on SQLAlchemy Core (a data mapper: rows in, Product entities out)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    delete,
    func,
    insert,
    not_,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from acme.adapters.sqlalchemy.tables import DESCRIPTION_HALVES, products
from acme.application.ports import (
    LIST_COUNT_CAP,
    LIST_COUNT_WALK,
    ProductFilter,
    ProductPage,
    ProductRepository,
    count_cap_after,
)
from acme.domain.errors import ConflictError
from acme.domain.product import Product
from acme.domain.sku import sku_filter_key


def _escape_like(fragment: str) -> str:
    return fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _lower(text: str | None) -> str | None:
    return text.lower() if text is not None else None


def _register_sqlite_lower(conn: Connection) -> None:
    raw = conn.connection.driver_connection
    if raw is not None:
        raw.create_function("acme_lower", 1, _lower, deterministic=True)


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
    def __init__(
        self,
        conn: Connection,
        count_cap: int = LIST_COUNT_CAP,
        count_walk: int = LIST_COUNT_WALK,
    ) -> None:
        self._conn = conn
        self._count_cap = count_cap
        self._count_walk = count_walk

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

    def stream(self, batch_size: int = 1_000) -> Iterator[Product]:
        # stream_results: a server-side cursor on PostgreSQL (SQLite reads lazily anyway), so
        # one query, one snapshot, and only ``batch_size`` rows in memory at a time.
        query = select(products).order_by(products.c.id)
        result = self._conn.execute(query.execution_options(yield_per=batch_size))
        try:
            for row in result:
                yield row_to_product(row)
        finally:
            result.close()

    def count(self) -> int:
        return self._conn.execute(select(func.count()).select_from(products)).scalar_one()

    def _filtered(self, query: Select[Any], filters: ProductFilter) -> Select[Any]:
        if filters.sku:
            pattern = f"%{_escape_like(sku_filter_key(filters.sku))}%"
            query = query.where(products.c.sku_key.like(pattern, escape="\\"))
        if filters.name:
            query = query.where(self._contains(products.c.name, filters.name))
        if filters.description:
            if self._conn.dialect.name == "postgresql":
                query = query.where(self._description_contains(filters.description))
            else:
                query = query.where(self._contains(products.c.description, filters.description))
        if filters.active is not None:
            # A bare boolean (not "active IS false" or a bound parameter) lets PostgreSQL's
            # planner prove the partial index products_inactive (WHERE NOT active) applies.
            query = query.where(products.c.active if filters.active else not_(products.c.active))
        return query

    def _contains(self, column: ColumnElement[str], fragment: str) -> ColumnElement[bool]:
        """Case-insensitive 'contains'. PostgreSQL: ILIKE (Unicode-aware, and what the trigram
        indexes serve). SQLite's LIKE folds ASCII only, so there both sides go through
        Python's str.lower, registered on the connection as acme_lower()."""
        if self._conn.dialect.name == "sqlite":
            _register_sqlite_lower(self._conn)
            pattern = f"%{_escape_like(fragment.lower())}%"
            return func.acme_lower(column).like(pattern, escape="\\")
        return column.ilike(f"%{_escape_like(fragment)}%", escape="\\")

    def _description_contains(self, fragment: str) -> ColumnElement[bool]:
        """ILIKE over the two halves of the description trigram index (migration 0009):
        ``(description ILIKE p AND id % 2 = 0) OR (description ILIKE p' AND id % 2 <> 0)``.
        Each half's predicate, written literally, lets the planner use that partial index (a
        BitmapOr of both); the halves together cover every id. The second pattern ends with a
        redundant ``%`` (same matches, same trigrams) because with two identical ILIKEs the
        planner factors the ILIKE out of the OR and then can use neither partial index. The
        id test comes first so that when the planner filters rows instead (a frequent
        phrase: walking the primary key is cheaper), each row runs one ILIKE, not two."""
        base = f"%{_escape_like(fragment)}%"
        return or_(
            *(
                and_(text(half), products.c.description.ilike(base + "%" * i, escape="\\"))
                for i, half in enumerate(DESCRIPTION_HALVES)
            )
        )

    def _count_matches(
        self, filters: ProductFilter, after_id: int | None, limit: int | None
    ) -> int:
        """Matches with an id above ``after_id``, counted no further than ``limit``."""
        query = self._filtered(select(products.c.id), filters)
        if after_id is not None:
            query = query.where(products.c.id > after_id)
        if limit is not None:
            query = query.limit(limit)
        bounded = query.subquery("bounded")
        return int(self._conn.execute(select(func.count()).select_from(bounded)).scalar_one())

    def list(
        self, filters: ProductFilter, page: int, page_size: int, *, exact_total: bool = False
    ) -> ProductPage:
        """One page, and a count that stays cheap however large the catalog is.

        - The page is a deferred join: the ids of the window are found first (for no filter or
          ``active=false`` an index-only scan of the primary key or of products_inactive, so a
          deep OFFSET skips index entries, not heap rows), then only those rows are read.
        - The count is exact when the page is the last one (nothing to count) and otherwise
          counts the matches *after* the page, up to ``count_cap``, or fewer when the page's
          matches are sparse, so that counting walks about ``count_walk`` products
          (``count_cap_after``); beyond that the total is a lower bound marked
          ``total_capped`` (see ProductPage). ``exact_total`` counts every match instead, at
          the price of reading them all.
        """
        offset = (page - 1) * page_size
        window = (
            self._filtered(select(products.c.id), filters)
            .order_by(products.c.id)
            .offset(offset)
            .limit(page_size)
            .subquery("window")
        )
        rows = self._conn.execute(
            select(products)
            .join_from(products, window, products.c.id == window.c.id)
            .order_by(products.c.id)
        ).all()
        items = [row_to_product(r) for r in rows]
        seen = offset + len(items)
        if (items and len(items) < page_size) or (not items and offset == 0):
            return ProductPage(items, page, page_size, seen)
        after_id = items[-1].id if items else None
        counted = seen if items else 0
        if exact_total:
            more = self._count_matches(filters, after_id, None)
            return ProductPage(items, page, page_size, counted + more)
        cap = count_cap_after([p.id or 0 for p in items], self._count_cap, self._count_walk)
        more = self._count_matches(filters, after_id, cap + 1)
        return ProductPage(
            items, page, page_size, counted + min(more, cap), total_capped=more > cap
        )
