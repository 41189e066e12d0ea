"""A fast webhook receiver for the benchmarks, run in its own process:
``python -m bench._receiver PORT DELAY_SECONDS``. A minimal asyncio HTTP/1.1 server (keep-alive,
Content-Length bodies) so that the receiver, not the dispatcher, is never what is measured:
POSTs are counted and answered 200 after DELAY seconds; ``GET /count`` returns the count."""

from __future__ import annotations

import asyncio
import sys

count = 0
delay = 0.0
OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    global count
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:].strip())
            if length:
                await reader.readexactly(length)
            if head.startswith(b"GET"):
                body = str(count).encode()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
            else:
                if delay:
                    await asyncio.sleep(delay)
                count += 1
                writer.write(OK)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=256)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    global delay
    port, delay = int(sys.argv[1]), float(sys.argv[2])
    asyncio.run(serve(port))


if __name__ == "__main__":
    main()
