"""The webhook dispatcher: fan committed outbox events out to deliveries, then send the due
ones, in event order per webhook, with retries per the RetryPolicy.

``Dispatcher`` does one step at a time (easy to test on fakes); ``DispatchLoop`` runs those
steps forever on a background thread with a bounded pool of senders, off any request path.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from acme.application.ports import Clock, UnitOfWork, WebhookSender
from acme.domain.webhook import Delivery, DeliveryStatus, RetryPolicy

log = logging.getLogger(__name__)

UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class DispatchConfig:
    fan_out_batch: int = 500
    send_batch: int = 100
    concurrency: int = 16
    lease_seconds: float = 120.0
    poll_seconds: float = 0.5
    #: rounds start at most this often, however many commits wake the loop, so a burst of
    #: API writes is fanned out in one short transaction instead of one per request
    min_round_seconds: float = 0.2
    #: fanned-out events and finished deliveries older than this are deleted (0: kept)
    retention_days: float = 30.0
    #: how often the loop deletes them
    prune_every_seconds: float = 3600.0


class Dispatcher:
    def __init__(
        self,
        uow_factory: UowFactory,
        clock: Clock,
        sender: WebhookSender,
        policy: RetryPolicy | None = None,
        config: DispatchConfig | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._sender = sender
        self.policy = policy or RetryPolicy()
        self.config = config or DispatchConfig()
        self._rand = rand

    def fan_out(self) -> int:
        """Turn one batch of outbox events into deliveries for the enabled webhooks subscribed
        to each event's type; return how many events were handled (0: outbox drained)."""
        with self._uow_factory() as uow:
            events = uow.outbox.claim(self.config.fan_out_batch)
            if not events:
                return 0
            hooks = [w for w in uow.webhooks.list() if w.enabled]
            now = self._clock.now()
            for hook in hooks:
                seqs = [e.seq for e in events if hook.subscribes_to(e.type)]
                if seqs:
                    uow.deliveries.add_for_events(hook.id or 0, seqs, now)
            uow.outbox.mark_dispatched([e.seq for e in events], now)
            uow.commit()
        return len(events)

    def lease_due(self, limit: int, busy: frozenset[int] = frozenset()) -> list[int]:
        """Lease up to ``limit`` webhooks that have a due delivery at the head of their queue
        (skipping ``busy`` ones this process already sends); return their ids."""
        if limit <= 0:
            return []
        now = self._clock.now()
        until = now + timedelta(seconds=self.config.lease_seconds)
        leased: list[int] = []
        with self._uow_factory() as uow:
            for webhook_id in uow.deliveries.webhooks_with_due_head(now, limit + len(busy)):
                if webhook_id in busy:
                    continue
                if uow.webhooks.lease(webhook_id, now, until):
                    leased.append(webhook_id)
                if len(leased) >= limit:
                    break
            uow.commit()
        return leased

    def send_leased(self, webhook_id: int) -> int:
        """Send the webhook's due deliveries in order until one must wait for a retry (later
        ones wait behind it); release the lease; return how many attempts were made."""
        sent = 0
        started = time.monotonic()
        budget = self.config.lease_seconds / 2
        try:
            while True:
                with self._uow_factory() as uow:
                    webhook = uow.webhooks.get(webhook_id)
                    queue = uow.deliveries.pending_head(webhook_id, self.config.send_batch)
                if webhook is None or not webhook.enabled or not queue:
                    return sent
                done: list[Delivery] = []
                blocked = False
                for delivery in queue:
                    if not delivery.is_due(self._clock.now()):
                        blocked = True
                        break
                    result = self._sender.send(
                        webhook.url, webhook.secret, delivery.event_id, delivery.body
                    )
                    delivery.record(result, self._clock.now(), self.policy, self._rand())
                    done.append(delivery)
                    if delivery.status == DeliveryStatus.PENDING:
                        blocked = True  # waiting for a retry: later events wait behind it
                        break
                    if time.monotonic() - started > budget:
                        blocked = True  # give others a turn well before the lease ends
                        break
                with self._uow_factory() as uow:
                    uow.deliveries.save_attempts(done)
                    uow.commit()
                sent += len(done)
                if blocked or len(queue) < self.config.send_batch:
                    return sent
        finally:
            with self._uow_factory() as uow:
                uow.webhooks.release(webhook_id)
                uow.commit()

    def prune(self, batch: int = 1000, max_batches: int = 100) -> tuple[int, int]:
        """Delete outbox events fanned out, and succeeded or failed deliveries created, more
        than ``retention_days`` ago, in short transactions of ``batch`` rows each; return
        (events, deliveries) deleted. Pending deliveries and events not fanned out yet are
        never deleted."""
        if self.config.retention_days <= 0:
            return 0, 0
        cutoff = self._clock.now() - timedelta(days=self.config.retention_days)
        events = deliveries = 0
        for _ in range(max_batches):
            with self._uow_factory() as uow:
                e = uow.outbox.delete_dispatched_before(cutoff, batch)
                d = uow.deliveries.delete_finished_before(cutoff, batch)
                uow.commit()
            events, deliveries = events + e, deliveries + d
            if e < batch and d < batch:
                break
        return events, deliveries

    def run_once(self) -> int:
        """Fan out everything, then send every due delivery, one webhook after another; return
        the number of attempts. For the CLI and tests; the loop does the same concurrently."""
        while self.fan_out():
            pass
        attempts = 0
        for webhook_id in self.lease_due(10_000):
            attempts += self.send_leased(webhook_id)
        return attempts


