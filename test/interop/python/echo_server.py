"""A Python `websockets` echo server for wsmith's interop tests (websockets >= 10, asyncio API).

Listens on 127.0.0.1 on a free port and prints `PORT <n>` once ready. Then, per connection:
- echoes every message, text as text and binary as binary;
- on the path /close/<code>/<reason>, closes first with that code and reason;
- on the path /ping, pings with b"are you there", waits for the pong, then sends "pong received";
- when a connection ends, prints one JSON line: {"path", "code", "reason", "subprotocol"}.
Offers the subprotocol "chat.v2". Exits when stdin closes.
"""
import asyncio
import json
import sys
from urllib.parse import unquote

import websockets


async def handler(ws, path=None):
    path = getattr(ws, "path", path) or "/"
    try:
        if path.startswith("/close/"):
            _, _, code, reason = path.split("/", 3)
            await ws.close(int(code), unquote(reason))
        elif path == "/ping":
            pong = await ws.ping(b"are you there")
            await pong
            await ws.send("pong received")
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    print(json.dumps({"path": path, "code": ws.close_code, "reason": ws.close_reason,
                      "subprotocol": ws.subprotocol}), flush=True)


async def main():
    async with websockets.serve(handler, "127.0.0.1", 0, subprotocols=["chat.v2"],
                                max_size=None, ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        loop = asyncio.get_running_loop()
        # Run until the test closes our stdin.
        await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
