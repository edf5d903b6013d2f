"""A Python `websockets` client that echoes a few messages through a server with compression.

Usage: compress_client.py ws://127.0.0.1:PORT
websockets offers permessage-deflate by default; this prints one JSON object: the extensions it
agreed to and whether every echo came back intact.
"""
import asyncio
import json
import sys

import websockets


async def main(url):
    text = json.dumps([{"id": i, "text": f"message number {i}"} for i in range(40)])
    binary = bytes(100_000)
    async with websockets.connect(url, max_size=None) as ws:
        ok = True
        for _ in range(3):
            await ws.send(text)
            ok = ok and (await ws.recv()) == text
            await ws.send(binary)
            ok = ok and (await ws.recv()) == binary
        extensions = [extension.name for extension in ws.extensions]
    print(json.dumps({"extensions": extensions, "ok": ok}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
