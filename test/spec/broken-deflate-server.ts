// A compressing echo server on raw TCP that gets permessage-deflate wrong in one chosen way, so
// the tests can check that sections 12 and 13 find out, in exactly the cases they should. It
// negotiates as a plain server would (accept the first offer, answer its server parameters and
// client_no_context_takeover when offered) and compresses with the suite's codec.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { DeflateCodec, RSV1 } from '../../spec/deflate.js';
import { formatResponse, negotiated, parseOffers, type DeflateParams } from '../../spec/extensions.js';
import { FrameReader, Opcode, closePayload, encodeFrame, type Frame } from '../../spec/frame.js';
import { buildUpgradeResponse, parseHttpHead } from '../../spec/handshake.js';

/**
 * 'rsv1-continuation': echoes each message in two frames, RSV1 set on both (RFC 7692 §6).
 * 'larger-window': answers server_max_window_bits=12 whatever was offered (RFC 7692 §7.1.2.1
 *   allows adding it, not exceeding an offered 9), and compresses with 12 bits.
 * 'corrupt': flips one byte of every compressed echo.
 * 'keeps-context': answers server_no_context_takeover when offered but compresses with context.
 * 'wide-window': answers server_max_window_bits=N when offered but compresses with 15 bits.
 */
export type DeflateMisbehaviour = 'rsv1-continuation' | 'larger-window' | 'corrupt' | 'keeps-context' | 'wide-window';

function responseTo(offer: DeflateParams, how: DeflateMisbehaviour): DeflateParams {
  return {
    serverNoContextTakeover: offer.serverNoContextTakeover,
    serverMaxWindowBits: how === 'larger-window' ? 12 : offer.serverMaxWindowBits,
    clientNoContextTakeover: offer.clientNoContextTakeover,
  };
}

/** The codec the server really uses: what it answered, but for its one mistake. */
function codecFor(response: DeflateParams, how: DeflateMisbehaviour): DeflateCodec {
  const honest = negotiated('server', response);
  return new DeflateCodec({
    ...honest,
    ownNoContextTakeover: how === 'keeps-context' ? false : honest.ownNoContextTakeover,
    ownWindowBits: how === 'wide-window' ? 15 : honest.ownWindowBits,
  });
}

function echoFrames(codec: DeflateCodec | null, opcode: number, payload: Buffer, how: DeflateMisbehaviour): Buffer {
  if (!codec) return encodeFrame({ opcode, payload });
  const data = Buffer.from(codec.compress(payload));
  if (how === 'corrupt' && data.length > 0) data[data.length >> 1] ^= 0x55;
  if (how !== 'rsv1-continuation') return encodeFrame({ opcode, payload: data, rsv: RSV1 });
  const cut = data.length >> 1;
  return Buffer.concat([
    encodeFrame({ opcode, payload: data.subarray(0, cut), fin: false, rsv: RSV1 }),
    encodeFrame({ opcode: Opcode.Continuation, payload: data.subarray(cut), rsv: RSV1 }),
  ]);
}

function onConnection(socket: Socket, how: DeflateMisbehaviour): void {
  let head: Buffer | null = Buffer.alloc(0);
  const reader = new FrameReader();
  let codec: DeflateCodec | null = null;
  let message: { opcode: number; compressed: boolean; parts: Buffer[] } | null = null;
  const onFrame = (f: Frame): void => {
    if (f.opcode === Opcode.Close) return void socket.end(encodeFrame({ opcode: Opcode.Close, payload: closePayload(1000) }));
    if (f.opcode === Opcode.Ping) return void socket.write(encodeFrame({ opcode: Opcode.Pong, payload: f.payload }));
    if (f.opcode === Opcode.Pong) return;
    if (f.opcode !== Opcode.Continuation) message = { opcode: f.opcode, compressed: (f.rsv & RSV1) !== 0, parts: [] };
    if (!message) return;
    message.parts.push(f.payload);
    if (!f.fin) return;
    const data = Buffer.concat(message.parts);
    const payload = message.compressed && codec ? codec.decompress(data) : data;
    socket.write(echoFrames(codec, message.opcode, payload, how));
    message = null;
  };
  socket.on('data', (chunk: Buffer) => {
    if (head) {
      head = Buffer.concat([head, chunk]);
      const h = parseHttpHead(head);
      if (!h) return;
      head = null;
      const offers = parseOffers(h.headers['sec-websocket-extensions']);
      const response = typeof offers !== 'string' && offers.length > 0 ? responseTo(offers[0], how) : null;
      if (response) codec = codecFor(response, how);
      socket.write(buildUpgradeResponse(h.headers['sec-websocket-key'] ?? '', response ? formatResponse(response) : undefined));
      chunk = h.rest;
    }
    try {
      for (const f of reader.push(chunk)) onFrame(f);
    } catch {
      socket.destroy();
    }
  });
}

export async function startBrokenDeflateServer(how: DeflateMisbehaviour): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket, how);
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
