from abc import ABC, abstractmethod
from datetime import datetime


class Clock(ABC):
    """Where 'now' comes from, so use cases and tests agree on time."""

    @abstractmethod
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
