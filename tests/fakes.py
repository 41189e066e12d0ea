"""In-memory fakes of the ports. They subclass the real port classes, so a changed signature
breaks them loudly, and the shared suites in tests/suites run against them and the real
adapters alike, so their behaviour cannot drift apart."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import BinaryIO
from urllib.parse import urlsplit

from acme.application.ports import (
    LIST_COUNT_CAP,
    LIST_COUNT_WALK,
    AddressGuard,
    Clock,
    DeliveryRepository,
    EventPublisher,
    FileStorage,
    ImportJobRepository,
    ImportRow,
    MergeCounts,
    OutboxEvent,
    OutboxReader,
    ProductBulkWriter,
    ProductFilter,
    ProductPage,
    ProductRepository,
    RowError,
    TaskQueue,
    UnitOfWork,
    UploadRepository,
    WebhookRepository,
    WebhookSender,
    count_cap_after,
)
from acme.application.webhooks import event_body
from acme.domain.errors import ConflictError, NotFoundError
from acme.domain.events import DomainEvent
from acme.domain.import_job import ImportJob
from acme.domain.product import Product
from acme.domain.sku import sku_filter_key
from acme.domain.upload import Upload
from acme.domain.webhook import Delivery, DeliveryStatus, SendResult, Webhook


class FakeClock(Clock):
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.current += timedelta(milliseconds=1)
        return self.current


class FakeProductRepository(ProductRepository):
    def __init__(self, count_cap: int = LIST_COUNT_CAP, count_walk: int = LIST_COUNT_WALK) -> None:
        self.rows: dict[int, Product] = {}
        self._next_id = 1
        self.count_cap = count_cap
        self.count_walk = count_walk

    def _check_key(self, product: Product) -> None:
        for other in self.rows.values():
            if other.key == product.key and other.id != product.id:
                raise ConflictError(f"SKU '{product.sku}' is already used by another product")

    def add(self, product: Product) -> Product:
        self._check_key(product)
        product.id = self._next_id
        self._next_id += 1
        self.rows[product.id] = copy.deepcopy(product)
        return product

    def get(self, product_id: int) -> Product | None:
        found = self.rows.get(product_id)
        return copy.deepcopy(found) if found else None

    def get_by_key(self, key: str) -> Product | None:
        for p in self.rows.values():
            if p.key == key:
                return copy.deepcopy(p)
        return None

    def update(self, product: Product) -> Product:
        self._check_key(product)
        assert product.id is not None
        self.rows[product.id] = copy.deepcopy(product)
        return product

    def delete(self, product_id: int) -> bool:
        return self.rows.pop(product_id, None) is not None

    def delete_all(self) -> int:
        n = len(self.rows)
        self.rows.clear()
        return n

    def count(self) -> int:
        return len(self.rows)

    def stream(self, batch_size: int = 1_000) -> Iterator[Product]:
        for _, product in sorted(self.rows.items()):
            yield copy.deepcopy(product)

    def list(
        self, filters: ProductFilter, page: int, page_size: int, *, exact_total: bool = False
    ) -> ProductPage:
        def keep(p: Product) -> bool:
            return (
                (not filters.sku or sku_filter_key(filters.sku) in p.key)
                and (not filters.name or filters.name.lower() in p.name.lower())
                and (
                    not filters.description or filters.description.lower() in p.description.lower()
                )
                and (filters.active is None or p.active == filters.active)
            )

        matches = [copy.deepcopy(p) for _, p in sorted(self.rows.items()) if keep(p)]
        start = (page - 1) * page_size
        items = matches[start : start + page_size]
        # Counted like the SQL adapter: the page's end plus at most cap matches after it.
        counted = start + len(items) if items else 0
        more = len(matches) - counted
        cap = count_cap_after([p.id or 0 for p in items], self.count_cap, self.count_walk)
        if more > cap and not exact_total:
            return ProductPage(items, page, page_size, counted + cap, total_capped=True)
        return ProductPage(items, page, page_size, len(matches))


class FakeEventPublisher(EventPublisher):
    def __init__(self) -> None:
        self.pending: list[DomainEvent] = []

    def publish(self, event: DomainEvent) -> None:
        self.pending.append(event)


class FakeUploadRepository(UploadRepository):
    def __init__(self) -> None:
        self.rows: dict[str, Upload] = {}

    def add(self, upload: Upload) -> None:
        self.rows[upload.id] = copy.deepcopy(upload)

    def get(self, upload_id: str) -> Upload | None:
        found = self.rows.get(upload_id)
        return copy.deepcopy(found) if found else None

    def update(self, upload: Upload) -> None:
        if upload.id in self.rows:
            self.rows[upload.id] = copy.deepcopy(upload)

    @staticmethod
    def _idle(upload: Upload, idle_since: datetime) -> bool:
        assert upload.active_at is not None
        return upload.import_job_id is None and upload.active_at < idle_since

    def list_idle_unimported(self, idle_since: datetime, limit: int) -> list[Upload]:
        found = [u for u in self.rows.values() if self._idle(u, idle_since)]
        return [
            copy.deepcopy(u)
            for u in sorted(found, key=lambda u: u.active_at or u.created_at)[:limit]
        ]

    def delete_idle_unimported(self, upload_id: str, idle_since: datetime) -> bool:
        found = self.rows.get(upload_id)
        if found is None or not self._idle(found, idle_since):
            return False
        del self.rows[upload_id]
        return True

    def claim_for_import(self, upload_id: str, job_id: str) -> bool:
        found = self.rows.get(upload_id)
        if found is None or found.import_job_id is not None:
            return False
        found.import_job_id = job_id
        return True

    def delete(self, upload_id: str) -> bool:
        return self.rows.pop(upload_id, None) is not None


class FakeImportJobRepository(ImportJobRepository):
    def __init__(self) -> None:
        self.jobs: dict[str, ImportJob] = {}
        self.errors: dict[str, list[RowError]] = {}

    def add(self, job: ImportJob) -> None:
        self.jobs[job.id] = copy.deepcopy(job)

    def get(self, job_id: str, *, for_update: bool = False) -> ImportJob | None:
        found = self.jobs.get(job_id)
        return copy.deepcopy(found) if found else None

    def update(self, job: ImportJob) -> None:
        if job.id in self.jobs:
            self.jobs[job.id] = copy.deepcopy(job)

    def list_recent(self, limit: int) -> list[ImportJob]:
        ordered = sorted(self.jobs.values(), key=lambda j: (j.created_at, j.id), reverse=True)
        return [copy.deepcopy(j) for j in ordered[:limit]]

    def add_errors(self, job_id: str, errors: Iterable[RowError]) -> None:
        self.errors.setdefault(job_id, []).extend(errors)

    def iter_errors(self, job_id: str) -> Iterator[RowError]:
        yield from sorted(self.errors.get(job_id, []), key=lambda e: e.line)

    def clear_errors(self, job_id: str) -> None:
        self.errors.pop(job_id, None)


class FakeBulkWriter(ProductBulkWriter):
    """The reference model of a merge: last row per key wins, unchanged rows are not written,
    description/active of None keep the stored value (new products get "" and True)."""

    def __init__(self, products: FakeProductRepository) -> None:
        self.products = products

    def merge(
        self,
        rows: Iterable[ImportRow],
        *,
        now: datetime,
        on_merge_progress: Callable[[float], None] | None = None,
    ) -> MergeCounts:
        winners: dict[str, ImportRow] = {}
        for row in rows:
            winners.pop(row.key, None)
            winners[row.key] = row
        created = updated = unchanged = 0
        by_key = {p.key: p for p in self.products.rows.values()}
        for row in winners.values():
            found = by_key.get(row.key)
            if found is None:
                product = Product(
                    sku=row.sku,
                    name=row.name,
                    description=row.description if row.description is not None else "",
                    active=row.active if row.active is not None else True,
                    created_at=now,
                    updated_at=now,
                )
                self.products.add(product)
                created += 1
            elif found.change(
                sku=row.sku, name=row.name, description=row.description, active=row.active
            ):
                found.updated_at = now
                updated += 1
            else:
                unchanged += 1
        if on_merge_progress is not None:
            on_merge_progress(1.0)
        return MergeCounts(created=created, updated=updated, unchanged=unchanged)


class FakeFileStorage(FileStorage):
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def write(self, key: str, chunks: Iterable[bytes]) -> int:
        self.objects[key] = b"".join(chunks)
        return len(self.objects[key])

    def append(self, key: str, offset: int, data: bytes) -> int:
        current = self.objects.get(key, b"")
        if len(current) != offset:
            raise ConflictError(f"upload offset {offset} does not match stored size {len(current)}")
        self.objects[key] = current + data
        return len(self.objects[key])

    def open(self, key: str) -> BinaryIO:
        if key not in self.objects:
            raise NotFoundError(f"file {key!r} not found")
        return io.BytesIO(self.objects[key])

    def size(self, key: str) -> int | None:
        found = self.objects.get(key)
        return None if found is None else len(found)

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)


class FakeStore:
    """The 'database' behind FakeUnitOfWork: what has been committed."""

    def __init__(self) -> None:
        self.products = FakeProductRepository()
        self.uploads = FakeUploadRepository()
        self.imports = FakeImportJobRepository()
        self.events: list[DomainEvent] = []
        self.commits = 0
        self.webhooks = FakeWebhookRepository()
        self.deliveries = FakeDeliveryRepository(self.webhooks)
        self.dispatched: dict[str, datetime] = {}  # event id -> when it was fanned out
        self.pruned: set[str] = set()  # events deleted by retention (kept in ``events``)


class FakeUnitOfWork(UnitOfWork):
    """Works on a copy of the store; commit swaps it in, rollback drops it."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store

    def __enter__(self) -> FakeUnitOfWork:
        self.products = copy.deepcopy(self._store.products)
        self.uploads = copy.deepcopy(self._store.uploads)
        self.events = FakeEventPublisher()
        self.webhooks, self.deliveries = copy.deepcopy(
            (self._store.webhooks, self._store.deliveries)
        )
        self.outbox = FakeOutboxReader(
            self._store.events, dict(self._store.dispatched), set(self._store.pruned)
        )
        self.deliveries.outbox = self._store.events
        self.imports = copy.deepcopy(self._store.imports)
        self._imports_seen = copy.deepcopy(self._store.imports)
        self.bulk = FakeBulkWriter(self.products)
        return self

    def _commit_imports(self) -> None:
        # Write back only what this unit of work changed, so a concurrent short unit of work
        # (progress, a cancel request) is not overwritten by a long one's stale copy.
        store, seen = self._store.imports, self._imports_seen
        for job_id, job in self.imports.jobs.items():
            if seen.jobs.get(job_id) != job:
                store.jobs[job_id] = copy.deepcopy(job)
        for job_id in set(self.imports.errors) | set(seen.errors):
            mine = self.imports.errors.get(job_id, [])
            if mine != seen.errors.get(job_id, []):
                store.errors[job_id] = list(mine)
        self._imports_seen = copy.deepcopy(self.imports)

    def commit(self, *, durable: bool = True) -> None:
        assert isinstance(self.events, FakeEventPublisher)
        self._store.products = copy.deepcopy(self.products)
        self._store.uploads = copy.deepcopy(self.uploads)

        self._commit_imports()
        self._store.events.extend(self.events.pending)
        self.events.pending = []
        self._store.commits += 1  # durable or not: the fake store has no disk
        assert isinstance(self.outbox, FakeOutboxReader)
        self._store.webhooks, self._store.deliveries = copy.deepcopy(
            (self.webhooks, self.deliveries)
        )
        self._store.dispatched = dict(self.outbox.dispatched)
        self._store.pruned = set(self.outbox.pruned)

    def rollback(self) -> None:
        if isinstance(getattr(self, "events", None), FakeEventPublisher):
            self.events.pending = []
        if hasattr(self, "products"):
            self.products = copy.deepcopy(self._store.products)
            self.imports = copy.deepcopy(self._store.imports)
            self._imports_seen = copy.deepcopy(self._store.imports)
            self.bulk = FakeBulkWriter(self.products)


