"""A Python `websockets` client for wsmith's interop tests (websockets >= 10, asyncio API).

Usage: client.py ws://127.0.0.1:PORT
The server under test must echo every message, offer the subprotocol "chat.v2", and on the path
/close-first close with 4001 "server says bye". Prints one JSON object with what was observed.
"""
import asyncio
import json
import os
import sys

import websockets


async def main(base):
    result = {}
    async with websockets.connect(base + "/echo", max_size=None) as ws:
        await ws.send("hello from python — ünïcödé 🎉")
        result["text"] = await ws.recv()
        payload = bytes(range(256)) * 4
        await ws.send(payload)
        reply = await ws.recv()
        result["binary_ok"] = isinstance(reply, bytes) and reply == payload
        big = os.urandom(16 * 1024 * 1024)
        await ws.send(big)
        reply = await ws.recv()
        result["large_ok"] = isinstance(reply, bytes) and reply == big
        pong = await ws.ping(b"ping from python")
        await asyncio.wait_for(pong, 5)
        result["pong_ok"] = True

    async with websockets.connect(base + "/protocols", subprotocols=["chat.v1", "chat.v2"]) as ws:
        result["subprotocol"] = ws.subprotocol

    ws = await websockets.connect(base + "/client-closes")
    await ws.close(4000, "client says bye")
    result["client_close"] = [ws.close_code, ws.close_reason]

    ws = await websockets.connect(base + "/close-first")
    try:
        await ws.recv()
    except websockets.ConnectionClosed:
        pass
    await ws.wait_closed()
    result["server_close"] = [ws.close_code, ws.close_reason]

    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
