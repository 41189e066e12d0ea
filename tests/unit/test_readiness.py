"""The readiness use case, on fake dependency checks."""

from __future__ import annotations

from acme.application.health import check_readiness
from acme.application.ports import DependencyCheck


class Answers(DependencyCheck):
    def __init__(self, name: str) -> None:
        self.name = name

    def check(self) -> None:
        return None


class Refuses(DependencyCheck):
    def __init__(self, name: str) -> None:
        self.name = name

    def check(self) -> None:
        raise ConnectionRefusedError("connection refused by 10.0.0.7:6379")


def test_every_check_answering_is_ready() -> None:
    readiness = check_readiness([Answers("database"), Answers("broker")])
    assert readiness.ready
    assert readiness.checks == {"database": "ok", "broker": "ok"}
    assert readiness.failed == []


def test_a_failing_check_is_named_without_its_details() -> None:
    readiness = check_readiness([Answers("database"), Refuses("broker")])
    assert not readiness.ready
    assert readiness.checks == {"database": "ok", "broker": "unreachable (ConnectionRefusedError)"}
    assert readiness.failed == ["broker"]


def test_every_check_runs_even_after_one_fails() -> None:
    readiness = check_readiness([Refuses("database"), Answers("broker")])
    assert readiness.checks["broker"] == "ok"
    assert readiness.failed == ["database"]