def fake_product(**overrides: object) -> Product:
    base = Product(sku="SKU-1", name="Widget", description="A widget")
    return replace(base, **overrides)  # type: ignore[arg-type]


class FakeWebhookRepository(WebhookRepository):
    def __init__(self) -> None:
        self.rows: dict[int, Webhook] = {}
        self.leases: dict[int, datetime] = {}
        self._next_id = 1

    def add(self, webhook: Webhook) -> Webhook:
        webhook.id = self._next_id
        self._next_id += 1
        self.rows[webhook.id] = copy.deepcopy(webhook)
        return webhook

    def get(self, webhook_id: int) -> Webhook | None:
        found = self.rows.get(webhook_id)
        return copy.deepcopy(found) if found else None

    def list(self) -> list[Webhook]:
        return [copy.deepcopy(w) for _, w in sorted(self.rows.items())]

    def update(self, webhook: Webhook) -> None:
        assert webhook.id is not None
        self.rows[webhook.id] = copy.deepcopy(webhook)

    def delete(self, webhook_id: int) -> bool:
        return self.rows.pop(webhook_id, None) is not None

    def lease(self, webhook_id: int, now: datetime, until: datetime) -> bool:
        held = self.leases.get(webhook_id)
        if webhook_id not in self.rows or (held is not None and held >= now):
            return False
        self.leases[webhook_id] = until
        return True

    def release(self, webhook_id: int) -> None:
        self.leases.pop(webhook_id, None)


