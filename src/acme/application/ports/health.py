from __future__ import annotations

from abc import ABC, abstractmethod


class DependencyCheck(ABC):
    """One thing the app needs to serve requests (the database, the broker, ...)."""

    name: str

    @abstractmethod
    def check(self) -> None:
        """Return if the dependency answers; raise any exception if it does not. Must give up
        within a few seconds rather than hang."""
