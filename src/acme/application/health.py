"""Readiness: is every dependency the app needs reachable right now?"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from acme.application.ports import DependencyCheck

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, str]  # name -> "ok" or "unreachable (<error type>)"

    @property
    def ready(self) -> bool:
        return all(result == "ok" for result in self.checks.values())

    @property
    def failed(self) -> list[str]:
        return [name for name, result in self.checks.items() if result != "ok"]


def check_readiness(checks: Iterable[DependencyCheck]) -> Readiness:
    """Run every check; a failure is reported by name and error type (details go to the log,
    not to an unauthenticated endpoint)."""
    results: dict[str, str] = {}
    for dependency in checks:
        try:
            dependency.check()
        except Exception as exc:  # readiness reports failures, it does not raise them
            log.warning("readiness: %s unreachable: %s", dependency.name, exc)
            results[dependency.name] = f"unreachable ({type(exc).__name__})"
        else:
            results[dependency.name] = "ok"
    return Readiness(results)