class FakeDeliveryRepository(DeliveryRepository):
    def __init__(self, webhooks: FakeWebhookRepository) -> None:
        self.rows: dict[int, Delivery] = {}
        self._webhooks = webhooks
        self.outbox: list[DomainEvent] = []  # the store's committed events (FakeUnitOfWork)
        self._next_id = 1

    def _live(self) -> list[Delivery]:
        return [d for _, d in sorted(self.rows.items()) if d.webhook_id in self._webhooks.rows]

    def add_many(self, deliveries: Sequence[Delivery]) -> None:
        for d in deliveries:
            self.add(d)

    def add(self, delivery: Delivery) -> Delivery:
        if any(
            d.webhook_id == delivery.webhook_id and d.event_id == delivery.event_id
            for d in self.rows.values()
        ):
            raise AssertionError("duplicate delivery for one webhook and event")
        delivery.id = self._next_id
        self._next_id += 1
        self.rows[delivery.id] = copy.deepcopy(delivery)
        return delivery

    def add_for_events(self, webhook_id: int, seqs: Sequence[int], now: datetime) -> None:
        for seq in sorted(seqs):
            e = self.outbox[seq - 1]
            body = event_body(e.id, e.type, e.created_at, e.data)
            self.add(Delivery(webhook_id, e.id, e.type, body, created_at=now, next_attempt_at=now))

    def save_attempts(self, deliveries: Sequence[Delivery]) -> None:
        for d in deliveries:
            assert d.id is not None
            if d.id in self.rows:
                self.rows[d.id] = copy.deepcopy(d)

    def webhooks_with_due_head(self, now: datetime, limit: int) -> list[int]:
        heads: dict[int, Delivery] = {}
        for d in self._live():
            if d.status == DeliveryStatus.PENDING:
                heads.setdefault(d.webhook_id, d)
        due = []
        for webhook_id, head in heads.items():
            hook = self._webhooks.rows[webhook_id]
            lease = self._webhooks.leases.get(webhook_id)
            if head.next_attempt_at <= now and hook.enabled and (lease is None or lease < now):
                due.append(head)
        due.sort(key=lambda d: d.next_attempt_at)
        return [d.webhook_id for d in due[:limit]]

    def pending_head(self, webhook_id: int, limit: int) -> list[Delivery]:
        return [
            copy.deepcopy(d)
            for d in self._live()
            if d.webhook_id == webhook_id and d.status == DeliveryStatus.PENDING
        ][:limit]

    def list_for_webhook(self, webhook_id: int, limit: int) -> list[Delivery]:
        mine = [copy.deepcopy(d) for d in self._live() if d.webhook_id == webhook_id]
        return list(reversed(mine))[:limit]

    def delete_finished_before(self, cutoff: datetime, limit: int) -> int:
        old = [
            i
            for i, d in sorted(self.rows.items())
            if d.status is not DeliveryStatus.PENDING and d.created_at < cutoff
        ][:limit]
        for i in old:
            del self.rows[i]
        return len(old)

    def latest_by_webhook(self) -> dict[int, Delivery]:
        latest: dict[int, Delivery] = {}
        for d in self._live():
            if d.attempts > 0:
                latest[d.webhook_id] = copy.deepcopy(d)
        return latest


