// A deliberately broken echo server on raw TCP: it echoes every frame as it came (RSV bits and
// reserved opcodes included), never validates UTF-8, and echoes close frames verbatim, invalid
// codes and all. The suite must find it out.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { FrameReader, Opcode, closePayload, encodeFrame, type Frame } from '../../spec/frame.js';
import { buildUpgradeResponse, parseHttpHead } from '../../spec/handshake.js';

/**
 * 'broken': echoes everything, validates nothing (the default).
 * 'silent': completes the handshake, then reads and ignores every byte, forever.
 * 'mute': accepts TCP and never answers the handshake.
 * 'drop': completes the handshake, then drops TCP on the first frame, without a close frame.
 * 'no-echo': never echoes a message, but fails the connection with 1002 on an RSV bit, a reserved
 *   opcode or a continuation with nothing to continue, and answers a close with 1000.
 */
export type Misbehaviour = 'broken' | 'silent' | 'mute' | 'drop' | 'no-echo';

export async function startBrokenEchoServer(how: Misbehaviour = 'broken'): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let head = Buffer.alloc(0);
    let reader: FrameReader | null = null;
    const fragmented = { inMessage: false };
    socket.on('data', (chunk: Buffer) => {
      if (how === 'mute') return;
      if (!reader) {
        head = Buffer.concat([head, chunk]);
        const h = parseHttpHead(head);
        if (!h) return;
        socket.write(buildUpgradeResponse(h.headers['sec-websocket-key'] ?? ''));
        reader = new FrameReader();
        chunk = h.rest;
      }
      if (how === 'silent') return;
      if (how === 'drop') {
        if (chunk.length > 0) socket.destroy();
        return;
      }
      let frames;
      try {
        frames = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      if (how === 'no-echo') return strictWithoutEcho(socket, frames, fragmented);
      for (const f of frames) {
        if (f.opcode === Opcode.Ping) socket.write(encodeFrame({ opcode: Opcode.Pong, payload: f.payload }));
        else if (f.opcode === Opcode.Pong) continue;
        else if (f.opcode === Opcode.Close) {
          socket.end(encodeFrame({ opcode: Opcode.Close, payload: f.payload, rsv: f.rsv }));
          return;
        } else if (f.opcode < 8) {
          socket.write(encodeFrame({ opcode: f.opcode, payload: f.payload, fin: f.fin, rsv: f.rsv }));
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** 'no-echo': strict about the frames, silent about the messages. */
function strictWithoutEcho(socket: Socket, frames: Frame[], state: { inMessage: boolean }): void {
  for (const f of frames) {
    if (socket.writableEnded) return;
    const reserved = (f.opcode > 2 && f.opcode < 8) || f.opcode > 10;
    if (f.rsv !== 0 || reserved || (f.opcode === Opcode.Continuation && !state.inMessage)) {
      socket.end(encodeFrame({ opcode: Opcode.Close, payload: closePayload(1002) }));
      return;
    }
    if (f.opcode === Opcode.Close) {
      socket.end(encodeFrame({ opcode: Opcode.Close, payload: closePayload(1000) }));
      return;
    }
    if (f.opcode < 8) state.inMessage = !f.fin;
  }
}
