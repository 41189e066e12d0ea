"""Publish the Celery queue depth as a CloudWatch metric, so the worker service can scale on it.

    python -m acme.entrypoints.queue_metric --namespace AcmeImporter/prod --every 60

Reads ``ACME_BROKER_URL`` (a Redis URL) from the settings; counts the messages waiting in each
queue (Celery's Redis transport keeps a list per queue, plus one per priority step) and puts
``QueueDepth`` (dimension ``Queue``) into the namespace. ``--every 0`` publishes once. Runs as
a non-essential sidecar of the web task in the Terraform deployment.
"""

from __future__ import annotations

import argparse
import logging
import time
from typing import Any

from acme.entrypoints.settings import Settings

log = logging.getLogger("acme.queue_metric")

# kombu's Redis transport: priority steps 3, 6, 9 live in "<queue>\x06\x16<step>" lists
PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def queue_depths(redis_client: Any, queues: list[str]) -> dict[str, int]:
    return {
        q: sum(int(redis_client.llen(q + suffix)) for suffix in PRIORITY_SUFFIXES) for q in queues
    }


def publish(cloudwatch: Any, namespace: str, depths: dict[str, int]) -> None:
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": "QueueDepth",
                "Dimensions": [{"Name": "Queue", "Value": queue}],
                "Value": float(depth),
                "Unit": "Count",
            }
            for queue, depth in depths.items()
        ],
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Publish the Celery queue depth to CloudWatch.")
    parser.add_argument(
        "--queue", action="append", help="queue name (repeatable; default: ACME_TASK_QUEUE)"
    )
    parser.add_argument("--namespace", default="AcmeImporter", help="CloudWatch namespace")
    parser.add_argument("--every", type=float, default=0, help="seconds between runs; 0: once")
    parser.add_argument("--endpoint-url", default=None, help="CloudWatch endpoint override")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    import boto3
    import redis

    settings = Settings()
    if not settings.broker_url.startswith(("redis://", "rediss://")):
        parser.error("ACME_BROKER_URL must be a redis:// or rediss:// URL")
    queues = args.queue or [settings.task_queue]
    broker = redis.Redis.from_url(settings.broker_url)
    cloudwatch = boto3.client("cloudwatch", endpoint_url=args.endpoint_url)
    while True:
        try:
            depths = queue_depths(broker, queues)
            publish(cloudwatch, args.namespace, depths)
            log.info("queue depth %s", depths)
        except Exception as exc:  # a sidecar keeps trying; one failed sample is not fatal
            if not args.every:
                raise
            log.warning("could not publish the queue depth: %s", exc)
        if not args.every:
            return 0
        time.sleep(args.every)


if __name__ == "__main__":
    raise SystemExit(main())
