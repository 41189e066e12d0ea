from abc import ABC, abstractmethod

from acme.domain.events import DomainEvent


class EventPublisher(ABC):
    """Records domain events inside the current unit of work.

    The real adapter writes them to an outbox table in the same transaction as the change that
    caused them, so a rolled-back change publishes nothing and a committed one is never lost.
    """

    @abstractmethod
    def publish(self, event: DomainEvent) -> None: ...