class DispatchLoop:
    """Runs a Dispatcher on a background thread: polls every ``poll_seconds`` and wakes early
    when ``wakeup`` is set (the unit of work sets it after committing events)."""

    def __init__(self, dispatcher: Dispatcher, wakeup: threading.Event | None = None) -> None:
        self.dispatcher = dispatcher
        self.wakeup = wakeup or threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._busy: set[int] = set()
        self._lock = threading.Lock()
        self._next_prune = 0.0  # monotonic time of the next retention pass (0: first round)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stopping.clear()
        self._pool = ThreadPoolExecutor(
            max_workers=self.dispatcher.config.concurrency, thread_name_prefix="webhook-send"
        )
        self._thread = threading.Thread(target=self._run, name="webhook-dispatch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop polling and wait for the requests in flight; undelivered events stay queued."""
        self._stopping.set()
        self.wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _done(self, webhook_id: int, future: Future[int]) -> None:
        with self._lock:
            self._busy.discard(webhook_id)
        if future.exception() is not None:
            log.error("sending webhook %s failed", webhook_id, exc_info=future.exception())
        self.wakeup.set()

    def step(self) -> None:
        """One round: fan out, then hand newly due webhooks to free senders; now and then,
        delete what the retention period has passed."""
        d = self.dispatcher
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + d.config.prune_every_seconds
            events, deliveries = d.prune()
            if events or deliveries:
                log.info("retention: deleted %d old events, %d old deliveries", events, deliveries)
        for _ in range(20):  # bounded, so sending is never starved by a huge backlog
            if d.fan_out() < d.config.fan_out_batch:
                break
        with self._lock:
            busy = frozenset(self._busy)
        pool = self._pool
        if pool is None:
            return
        for webhook_id in d.lease_due(d.config.concurrency - len(busy), busy):
            with self._lock:
                self._busy.add(webhook_id)
            future = pool.submit(d.send_leased, webhook_id)
            future.add_done_callback(functools.partial(self._done, webhook_id))

    def _run(self) -> None:
        config = self.dispatcher.config
        pause = min(config.min_round_seconds, config.poll_seconds)
        while not self._stopping.is_set():
            self.wakeup.clear()
            started = time.monotonic()
            try:
                self.step()
            except Exception:
                log.exception("webhook dispatcher round failed; retrying")
                self._stopping.wait(2.0)
            self.wakeup.wait(config.poll_seconds)
            rest = pause - (time.monotonic() - started)
            if rest > 0:
                self._stopping.wait(rest)
