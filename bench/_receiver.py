"""A webhook receiver for the benchmarks, run in its own process:
``python -m bench._receiver PORT DELAY_SECONDS``. An ASGI app on uvicorn: POSTs are counted
and answered 200 after DELAY seconds; ``GET /count`` returns how many were received."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import uvicorn

state = {"count": 0, "delay": 0.0}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    if scope["method"] == "POST":
        if state["delay"]:
            await asyncio.sleep(state["delay"])
        state["count"] += 1
        body = b"ok"
    else:
        body = str(state["count"]).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    port, state["delay"] = int(sys.argv[1]), float(sys.argv[2])
    print("ready", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