class FakeOutboxReader(OutboxReader):
    """Reads the committed events of a FakeStore; ``seq`` is the position in that list."""

    def __init__(
        self,
        events: list[DomainEvent],
        dispatched: dict[str, datetime],
        pruned: set[str] | None = None,
    ) -> None:
        self._events = events
        self.dispatched = dispatched
        self.pruned = pruned if pruned is not None else set()

    def claim(self, limit: int) -> list[OutboxEvent]:
        out = []
        for seq, e in enumerate(self._events, start=1):
            if e.id not in self.dispatched:
                out.append(OutboxEvent(seq=seq, event_id=e.id, type=e.type))
            if len(out) >= limit:
                break
        return out

    def mark_dispatched(self, seqs: Sequence[int], now: datetime) -> None:
        for seq in seqs:
            self.dispatched[self._events[seq - 1].id] = now

    def pending_count(self) -> int:
        return sum(1 for e in self._events if e.id not in self.dispatched)

    def delete_dispatched_before(self, cutoff: datetime, limit: int) -> int:
        old = [
            e.id
            for e in self._events
            if e.id not in self.pruned and self.dispatched.get(e.id, cutoff) < cutoff
        ][:limit]
        self.pruned.update(old)
        return len(old)


class FakeAddressGuard(AddressGuard):
    """Refuses URLs whose host is in ``refused``."""

    def __init__(self, refused: set[str] | None = None) -> None:
        self.refused = refused or set()

    def refusal(self, url: str) -> str | None:
        host = urlsplit(url).hostname or ""
        return (
            f"webhook URL host '{host}' resolves to a private address"
            if (host in self.refused)
            else None
        )


class FakeSender(WebhookSender):
    """Records every request; answers with the next scripted result (default: HTTP 200)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []  # (url, message id, body)
        self.script: dict[str, list[SendResult]] = {}  # url -> results to give, in order

    def send(self, url: str, secret: str, message_id: str, body: str) -> SendResult:
        self.sent.append((url, message_id, body))
        queue = self.script.get(url)
        if queue:
            return queue.pop(0)
        return SendResult(200, 1)

    def types_to(self, url: str) -> list[str]:
        return [json.loads(body)["type"] for u, _, body in self.sent if u == url]


class FakeTaskQueue(TaskQueue):
    """Records the job ids handed to it; ``fail_with`` makes enqueueing raise (broker down)."""

    def __init__(self) -> None:
        self.enqueued: list[str] = []
        self.fail_with: Exception | None = None

    def enqueue_import(self, job_id: str) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.enqueued.append(job_id)
