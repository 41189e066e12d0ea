"""The queue-depth publisher that drives the worker autoscaling: real Redis (database 7, unique
queue names) and a real CloudWatch-compatible server (moto in server mode)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import redis

from acme.entrypoints import queue_metric
from tests.s3server import CREDENTIALS, s3_server

REDIS_URL = "redis://127.0.0.1:6379/7"


@pytest.fixture(scope="module")
def aws_endpoint() -> Iterator[str]:
    with s3_server() as endpoint:  # moto's server answers every AWS service, CloudWatch too
        yield endpoint


@pytest.fixture
def queues() -> Iterator[list[str]]:
    names = [f"acme-test-{uuid.uuid4().hex[:8]}-{i}" for i in range(2)]
    yield names
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(*[n + s for n in names for s in queue_metric.PRIORITY_SUFFIXES])


def test_publishes_the_depth_of_each_queue_counting_priority_lists(
    aws_endpoint: str, queues: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    client.rpush(queues[0], "a", "b", "c")
    client.rpush(queues[0] + "\x06\x166", "d")
    monkeypatch.setenv("ACME_BROKER_URL", REDIS_URL)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    namespace = f"AcmeTest/{uuid.uuid4().hex[:8]}"

    code = queue_metric.main(
        ["--queue", queues[0], "--queue", queues[1], "--namespace", namespace,
         "--endpoint-url", aws_endpoint]
    )  # fmt: skip

    assert code == 0
    cloudwatch = boto3.client("cloudwatch", endpoint_url=aws_endpoint, **CREDENTIALS)
    now = datetime.now(UTC)
    values = {}
    for queue in queues:
        stats = cloudwatch.get_metric_statistics(
            Namespace=namespace,
            MetricName="QueueDepth",
            Dimensions=[{"Name": "Queue", "Value": queue}],
            StartTime=now - timedelta(minutes=5),
            EndTime=now + timedelta(minutes=5),
            Period=60,
            Statistics=["Maximum"],
        )
        values[queue] = [p["Maximum"] for p in stats["Datapoints"]]
    assert values == {queues[0]: [4.0], queues[1]: [0.0]}


def test_refuses_a_broker_that_is_not_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_BROKER_URL", "")
    with pytest.raises(SystemExit) as exit_info:
        queue_metric.main(["--queue", "celery"])
    assert exit_info.value.code == 2


def test_the_queue_defaults_to_the_task_queue_setting(
    aws_endpoint: str, queues: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    redis.Redis.from_url(REDIS_URL).rpush(queues[0], "a", "b")
    monkeypatch.setenv("ACME_BROKER_URL", REDIS_URL)
    monkeypatch.setenv("ACME_TASK_QUEUE", queues[0])
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    namespace = f"AcmeTest/{uuid.uuid4().hex[:8]}"
    assert queue_metric.main(["--namespace", namespace, "--endpoint-url", aws_endpoint]) == 0
    cloudwatch = boto3.client("cloudwatch", endpoint_url=aws_endpoint, **CREDENTIALS)
    metrics = cloudwatch.list_metrics(Namespace=namespace)["Metrics"]
    assert [m["Dimensions"] for m in metrics] == [[{"Name": "Queue", "Value": queues[0]}]]
